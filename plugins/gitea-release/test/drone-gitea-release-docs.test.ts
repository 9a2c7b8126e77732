import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { crc32, deflateSync } from "node:zlib";
import type { GiteaStandIn } from "@hangar/testbed";
import { afterEach, describe, expect, it } from "vitest";
import {
  droneStep,
  droneStepEnv,
  droneTagEnv,
  EXAMPLE_SUM_FILES,
  followsSchema,
  perTest,
  runGiteaRelease,
  TOKEN,
} from "./helpers.ts";

/**
 * Every example of drone-plugins/drone-gitea-release's documentation (its page in Drone's plugin
 * index, and the DOCS.md of its repository) written as the `.drone.yml` step a user has today
 * (test/drone-steps/), its settings handed over as Drone does (PLUGIN_ + the key upper-cased,
 * lists comma-joined, `from_secret` resolved), and run unchanged against the Gitea stand-in. Only
 * where the release goes is the test bed's: `https://your.gitea.tld` is the stand-in's address,
 * and its token is the examples' own `xxxxxxxx`.
 */

const run = promisify(execFile);

/** The examples' own token. */
const EXAMPLE_TOKEN = "xxxxxxxx";

const bed = perTest(followsSchema);
const { workspace } = bed;
let downloads: string | undefined;
afterEach(async () => {
  if (downloads) await rm(downloads, { recursive: true, force: true });
  downloads = undefined;
});

const start = (token = EXAMPLE_TOKEN) => bed.start({ token });

/** What a Go build step leaves behind: binaries (random bytes, so no two checksums agree by chance). */
async function buildOutputs(): Promise<Record<string, Buffer>> {
  const files = {
    "dist/app-linux-amd64": randomBytes(300_000),
    "dist/app-darwin-arm64": randomBytes(70_000),
    "bin/binary.exe": randomBytes(12_345),
  };
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(workspace.dir, name)), { recursive: true });
    await writeFile(path.join(workspace.dir, name), content);
  }
  return files;
}

/**
 * A tag build whose Go step left its binaries, then the step of test/drone-steps/ `name` (with
 * `env` added to what Drone hands it), which must succeed.
 */
async function publishWith(
  name: string,
  options: { token?: string; secrets?: Record<string, string>; env?: Record<string, string> } = {},
) {
  const g = await start(options.token);
  const files = await buildOutputs();
  const env = { ...droneStepEnv(g, await droneStep(name), options.secrets), ...options.env };
  const result = await runGiteaRelease(env, workspace.dir);
  expect(result.code, result.output).toBe(0);
  return { g, files, env, result };
}

/** A tag build whose step sets only the token and `title`. */
const withTitle = (g: GiteaStandIn, title: string) =>
  runGiteaRelease(droneTagEnv(g.url, { PLUGIN_API_KEY: EXAMPLE_TOKEN, PLUGIN_TITLE: title }), workspace.dir);

const names = (g: GiteaStandIn, tag = "v1.2.0") =>
  (g.release(tag)?.assets ?? []).map((asset) => asset.name).sort();

/** Downloads every asset of the release into a fresh folder, as a user fetching the release does. */
async function downloadAll(g: GiteaStandIn, tag = "v1.2.0"): Promise<string> {
  downloads = await mkdtemp(path.join(tmpdir(), "gitea-release-downloads-"));
  for (const asset of g.release(tag)?.assets ?? []) {
    const response = await fetch(asset.downloadUrl);
    expect(response.status, asset.name).toBe(200);
    await writeFile(path.join(downloads, asset.name), Buffer.from(await response.arrayBuffer()));
  }
  return downloads;
}

/** zlib's own Adler-32: the last four bytes of a zlib stream (RFC 1950), big-endian. */
const zlibAdler32 = (bytes: Buffer) => {
  const stream = deflateSync(bytes);
  return stream.readUInt32BE(stream.length - 4);
};

/** `sha256sum -c` and friends, run where the assets were downloaded: the way users check them. */
async function coreutilsCheck(folder: string, tool: string, file: string): Promise<string> {
  const { stdout } = await run(tool, ["-c", "--strict", file], { cwd: folder });
  return stdout;
}

/** A title the step refuses: a settings error naming `title` with `code`, before any API call. */
function expectTitleRefused(result: { code: number; output: string }, g: GiteaStandIn, code: string) {
  expect(result.code).toBe(2);
  expect(result.output).toContain("title");
  expect(result.output).toContain(code);
  expect(g.requests()).toEqual([]);
}

describe("drone-gitea-release's documented examples, unchanged", () => {
  it("plugin index, first example: api_key, base_url, files: dist/*", async () => {
    const { g, files } = await publishWith("index-first");
    // As drone-gitea-release makes it: published, titled by the tag, the files by their names.
    expect(g.release("v1.2.0")).toMatchObject({ name: "v1.2.0", draft: false, prerelease: false });
    expect(names(g)).toEqual(["app-darwin-arm64", "app-linux-amd64"]);
    const folder = await downloadAll(g);
    expect(await readFile(path.join(folder, "app-linux-amd64"))).toEqual(files["dist/app-linux-amd64"]);
  });

  it("plugin index, checksums and additional files: all six algorithms, one file each", async () => {
    const { g, files } = await publishWith("index-checksums");
    expect(names(g)).toEqual(
      ["app-darwin-arm64", "app-linux-amd64", "binary.exe", ...EXAMPLE_SUM_FILES].sort(),
    );

    // Each hash file checks the downloaded assets with the coreutils tool of its name.
    const folder = await downloadAll(g);
    for (const algorithm of ["md5", "sha1", "sha256", "sha512"]) {
      const checked = await coreutilsCheck(folder, `${algorithm}sum`, `${algorithm}sum.txt`);
      expect(checked.trim().split("\n").sort()).toEqual([
        "app-darwin-arm64: OK",
        "app-linux-amd64: OK",
        "binary.exe: OK",
      ]);
    }

    // adler32 and crc32 in decimal, as drone-gitea-release's Go code formats them, checked against zlib.
    const byName: Record<string, Buffer> = {
      "app-darwin-arm64": files["dist/app-darwin-arm64"] as Buffer,
      "app-linux-amd64": files["dist/app-linux-amd64"] as Buffer,
      "binary.exe": files["bin/binary.exe"] as Buffer,
    };
    const expected = (checksum: (bytes: Buffer) => number) =>
      Object.entries(byName)
        .map(([name, bytes]) => `${checksum(bytes)}  ${name}`)
        .sort();
    const lines = async (file: string) =>
      (await readFile(path.join(folder, file), "utf8")).trimEnd().split("\n").sort();
    expect(await lines("adler32sum.txt")).toEqual(expected(zlibAdler32));
    expect(await lines("crc32sum.txt")).toEqual(expected((bytes) => crc32(bytes)));
    for (const line of await lines("crc32sum.txt")) expect(line).toMatch(/^\d+ {2}\S+$/);
  });

  it("plugin index, title and notes: title 0.0.1 as text, note CHANGELOG.md as a file", async () => {
    const changelog = "## 0.0.1\n\n- First release.\n";
    await writeFile(path.join(workspace.dir, "CHANGELOG.md"), changelog);
    const { g } = await publishWith("index-title-note");
    expect(g.release("v1.2.0")).toMatchObject({ name: "0.0.1", body: changelog.trimEnd() });
  });

  it("plugin index, credentials from secrets: api_key from_secret gitea_token", async () => {
    const { g, result } = await publishWith("index-secret", {
      token: TOKEN,
      secrets: { gitea_token: TOKEN },
    });
    expect(names(g)).toEqual(["app-darwin-arm64", "app-linux-amd64"]);
    expect(result.output).not.toContain(TOKEN);
  });

  it("plugin index (Drone 0.8): `secrets: [ gitea_token ]` arrives as GITEA_TOKEN", async () => {
    // Drone 0.8 gave a step's `secrets:` to the plugin as upper-cased variables; the rest of the
    // old step (pipeline: gitea_release: …) became PLUGIN_ variables like settings today.
    const { g } = await publishWith("index-drone-0.8", { token: TOKEN, env: { GITEA_TOKEN: TOKEN } });
    expect(names(g)).toEqual(["app-darwin-arm64", "app-linux-amd64"]);
  });

  it("DOCS.md: files: dist/* with one checksum given as a scalar (checksum: sha1)", async () => {
    const { g } = await publishWith("docs-checksum-scalar");
    expect(names(g)).toEqual(["app-darwin-arm64", "app-linux-amd64", "sha1sum.txt"]);
    const folder = await downloadAll(g);
    expect(await coreutilsCheck(folder, "sha1sum", "sha1sum.txt")).toContain("app-linux-amd64: OK");
  });
});

describe("what else drone-gitea-release reads", () => {
  it("takes every setting from its GITEA_RELEASE_* variables (a step's environment:)", async () => {
    await writeFile(path.join(workspace.dir, "NOTES.md"), "Notes from a file.\n");
    const { g, env, result } = await publishWith("environment", {
      token: TOKEN,
      secrets: { gitea_token: TOKEN },
    });
    expect(g.release("v1.2.0")).toMatchObject({
      name: "Release from variables",
      body: "Notes from a file.",
      draft: true,
      prerelease: true,
    });
    expect(names(g)).toEqual([
      "app-darwin-arm64",
      "app-linux-amd64",
      "binary.exe",
      "crc32sum.txt",
      "sha256sum.txt",
    ]);
    expect(result.output).not.toContain(TOKEN);

    // file_exists came from GITEA_RELEASE_FILE_EXISTS: a second run stops before uploading.
    const again = await runGiteaRelease(env, workspace.dir);
    expect(again.code).toBe(1);
    expect(again.output).toContain("nothing was uploaded (file_exists: fail)");
  });

  it("a setting under settings: wins over its GITEA_RELEASE_* variable, as in drone-gitea-release", async () => {
    const { g } = await publishWith("settings-over-environment", {
      token: TOKEN,
      env: {
        GITEA_RELEASE_API_KEY: TOKEN,
        GITEA_RELEASE_FILES: "bin/*",
        GITEA_RELEASE_TITLE: "From the variable",
      },
    });
    expect(g.release("v1.2.0")?.name).toBe("From settings");
    expect(names(g)).toEqual(["app-linux-amd64"]);
  });
});

describe("title as text or a workspace file", () => {
  it("reads the title from a file it names, without the file's final newline", async () => {
    await writeFile(path.join(workspace.dir, "VERSION"), "2.0.0-beta (codename Oak)\n");
    const { g } = await publishWith("title-file");
    expect(g.release("v1.2.0")?.name).toBe("2.0.0-beta (codename Oak)");
  });

  it("keeps a title with spaces as text even when a file of that name exists", async () => {
    const g = await start();
    await buildOutputs();
    await writeFile(path.join(workspace.dir, "Release 1.2"), "not the title\n");
    const result = await withTitle(g, "Release 1.2");
    expect(result.code, result.output).toBe(0);
    expect(g.release("v1.2.0")?.name).toBe("Release 1.2");
  });

  it("refuses a title file that is a link out of the workspace, before any API call", async () => {
    const g = await start();
    const outside = await mkdtemp(path.join(tmpdir(), "gitea-release-outside-"));
    try {
      await writeFile(path.join(outside, "secret"), "runner-secret-3c1f\n");
      await symlink(path.join(outside, "secret"), path.join(workspace.dir, "VERSION"));
      const result = await withTitle(g, "VERSION");
      expectTitleRefused(result, g, "E_PATH_OUTSIDE_WORKSPACE");
      expect(result.output).not.toContain("runner-secret-3c1f");
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it("refuses an absolute title path outside the workspace, which drone-gitea-release would read", async () => {
    const g = await start();
    expectTitleRefused(await withTitle(g, "/etc/hostname"), g, "E_PATH_OUTSIDE_WORKSPACE");
  });

  it("refuses a title file too big to be a title (CHANGELOG.md given by mistake)", async () => {
    const g = await start();
    await writeFile(path.join(workspace.dir, "CHANGELOG.md"), `${"- a change\n".repeat(500)}`);
    expectTitleRefused(await withTitle(g, "CHANGELOG.md"), g, "E_FILE_TOO_LARGE");
  });
});

describe("checksum_file for steps written for hangar", () => {
  it("checksum_file: checksums.txt keeps the single file of earlier hangar versions", async () => {
    const g = await start();
    await buildOutputs();
    const result = await runGiteaRelease(
      droneTagEnv(g.url, {
        PLUGIN_API_KEY: EXAMPLE_TOKEN,
        PLUGIN_FILES: "dist/*",
        PLUGIN_CHECKSUM: "sha256",
        PLUGIN_CHECKSUM_FILE: "checksums.txt",
      }),
      workspace.dir,
    );
    expect(result.code, result.output).toBe(0);
    expect(names(g)).toEqual(["app-darwin-arm64", "app-linux-amd64", "checksums.txt"]);
    const folder = await downloadAll(g);
    expect(await coreutilsCheck(folder, "sha256sum", "checksums.txt")).toContain("app-linux-amd64: OK");
  });
});
