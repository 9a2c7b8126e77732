import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { crc32, deflateSync } from "node:zlib";
import { encodeEnvironment, encodeSettings, type GiteaStandIn, stepsInSnippet } from "@hangar/testbed";
import { afterEach, describe, expect, it } from "vitest";
import { droneTagEnv, followsSchema, perTest, runGiteaRelease, TOKEN } from "./helpers.ts";

/**
 * Every example of drone-plugins/drone-gitea-release's documentation (its page in Drone's plugin
 * index, and the DOCS.md of its repository) written as the `.drone.yml` step a user has today,
 * its settings handed over as Drone does (PLUGIN_ + the key upper-cased, lists comma-joined,
 * `from_secret` resolved), and run unchanged against the Gitea stand-in. Only where the release
 * goes is the test bed's: `https://your.gitea.tld` is the stand-in's address, and its token is
 * the examples' own `xxxxxxxx`.
 */

const run = promisify(execFile);

/** The examples' own token. */
const EXAMPLE_TOKEN = "xxxxxxxx";
const PLACEHOLDER_URL = "https://your.gitea.tld";

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

/** The step of a documented snippet as Drone hands it to the plugin, on a tag build of acme/app. */
function stepEnv(
  g: GiteaStandIn,
  snippet: string,
  secrets: Record<string, string> = {},
): Record<string, string> {
  const [step] = stepsInSnippet(snippet.replaceAll(PLACEHOLDER_URL, g.url), {});
  expect(step?.image).toBe("plugins/gitea-release");
  const settings = encodeSettings(step?.settings, (name) => secrets[name]);
  const environment = encodeEnvironment(step?.environment, (name) => secrets[name]);
  expect([...settings.missingSecrets, ...environment.missingSecrets]).toEqual([]);
  const { PLUGIN_API_KEY: _helpersToken, ...build } = droneTagEnv(g.url);
  return { ...build, ...environment.env, ...settings.env };
}

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

describe("drone-gitea-release's documented examples, unchanged", () => {
  it("plugin index, first example: api_key, base_url, files: dist/*", async () => {
    const g = await start();
    const files = await buildOutputs();
    const result = await runGiteaRelease(
      stepEnv(
        g,
        `
kind: pipeline
name: default

steps:
- name: gitea_release
  image: plugins/gitea-release
  settings:
    api_key: xxxxxxxx
    base_url: https://your.gitea.tld
    files: dist/*
  when:
    event: tag
`,
      ),
      workspace.dir,
    );
    expect(result.code, result.output).toBe(0);
    // As drone-gitea-release makes it: published, titled by the tag, the files by their names.
    expect(g.release("v1.2.0")).toMatchObject({ name: "v1.2.0", draft: false, prerelease: false });
    expect(names(g)).toEqual(["app-darwin-arm64", "app-linux-amd64"]);
    const folder = await downloadAll(g);
    expect(await readFile(path.join(folder, "app-linux-amd64"))).toEqual(files["dist/app-linux-amd64"]);
  });

  it("plugin index, checksums and additional files: all six algorithms, one file each", async () => {
    const g = await start();
    const files = await buildOutputs();
    const result = await runGiteaRelease(
      stepEnv(
        g,
        `
steps:
- name: gitea_release
  image: plugins/gitea-release
  settings:
    api_key: xxxxxxxx
    base_url: https://your.gitea.tld
    files:
      - dist/*
      - bin/binary.exe
    checksum:
      - md5
      - sha1
      - sha256
      - sha512
      - adler32
      - crc32
  when:
    event: tag
`,
      ),
      workspace.dir,
    );
    expect(result.code, result.output).toBe(0);
    expect(names(g)).toEqual([
      "adler32sum.txt",
      "app-darwin-arm64",
      "app-linux-amd64",
      "binary.exe",
      "crc32sum.txt",
      "md5sum.txt",
      "sha1sum.txt",
      "sha256sum.txt",
      "sha512sum.txt",
    ]);

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
    const g = await start();
    await buildOutputs();
    const changelog = "## 0.0.1\n\n- First release.\n";
    await writeFile(path.join(workspace.dir, "CHANGELOG.md"), changelog);
    const result = await runGiteaRelease(
      stepEnv(
        g,
        `
steps:
- name: gitea_release
  image: plugins/gitea-release
  settings:
    api_key: xxxxxxxx
    base_url: https://your.gitea.tld
    files:
      - dist/*
    title: 0.0.1
    note: CHANGELOG.md
  when:
    event: tag
`,
      ),
      workspace.dir,
    );
    expect(result.code, result.output).toBe(0);
    expect(g.release("v1.2.0")).toMatchObject({ name: "0.0.1", body: changelog.trimEnd() });
  });

  it("plugin index, credentials from secrets: api_key from_secret gitea_token", async () => {
    const g = await start(TOKEN);
    await buildOutputs();
    const result = await runGiteaRelease(
      stepEnv(
        g,
        `
steps:
- name: gitea_release
  image: plugins/gitea-release
  settings:
    base_url: https://your.gitea.tld
    api_key:
      from_secret: gitea_token
    files: dist/*
  when:
    event: tag
`,
        { gitea_token: TOKEN },
      ),
      workspace.dir,
    );
    expect(result.code, result.output).toBe(0);
    expect(names(g)).toEqual(["app-darwin-arm64", "app-linux-amd64"]);
    expect(result.output).not.toContain(TOKEN);
  });

  it("plugin index (Drone 0.8): `secrets: [ gitea_token ]` arrives as GITEA_TOKEN", async () => {
    const g = await start(TOKEN);
    await buildOutputs();
    // Drone 0.8 gave a step's `secrets:` to the plugin as upper-cased variables; the rest of the
    // old step (pipeline: gitea_release: …) became PLUGIN_ variables like settings today.
    const env = stepEnv(
      g,
      `
steps:
- name: gitea_release
  image: plugins/gitea-release
  settings:
    base_url: https://your.gitea.tld
    files: dist/*
`,
    );
    const result = await runGiteaRelease({ ...env, GITEA_TOKEN: TOKEN }, workspace.dir);
    expect(result.code, result.output).toBe(0);
    expect(names(g)).toEqual(["app-darwin-arm64", "app-linux-amd64"]);
  });

  it("DOCS.md: files: dist/* with one checksum given as a scalar (checksum: sha1)", async () => {
    const g = await start();
    await buildOutputs();
    const result = await runGiteaRelease(
      stepEnv(
        g,
        `
steps:
- name: gitea_release
  image: plugins/gitea-release
  settings:
    api_key: xxxxxxxx
    base_url: https://your.gitea.tld
    files: dist/*
    checksum: sha1
`,
      ),
      workspace.dir,
    );
    expect(result.code, result.output).toBe(0);
    expect(names(g)).toEqual(["app-darwin-arm64", "app-linux-amd64", "sha1sum.txt"]);
    const folder = await downloadAll(g);
    expect(await coreutilsCheck(folder, "sha1sum", "sha1sum.txt")).toContain("app-linux-amd64: OK");
  });
});

describe("what else drone-gitea-release reads", () => {
  it("takes every setting from its GITEA_RELEASE_* variables (a step's environment:)", async () => {
    const g = await start(TOKEN);
    await buildOutputs();
    await writeFile(path.join(workspace.dir, "NOTES.md"), "Notes from a file.\n");
    const env = stepEnv(
      g,
      `
steps:
- name: gitea_release
  image: plugins/gitea-release
  environment:
    GITEA_RELEASE_API_KEY:
      from_secret: gitea_token
    GITEA_RELEASE_BASE_URL: https://your.gitea.tld
    GITEA_RELEASE_FILES: dist/*,bin/binary.exe
    GITEA_RELEASE_CHECKSUM: sha256,crc32
    GITEA_RELEASE_TITLE: Release from variables
    GITEA_RELEASE_NOTE: NOTES.md
    GITEA_RELEASE_DRAFT: "true"
    GITEA_RELEASE_PRERELEASE: "true"
    GITEA_RELEASE_FILE_EXISTS: fail
    GITEA_RELEASE_INSECURE: "false"
`,
      { gitea_token: TOKEN },
    );
    const result = await runGiteaRelease(env, workspace.dir);
    expect(result.code, result.output).toBe(0);
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
    const g = await start(TOKEN);
    await buildOutputs();
    const env = {
      ...stepEnv(
        g,
        `
steps:
- name: gitea_release
  image: plugins/gitea-release
  settings:
    base_url: https://your.gitea.tld
    files: dist/app-linux-amd64
    title: From settings
`,
      ),
      GITEA_RELEASE_API_KEY: TOKEN,
      GITEA_RELEASE_FILES: "bin/*",
      GITEA_RELEASE_TITLE: "From the variable",
    };
    const result = await runGiteaRelease(env, workspace.dir);
    expect(result.code, result.output).toBe(0);
    expect(g.release("v1.2.0")?.name).toBe("From settings");
    expect(names(g)).toEqual(["app-linux-amd64"]);
  });
});

describe("title as text or a workspace file", () => {
  it("reads the title from a file it names, without the file's final newline", async () => {
    const g = await start();
    await buildOutputs();
    await writeFile(path.join(workspace.dir, "VERSION"), "2.0.0-beta (codename Oak)\n");
    const result = await runGiteaRelease(
      stepEnv(
        g,
        `
steps:
- name: gitea_release
  image: plugins/gitea-release
  settings:
    api_key: xxxxxxxx
    base_url: https://your.gitea.tld
    files: dist/*
    title: VERSION
`,
      ),
      workspace.dir,
    );
    expect(result.code, result.output).toBe(0);
    expect(g.release("v1.2.0")?.name).toBe("2.0.0-beta (codename Oak)");
  });

  it("keeps a title with spaces as text even when a file of that name exists", async () => {
    const g = await start();
    await buildOutputs();
    await writeFile(path.join(workspace.dir, "Release 1.2"), "not the title\n");
    const result = await runGiteaRelease(
      { ...droneTagEnv(g.url, { PLUGIN_API_KEY: EXAMPLE_TOKEN, PLUGIN_TITLE: "Release 1.2" }) },
      workspace.dir,
    );
    expect(result.code, result.output).toBe(0);
    expect(g.release("v1.2.0")?.name).toBe("Release 1.2");
  });

  it("refuses a title file that is a link out of the workspace, before any API call", async () => {
    const g = await start();
    const outside = await mkdtemp(path.join(tmpdir(), "gitea-release-outside-"));
    try {
      await writeFile(path.join(outside, "secret"), "runner-secret-3c1f\n");
      await symlink(path.join(outside, "secret"), path.join(workspace.dir, "VERSION"));
      const result = await runGiteaRelease(
        droneTagEnv(g.url, { PLUGIN_API_KEY: EXAMPLE_TOKEN, PLUGIN_TITLE: "VERSION" }),
        workspace.dir,
      );
      expect(result.code).toBe(2);
      expect(result.output).toContain("title");
      expect(result.output).toContain("E_PATH_OUTSIDE_WORKSPACE");
      expect(result.output).not.toContain("runner-secret-3c1f");
      expect(g.requests()).toEqual([]);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it("refuses an absolute title path outside the workspace, which drone-gitea-release would read", async () => {
    const g = await start();
    const result = await runGiteaRelease(
      droneTagEnv(g.url, { PLUGIN_API_KEY: EXAMPLE_TOKEN, PLUGIN_TITLE: "/etc/hostname" }),
      workspace.dir,
    );
    expect(result.code).toBe(2);
    expect(result.output).toContain("title");
    expect(result.output).toContain("E_PATH_OUTSIDE_WORKSPACE");
    expect(g.requests()).toEqual([]);
  });

  it("refuses a title file too big to be a title (CHANGELOG.md given by mistake)", async () => {
    const g = await start();
    await writeFile(path.join(workspace.dir, "CHANGELOG.md"), `${"- a change\n".repeat(500)}`);
    const result = await runGiteaRelease(
      droneTagEnv(g.url, { PLUGIN_API_KEY: EXAMPLE_TOKEN, PLUGIN_TITLE: "CHANGELOG.md" }),
      workspace.dir,
    );
    expect(result.code).toBe(2);
    expect(result.output).toContain("title");
    expect(result.output).toContain("E_FILE_TOO_LARGE");
    expect(g.requests()).toEqual([]);
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
