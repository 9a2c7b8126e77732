import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  againstEchoingServer,
  type GiteaStandIn,
  readStepOutputs,
  secretLeaks,
  tempWorkspace,
  type Workspace,
} from "@hangar/testbed";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { droneTagEnv, perTest, runGiteaReleaseIsolated, TOKEN } from "./helpers.ts";

const { start, workspace, publish } = perTest();
/** A folder beside the workspace: what a link in the repository could point at. */
let outside: Workspace;
beforeEach(async () => {
  outside = await tempWorkspace("gitea-release-outside");
});
afterEach(() => outside.remove());

async function apk(): Promise<void> {
  await mkdir(path.join(workspace.dir, "dist"), { recursive: true });
  await writeFile(path.join(workspace.dir, "dist", "app.apk"), "android build\n");
}

/** Nothing reached Gitea, and no encoding of the token reached the log or the outputs. */
async function expectNothingSent(g: GiteaStandIn, output: string): Promise<void> {
  expect(g.requests()).toEqual([]);
  expect(g.releases()).toEqual([]);
  expect(secretLeaks(output, TOKEN)).toEqual([]);
  expect(secretLeaks(JSON.stringify(await readStepOutputs(workspace.dir)), TOKEN)).toEqual([]);
}

/** A refusal: exit 2 saying each of `says`, printing none of `never`, and nothing sent or leaked. */
async function expectRefused(
  g: GiteaStandIn,
  run: { code: number; output: string },
  says: (string | RegExp)[],
  never: (string | RegExp)[] = [],
): Promise<void> {
  expect(run.code, run.output).toBe(2);
  for (const text of says) expect(run.output).toMatch(text);
  for (const text of never) expect(run.output).not.toMatch(text);
  await expectNothingSent(g, run.output);
}

describe("gitea-release refuses what it must not read or send, before any API call", () => {
  it("refuses a note that is a symlink to a file outside the workspace", async () => {
    const g = await start();
    await apk();
    const secretFile = path.join(outside.dir, "environ");
    await writeFile(secretFile, `PLUGIN_API_KEY=${TOKEN}\nHOME=/root\n`);
    await symlink(secretFile, path.join(workspace.dir, "NOTES.md"));
    const run = await publish(g, { PLUGIN_FILES: "dist/*", PLUGIN_NOTE: "NOTES.md" });
    await expectRefused(
      g,
      run,
      [/note: cannot be read: NOTES\.md leads outside the workspace/, "E_PATH_OUTSIDE_WORKSPACE"],
      ["HOME=/root"],
    );
  });

  it("refuses NOTES.md -> /proc/self/environ in a real process holding the token", async () => {
    const g = await start();
    await apk();
    await symlink("/proc/self/environ", path.join(workspace.dir, "NOTES.md"));
    const run = await runGiteaReleaseIsolated(
      droneTagEnv(g.url, { PLUGIN_FILES: "dist/*", PLUGIN_NOTE: "NOTES.md" }),
      workspace.dir,
    );
    await expectRefused(g, run, ["note: cannot be read"], ["PLUGIN_FILES="]);
  });

  it("refuses a note that names a path out of the workspace", async () => {
    const g = await start();
    const run = await publish(g, { PLUGIN_NOTE: "file://../../etc/passwd" });
    await expectRefused(g, run, ["E_PATH_OUTSIDE_WORKSPACE"], ["root:x:0"]);
  });

  it("refuses a ca_cert that is a symlink out of the workspace", async () => {
    const g = await start();
    await apk();
    const pem = path.join(outside.dir, "ca.pem");
    await writeFile(pem, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    await symlink(pem, path.join(workspace.dir, "gitea-ca.pem"));
    const run = await publish(g, { PLUGIN_FILES: "dist/*", PLUGIN_CA_CERT: "gitea-ca.pem" });
    await expectRefused(g, run, [/ca_cert: cannot be read: gitea-ca\.pem leads outside the workspace/]);
  });

  it("refuses a checksum_file that is a path, not a name", async () => {
    const g = await start();
    await apk();
    for (const name of ["../../escaped.txt", "sums/{{ algorithm }}.txt", "..\\x.txt", ".."]) {
      const run = await publish(g, {
        PLUGIN_FILES: "dist/*",
        PLUGIN_CHECKSUM: "sha256",
        PLUGIN_CHECKSUM_FILE: name,
      });
      expect(run.code, run.output).toBe(2);
      expect(run.output).toContain("checksum_file: must be a file name");
    }
    await expect(readFile(path.join(workspace.dir, "..", "escaped.txt"))).rejects.toThrow();
    await expectNothingSent(g, "");
  });

  it("refuses file names with a control character, listing them, before anything is written or sent", async () => {
    const g = await start();
    await apk();
    // A newline in a name would write a forged line into sha256sum.txt.
    const forged = `app.apk\n${"0".repeat(64)}  evil.apk`;
    await writeFile(path.join(workspace.dir, "dist", forged), "payload\n");
    await writeFile(path.join(workspace.dir, "dist", "tab\there.txt"), "x\n");
    const run = await publish(g, { PLUGIN_FILES: "dist/*", PLUGIN_CHECKSUM: "sha256" });
    await expectRefused(
      g,
      run,
      ["E_ASSET_NAME_INVALID", JSON.stringify(`dist/${forged}`), JSON.stringify("dist/tab\there.txt")],
      ['"dist/app.apk"'],
    );
  });

  it("refuses a token holding a line break as a settings error, not an unreachable Gitea", async () => {
    const g = await start();
    await apk();
    for (const token of [`${TOKEN}\n`, `${TOKEN}\r\nX-Injected: 1`, `tok en${TOKEN}`]) {
      const run = await publish(g, { PLUGIN_FILES: "dist/*", PLUGIN_API_KEY: token });
      await expectRefused(
        g,
        run,
        ["api_key: holds a line break or another character"],
        ["E_GITEA_UNREACHABLE", /retrying/],
      );
    }
  });

  it("prints no encoding of the token when a server echoes the request in a 401", async () => {
    await apk();
    const echoed = await againstEchoingServer(TOKEN, (url) =>
      publish({ url }, { PLUGIN_FILES: "dist/*", PLUGIN_DEBUG: "true" }),
    );
    expect(echoed.run.code, echoed.run.output).toBe(1);
    expect(echoed.run.output).toMatch(/401.*api_key|api_key.*401/s);
    expect(echoed).toMatchObject({ secretSent: true, leaks: [] });
  });
});
