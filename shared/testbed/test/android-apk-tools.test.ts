import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AndroidSdk, createAndroidSdk, writeStandinApk, zipBytes } from "../src/index.ts";

const exec = promisify(execFile);

/** What a tool printed and how it ended, whether it succeeded or not. */
async function run(file: string, args: string[]) {
  try {
    const { stdout, stderr } = await exec(file, args);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe("the stand-in aapt2 and apkanalyzer", { timeout: 60_000 }, () => {
  let sdk: AndroidSdk;
  let dir: string;
  let aapt2: string;
  let apkanalyzer: string;
  beforeAll(async () => {
    sdk = await createAndroidSdk({ buildTools: ["34.0.0"] });
    dir = await mkdtemp(path.join(tmpdir(), "standin-apk-"));
    aapt2 = path.join(sdk.root, "build-tools", "34.0.0", "aapt2");
    apkanalyzer = path.join(sdk.root, "cmdline-tools", "latest", "bin", "apkanalyzer");
  });
  afterAll(async () => {
    await sdk.remove();
    await rm(dir, { recursive: true, force: true });
  });

  it("a stand-in APK is a real zip holding AndroidManifest.xml", async () => {
    const apk = path.join(dir, "real.apk");
    await writeStandinApk(apk, { package: "com.example.app", versionCode: 7, versionName: "1.2.0" });
    const listing = await exec("unzip", ["-l", apk]);
    expect(listing.stdout).toContain("AndroidManifest.xml");
    const manifest = await exec("unzip", ["-p", apk, "AndroidManifest.xml"]);
    expect(manifest.stdout).toContain('package="com.example.app"');
  });

  it("dump badging starts with the package line, as aapt2 prints it", async () => {
    const apk = path.join(dir, "app.apk");
    await writeStandinApk(apk, {
      package: "com.example.app",
      versionCode: 7,
      versionName: "1.2.0",
      minSdk: 26,
    });
    const result = await run(aapt2, ["dump", "badging", apk]);
    expect(result.code).toBe(0);
    const lines = result.stdout.split("\n");
    expect(lines[0]).toMatch(/^package: name='com\.example\.app' versionCode='7' versionName='1\.2\.0' /);
    expect(lines).toContain("sdkVersion:'26'");
    expect(sdk.transcript()).toContain(`aapt2 dump badging ${apk}`);
  });

  it("a file that is not a zip: libziparchive's warning and aapt2's error, exit 1", async () => {
    const html = path.join(dir, "login.apk");
    await writeFile(html, "<html>Sign in</html>\n");
    const result = await run(aapt2, ["dump", "badging", html]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(
      new RegExp(`^W/ziparchive\\(\\s*\\d+\\): Unable to open '${html}': Invalid file\\n`),
    );
    expect(result.stderr).toContain(`${html}: error: Invalid file.`);
    const missing = await run(aapt2, ["dump", "badging", path.join(dir, "absent.apk")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("No such file or directory");
  });

  it("a zip without a manifest, exit 1", async () => {
    const bare = path.join(dir, "bare.apk");
    await writeFile(bare, zipBytes([["classes.dex", Buffer.from("dex\n")]]));
    const result = await run(aapt2, ["dump", "badging", bare]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("AndroidManifest.xml not found");
  });

  it("apkanalyzer prints the application id alone, and fails on a broken file", async () => {
    const apk = path.join(dir, "other.apk");
    await writeStandinApk(apk, { package: "org.example.other" });
    const ok = await run(apkanalyzer, ["manifest", "application-id", apk]);
    expect(ok).toMatchObject({ code: 0, stdout: "org.example.other\n" });
    const broken = path.join(dir, "broken.apk");
    await writeFile(broken, "not a zip");
    const failed = await run(apkanalyzer, ["manifest", "application-id", broken]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain("java.util.zip.ZipException: zip END header not found");
  });
});
