import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { createTlsCertificate, type GiteaStandIn } from "@hangar/testbed";
import { describe, expect, it } from "vitest";
import {
  droneTagEnv,
  followsSchema,
  perTest,
  runGiteaRelease,
  runGiteaReleaseIsolated,
  TOKEN,
  woodpeckerTagEnv,
} from "./helpers.ts";

// Whatever the plugin sent must have followed Gitea's schema: no misspelt or unknown fields.
const { start, workspace, publish } = perTest(followsSchema);

/** Two build outputs in the workspace, as an app's build step leaves them. */
async function buildOutputs(version = "1"): Promise<Record<string, string>> {
  const files = {
    "dist/app-release.apk": `android build ${version}\n`,
    "dist/app-release.ipa": `ios build ${version}\n`,
  };
  await mkdir(path.join(workspace.dir, "dist"), { recursive: true });
  for (const [name, content] of Object.entries(files))
    await writeFile(path.join(workspace.dir, name), content);
  return files;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const assetNames = (g: GiteaStandIn, tag: string) =>
  (g.release(tag)?.assets ?? []).map((asset) => asset.name).sort();

async function download(url: string): Promise<string> {
  const response = await fetch(url);
  expect(response.status, url).toBe(200);
  return response.text();
}

describe("gitea-release against the Gitea stand-in", () => {
  it("publishes a first release with its assets and a sha256sum-format checksum file", async () => {
    const g = await start();
    const files = await buildOutputs();
    const run = await publish(g, {
      PLUGIN_FILES: "dist/*.apk,dist/*.ipa",
      PLUGIN_CHECKSUM: "sha256",
      DRONE_CARD_PATH: path.join(workspace.dir, "card.json"),
    });
    expect(run.code, run.output).toBe(0);

    const release = g.release("v1.2.0");
    expect(release).toMatchObject({ draft: false, prerelease: false, name: "v1.2.0" });
    expect(assetNames(g, "v1.2.0")).toEqual(["app-release.apk", "app-release.ipa", "sha256sum.txt"]);
    expect(g.tags().map((tag) => tag.name)).toContain("v1.2.0");

    // The checksum file is what `sha256sum -c` reads, and it matches the bytes Gitea serves.
    const checksums = await download(
      release?.assets.find((asset) => asset.name === "sha256sum.txt")?.downloadUrl ?? "",
    );
    expect(checksums).toBe(
      `${sha256(files["dist/app-release.apk"] ?? "")}  app-release.apk\n${sha256(files["dist/app-release.ipa"] ?? "")}  app-release.ipa\n`,
    );
    const apk = release?.assets.find((asset) => asset.name === "app-release.apk");
    expect(await download(apk?.downloadUrl ?? "")).toBe(files["dist/app-release.apk"]);

    const outputs = JSON.parse(await readFile(path.join(workspace.dir, ".hangar", "outputs.json"), "utf8"));
    expect(outputs).toMatchObject({
      GITEA_RELEASE_URL: `${g.url}/acme/app/releases/tag/v1.2.0`,
      GITEA_RELEASE_ID: String(release?.id),
      GITEA_RELEASE_DRAFT: "false",
      GITEA_RELEASE_ASSET_APP_RELEASE_APK_URL: apk?.downloadUrl,
    });
    const card = JSON.parse(await readFile(path.join(workspace.dir, "card.json"), "utf8"));
    expect(card.data.title).toBe("Release v1.2.0");
    expect(card.data.links.map((link: { title: string }) => link.title)).toEqual(
      expect.arrayContaining(["Release", "app-release.apk", "app-release.ipa", "sha256sum.txt"]),
    );
  });

  it("keeps the release a draft until the last asset is in place, then publishes it", async () => {
    const g = await start();
    await buildOutputs();
    const run = await publish(g, {
      PLUGIN_FILES: "dist/*",
      PLUGIN_CHECKSUM: "sha256,sha512",
      PLUGIN_CHECKSUM_FILE: "{{ algorithm }}sums.txt",
    });
    expect(run.code, run.output).toBe(0);
    const events = g.events().map((event) => `${event.type}${event.draft ? " (draft)" : ""}`);
    expect(events[0]).toBe("release.created (draft)");
    expect(events.at(-1)).toMatch(/^release\.(published|updated)$/);
    const uploads = events.filter((event) => event.startsWith("asset.uploaded"));
    expect(uploads).toEqual(Array(4).fill("asset.uploaded (draft)"));
    expect(assetNames(g, "v1.2.0")).toEqual([
      "app-release.apk",
      "app-release.ipa",
      "sha256sums.txt",
      "sha512sums.txt",
    ]);
  });

  it("writes one checksum file per algorithm when the name holds {{ algorithm }}", async () => {
    const g = await start();
    await buildOutputs();
    const run = await publish(g, {
      PLUGIN_FILES: "dist/*",
      PLUGIN_CHECKSUM: '["sha256","md5"]',
      PLUGIN_CHECKSUM_FILE: "{{ algorithm }}sums.txt",
    });
    expect(run.code, run.output).toBe(0);
    expect(assetNames(g, "v1.2.0")).toEqual([
      "app-release.apk",
      "app-release.ipa",
      "md5sums.txt",
      "sha256sums.txt",
    ]);
  });

  it("converges on a re-run: one release, each asset once, replaced without a gap", async () => {
    const g = await start();
    await buildOutputs("1");
    const env = droneTagEnv(g.url, { PLUGIN_FILES: "dist/*", PLUGIN_CHECKSUM: "sha256" });
    expect((await runGiteaRelease(env, workspace.dir)).code).toBe(0);
    const first = g.release("v1.2.0");
    await buildOutputs("2");
    const mark = g.events().length;
    const rerun = await runGiteaRelease(env, workspace.dir);
    expect(rerun.code, rerun.output).toBe(0);

    expect(g.releases().filter((release) => release.tag === "v1.2.0")).toHaveLength(1);
    expect(g.release("v1.2.0")?.id).toBe(first?.id);
    expect(assetNames(g, "v1.2.0")).toEqual(["app-release.apk", "app-release.ipa", "sha256sum.txt"]);
    const apk = g.release("v1.2.0")?.assets.find((asset) => asset.name === "app-release.apk");
    expect(await download(apk?.downloadUrl ?? "")).toBe("android build 2\n");
    // Each old asset is deleted only after its successor was uploaded.
    const second = g
      .events()
      .slice(mark)
      .filter((event) => event.type === "asset.uploaded" || event.type === "asset.deleted");
    for (const name of ["app-release.apk", "app-release.ipa", "sha256sum.txt"]) {
      const ofName = second.filter((event) => event.asset === name).map((event) => event.type);
      expect(ofName, name).toEqual(["asset.uploaded", "asset.deleted"]);
    }
    expect(rerun.output).toContain("found release v1.2.0");
  });

  it("keeps existing assets with file_exists: skip and uploads nothing", async () => {
    const g = await start();
    await buildOutputs("1");
    expect((await publish(g, { PLUGIN_FILES: "dist/*" })).code).toBe(0);
    const uploadsBefore = g.count({ method: "POST", pathPattern: "repoCreateReleaseAttachment" });
    await buildOutputs("2");
    const run = await publish(g, { PLUGIN_FILES: "dist/*", PLUGIN_FILE_EXISTS: "skip" });
    expect(run.code, run.output).toBe(0);
    expect(g.count({ method: "POST", pathPattern: "repoCreateReleaseAttachment" })).toBe(uploadsBefore);
    const apk = g.release("v1.2.0")?.assets.find((asset) => asset.name === "app-release.apk");
    expect(await download(apk?.downloadUrl ?? "")).toBe("android build 1\n");
    expect(run.output).toContain("kept the one the release has (file_exists: skip)");
  });

  it("stops before any upload with file_exists: fail, naming the assets that exist", async () => {
    const g = await start();
    await buildOutputs("1");
    expect((await publish(g, { PLUGIN_FILES: "dist/*" })).code).toBe(0);
    const uploadsBefore = g.count({ method: "POST", pathPattern: "repoCreateReleaseAttachment" });
    const run = await publish(g, { PLUGIN_FILES: "dist/*", PLUGIN_FILE_EXISTS: "fail" });
    expect(run.code).toBe(1);
    expect(run.output).toContain("E_ASSET_EXISTS");
    expect(run.output).toContain("app-release.apk, app-release.ipa");
    expect(g.count({ method: "POST", pathPattern: "repoCreateReleaseAttachment" })).toBe(uploadsBefore);
    expect(g.release("v1.2.0")?.draft).toBe(false);
  });

  it("updates the title and notes of an existing release only with overwrite: true", async () => {
    const g = await start({ releases: [{ tag: "v1.2.0", name: "Old title", body: "old notes" }] });
    await buildOutputs();
    const plain = await publish(g, {
      PLUGIN_FILES: "dist/*",
      PLUGIN_TITLE: "App {{ tag }}",
      PLUGIN_NOTE: "new notes",
    });
    expect(plain.code, plain.output).toBe(0);
    expect(g.release("v1.2.0")).toMatchObject({ name: "Old title", body: "old notes" });

    await writeFile(path.join(workspace.dir, "NOTES.md"), "## What changed\n\n- faster\n");
    const overwrite = await publish(g, {
      PLUGIN_FILES: "dist/*",
      PLUGIN_TITLE: "App {{ tag }}",
      PLUGIN_NOTE: "NOTES.md",
      PLUGIN_OVERWRITE: "true",
    });
    expect(overwrite.code, overwrite.output).toBe(0);
    expect(g.release("v1.2.0")).toMatchObject({ name: "App v1.2.0", body: "## What changed\n\n- faster" });
  });

  it("leaves the release a draft with draft: true", async () => {
    const g = await start();
    await buildOutputs();
    const run = await publish(g, { PLUGIN_FILES: "dist/*", PLUGIN_DRAFT: "true" });
    expect(run.code, run.output).toBe(0);
    expect(g.release("v1.2.0")?.draft).toBe(true);
    expect(g.tags().map((tag) => tag.name)).not.toContain("v1.2.0");
    // A re-run finds the draft (not a second release) and keeps it a draft.
    expect((await publish(g, { PLUGIN_FILES: "dist/*", PLUGIN_DRAFT: "true" })).code).toBe(0);
    expect(g.releases().filter((release) => release.tag === "v1.2.0")).toHaveLength(1);
    expect(assetNames(g, "v1.2.0")).toEqual(["app-release.apk", "app-release.ipa"]);
  });

  it("marks pre-release tags with prerelease: auto, and not the others", async () => {
    const g = await start();
    await buildOutputs();
    for (const tag of ["v2.0.0-rc.1", "android-beta-7", "v2.0.0"]) {
      const run = await publish(g, { DRONE_TAG: tag, PLUGIN_FILES: "dist/*.apk" });
      expect(run.code, run.output).toBe(0);
    }
    expect(g.release("v2.0.0-rc.1")?.prerelease).toBe(true);
    expect(g.release("android-beta-7")?.prerelease).toBe(true);
    expect(g.release("v2.0.0")?.prerelease).toBe(false);
  });

  it("writes notes from the commits since the previous tag, grouped by type", async () => {
    const g = await start({
      commits: [
        { message: "Initial commit\n", sha: "1".repeat(40) },
        { message: "feat: login screen\n" },
        { message: "feat(api): token refresh\n" },
        { message: "fix: crash on rotate\n" },
        { message: "chore: bump deps\n" },
      ],
      tags: [{ name: "v1.1.0", target: "1".repeat(40) }],
    });
    await buildOutputs();
    const run = await publish(g, {
      PLUGIN_FILES: "dist/*.apk",
      PLUGIN_GENERATE_NOTES: "true",
      PLUGIN_NOTE: "Hello.",
    });
    expect(run.code, run.output).toBe(0);
    const body = g.release("v1.2.0")?.body ?? "";
    expect(body.startsWith("Hello.\n\n")).toBe(true);
    expect(body).toContain("## Changes since v1.1.0");
    expect(body).toMatch(/### Features\n+- \*\*api:\*\* token refresh \(\w{8}\)\n+- login screen/);
    expect(body).toMatch(/### Bug fixes\n+- crash on rotate/);
    expect(body).not.toContain("Initial commit");
  });

  it("retries transient failures (503, a lost answer, a reset) without duplicating anything", async () => {
    const g = await start();
    await buildOutputs();
    g.failNext({ pathPattern: "repoCreateRelease", method: "POST", status: 503 });
    g.failNext({ pathPattern: "repoCreateReleaseAttachment", status: 502, when: "after" });
    g.failNext({ pathPattern: "repoEditRelease", status: "reset" });
    const run = await publish(g, { PLUGIN_FILES: "dist/*" });
    expect(run.code, run.output).toBe(0);
    expect(g.releases().filter((release) => release.tag === "v1.2.0")).toHaveLength(1);
    expect(assetNames(g, "v1.2.0")).toEqual(["app-release.apk", "app-release.ipa"]);
    expect(g.release("v1.2.0")?.draft).toBe(false);
    expect(run.output).toMatch(/retry|again/i);
  });

  it("reports a file type Gitea refuses with what to change in app.ini, and removes its draft", async () => {
    const g = await start({ allowedTypes: ".apk,.ipa" });
    await buildOutputs();
    const run = await publish(g, { PLUGIN_FILES: "dist/*", PLUGIN_CHECKSUM: "sha256" });
    expect(run.code).toBe(1);
    expect(run.output).toContain("sha256sum.txt");
    expect(run.output).toContain("ALLOWED_TYPES");
    expect(run.output).not.toMatch(/at .*\.ts:\d+/);
    // Nothing half done: the draft this run created is gone again.
    expect(g.release("v1.2.0")).toBeUndefined();
  });

  it("reports an asset over Gitea's size limit with the app.ini setting to raise", async () => {
    const g = await start({ attachmentMaxSize: 8 });
    await buildOutputs();
    const run = await publish(g, { PLUGIN_FILES: "dist/*.apk" });
    expect(run.code).toBe(1);
    expect(run.output).toContain("413");
    expect(run.output).toContain("MAX_SIZE");
  });

  it("reports a reverse proxy's body limit (nginx's HTML 413) with what to raise", async () => {
    const g = await start({ proxyMaxBodySize: 4096 });
    await buildOutputs();
    await writeFile(path.join(workspace.dir, "dist", "app-release.apk"), Buffer.alloc(8192, 1));
    const run = await publish(g, { PLUGIN_FILES: "dist/*.apk" });
    expect(run.code).toBe(1);
    expect(run.output).toContain("413");
    expect(run.output).toContain("client_max_body_size");
    expect(run.output).toContain("uploading app-release.apk");
    expect(run.output).not.toContain("<html>");
    expect(g.release("v1.2.0")).toBeUndefined();
  });

  it("explains a proxy's HTML answer to an API call without echoing the page", async () => {
    const g = await start({ proxyMaxBodySize: 8 });
    await buildOutputs();
    const run = await publish(g, { PLUGIN_FILES: "dist/*.apk" });
    expect(run.code).toBe(1);
    expect(run.output).toContain("creating the draft release v1.2.0: 413 Payload Too Large");
    expect(run.output).not.toMatch(/Unexpected token|<html>/);
  });

  it("verifies Gitea's certificate against ca_cert, refuses an unknown CA, and warns with insecure", async () => {
    const certificate = await createTlsCertificate();
    const other = await createTlsCertificate();
    try {
      const g = await start({ tls: certificate });
      expect(g.url).toMatch(/^https:/);
      await buildOutputs();
      await writeFile(path.join(workspace.dir, "gitea-ca.pem"), certificate.caPem);
      // Each run is a fresh process in real life; runPlugin changes process-wide TLS defaults.
      const trusted = await runGiteaReleaseIsolated(
        droneTagEnv(g.url, { PLUGIN_FILES: "dist/*.apk", PLUGIN_CA_CERT: "gitea-ca.pem" }),
        workspace.dir,
      );
      expect(trusted.code, trusted.output).toBe(0);
      expect(g.release("v1.2.0")?.draft).toBe(false);
      const countAfterTrusted = g.count();

      const wrong = await runGiteaReleaseIsolated(
        droneTagEnv(g.url, { DRONE_TAG: "v1.3.0", PLUGIN_FILES: "dist/*.apk", PLUGIN_CA_CERT: other.caPem }),
        workspace.dir,
      );
      expect(wrong.code).toBe(1);
      expect(wrong.output).toContain("ca_cert");
      // A certificate does not change on another try: no retries.
      expect(wrong.output).toContain("E_GITEA_TLS");
      expect(g.count()).toBe(countAfterTrusted);
      expect(g.release("v1.3.0")).toBeUndefined();

      const insecure = await runGiteaReleaseIsolated(
        droneTagEnv(g.url, { DRONE_TAG: "v1.4.0", PLUGIN_FILES: "dist/*.apk", PLUGIN_INSECURE: "true" }),
        workspace.dir,
      );
      expect(insecure.code, insecure.output).toBe(0);
      expect(insecure.output).toMatch(/insecure/i);
    } finally {
      await certificate.remove();
      await other.remove();
    }
  });

  it("works from Woodpecker's context (CI_FORGE_URL, CI_COMMIT_TAG, GITEA_TOKEN)", async () => {
    const g = await start();
    await buildOutputs();
    const run = await runGiteaRelease(woodpeckerTagEnv(g.url, { PLUGIN_FILES: "dist/*.ipa" }), workspace.dir);
    expect(run.code, run.output).toBe(0);
    expect(assetNames(g, "v1.2.0")).toEqual(["app-release.ipa"]);
  });

  it("releases a non-tag build under a templated tag created on the build's commit", async () => {
    const g = await start();
    await buildOutputs();
    const run = await publish(g, {
      DRONE_BUILD_EVENT: "push",
      DRONE_TAG: "",
      DRONE_BRANCH: "main",
      PLUGIN_TAG: "alpha-{{ build.number }}",
      PLUGIN_TARGET: "main",
      PLUGIN_FILES: "dist/*.apk",
    });
    expect(run.code, run.output).toBe(0);
    expect(g.release("alpha-12")).toMatchObject({ prerelease: true, draft: false, target: "main" });
    expect(g.tags().find((tag) => tag.name === "alpha-12")?.commit).toBeDefined();
  });

  it("never prints the token, in any encoding, even when Gitea refuses it", async () => {
    const g = await start({ token: "0123456789abcdef0123456789abcdef01234567" });
    await buildOutputs();
    const run = await publish(g, { PLUGIN_FILES: "dist/*", PLUGIN_DEBUG: "true" });
    expect(run.code).toBe(1);
    expect(run.output).toContain("401");
    expect(run.output).toContain("api_key");
    for (const form of [TOKEN, Buffer.from(TOKEN).toString("base64"), encodeURIComponent(TOKEN)]) {
      expect(run.output).not.toContain(form);
    }
    const files = await readFile(path.join(workspace.dir, ".hangar", "outputs.json"), "utf8").catch(() => "");
    expect(files).not.toContain(TOKEN);
  });

  it("names every bad setting at once and calls no API", async () => {
    const g = await start();
    const run = await runGiteaRelease(
      {
        ...droneTagEnv(g.url, {
          DRONE_BUILD_EVENT: "push",
          DRONE_TAG: "",
          PLUGIN_BASE_URL: "ftp://gitea.example",
          PLUGIN_FILES: "dist/*.apk",
          PLUGIN_CHECKSUM: "sha256,crc64",
        }),
        PLUGIN_API_KEY: "",
      },
      workspace.dir,
    );
    expect(run.code).toBe(2);
    for (const name of ["api_key", "tag", "base_url", "files", "checksum"])
      expect(run.output).toContain(name);
    expect(run.output).toContain("crc64");
    expect(run.output).toContain("dist/*.apk");
    expect(g.requests()).toEqual([]);
  });

  it("prints the plan and touches nothing with dry_run", async () => {
    const g = await start();
    await buildOutputs();
    const run = await publish(g, {
      PLUGIN_FILES: "dist/*",
      PLUGIN_CHECKSUM: "sha256",
      PLUGIN_DRY_RUN: "true",
    });
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain("app-release.apk");
    expect(run.output).toContain("sha256sum.txt");
    expect(g.requests()).toEqual([]);
  });
});
