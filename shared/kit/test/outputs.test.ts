import { execFile } from "node:child_process";
import { mkdir, readdir, readFile, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { type BuildContext, readContext } from "../src/context.ts";
import { Masker } from "../src/mask.ts";
import {
  OUTPUTS_DIR,
  OUTPUTS_STAMP_KEY,
  outputKey,
  outputsStamp,
  readOutputs,
  writeOutputs,
} from "../src/outputs.ts";
import { tempDir } from "./helpers.ts";

const run = promisify(execFile);

const SHA = "9f3c2a17b0e4d5c6a7b8c9d0e1f2a3b4c5d6e7f8";

/** A Drone build of acme/calchat in `workspace`; each field can be changed. */
function droneBuild(workspace: string, env: Record<string, string> = {}) {
  return readContext(
    {
      DRONE: "true",
      DRONE_REPO: "acme/calchat",
      DRONE_BUILD_NUMBER: "42",
      DRONE_COMMIT_SHA: SHA,
      DRONE_BUILD_STARTED: "1796640000",
      ...env,
    },
    workspace,
  );
}

/** What a later step's shell sees after sourcing the dotenv file. */
async function fromShell(workspace: string, key: string): Promise<string> {
  const { stdout } = await run("bash", ["-c", `set -a; . .hangar/outputs.env; printf %s "$${key}"`], {
    cwd: workspace,
  });
  return stdout;
}

async function plant(workspace: string, content: string): Promise<void> {
  await mkdir(path.join(workspace, OUTPUTS_DIR), { recursive: true });
  await writeFile(path.join(workspace, OUTPUTS_DIR, "outputs.json"), content);
}

describe("outputs", () => {
  it("writes KEY=value lines and a JSON twin in .hangar/", async () => {
    const workspace = await tempDir();
    const build = droneBuild(workspace);
    const files = await writeOutputs(build, { PROXMOX_VM_IP: "10.0.0.7", PROXMOX_VM_ID: "104" });
    expect(files).toEqual([
      path.join(workspace, OUTPUTS_DIR, "outputs.env"),
      path.join(workspace, OUTPUTS_DIR, "outputs.json"),
    ]);
    const stamp = "acme/calchat#42@9f3c2a17b0e4d5c6a7b8c9d0e1f2a3b4c5d6e7f8+1796640000";
    expect(outputsStamp(build)).toBe(stamp);
    expect(await readFile(path.join(workspace, ".hangar/outputs.env"), "utf8")).toBe(
      `${OUTPUTS_STAMP_KEY}='${stamp}'\nPROXMOX_VM_IP=10.0.0.7\nPROXMOX_VM_ID=104\n`,
    );
    expect(JSON.parse(await readFile(path.join(workspace, ".hangar/outputs.json"), "utf8"))).toEqual({
      [OUTPUTS_STAMP_KEY]: stamp,
      PROXMOX_VM_IP: "10.0.0.7",
      PROXMOX_VM_ID: "104",
    });
    expect(await readOutputs(build)).toEqual({ PROXMOX_VM_IP: "10.0.0.7", PROXMOX_VM_ID: "104" });
    expect((await readdir(path.join(workspace, ".hangar"))).sort()).toEqual(["outputs.env", "outputs.json"]);
  });

  it("quotes values so that a shell reads them back exactly", async () => {
    const workspace = await tempDir();
    const build = droneBuild(workspace);
    const values = {
      A_SPACES: "two  spaces and\ttab",
      A_QUOTES: `it's "quoted" and 'single'`,
      A_SHELL: "$HOME `id` $(echo pwned) \\ ; & | > *",
      A_LINES: "first line\nsecond line",
      A_EMPTY: "",
      A_URL: "https://git.example.com/acme/shop/releases/tag/v1.2.0?x=1&y=2",
    };
    await writeOutputs(build, values);
    for (const [key, value] of Object.entries(values))
      expect(await fromShell(workspace, key), key).toBe(value);
    expect(await readOutputs(build)).toEqual(values);
  });

  it("merges with earlier steps' outputs, replacing keys written again", async () => {
    const workspace = await tempDir();
    const build = droneBuild(workspace);
    await writeOutputs(build, { PROXMOX_VM_IP: "10.0.0.7", PROXMOX_VM_ID: "104" });
    await writeOutputs(build, {
      GITEA_RELEASE_URL: "https://git.example.com/r/1",
      PROXMOX_VM_IP: "10.0.0.8",
    });
    const expected = {
      PROXMOX_VM_IP: "10.0.0.8",
      PROXMOX_VM_ID: "104",
      GITEA_RELEASE_URL: "https://git.example.com/r/1",
    };
    expect(await readOutputs(build)).toEqual(expected);
    expect(await fromShell(workspace, "PROXMOX_VM_IP")).toBe("10.0.0.8");
    expect(await fromShell(workspace, "PROXMOX_VM_ID")).toBe("104");
  });

  it("survives two writers with the same pid at once (parallel steps, each plugin pid 1 in its container)", async () => {
    const workspace = await tempDir();
    const build = droneBuild(workspace);
    for (let round = 0; round < 5; round++) {
      await Promise.all([writeOutputs(build, { A: `${round}` }), writeOutputs(build, { B: `${round}` })]);
    }
    expect((await readdir(path.join(workspace, ".hangar"))).sort()).toEqual(["outputs.env", "outputs.json"]);
  });

  it("masks secrets in both files", async () => {
    const workspace = await tempDir();
    const build = droneBuild(workspace);
    const secret = "deploy-token-abc123";
    const masker = new Masker();
    masker.add(secret);
    await writeOutputs(
      build,
      {
        X_URL: `https://ci:${secret}@git.example.com/`,
        X_AUTH: Buffer.from(`ci:${secret}`).toString("base64"),
      },
      masker,
    );
    for (const file of ["outputs.env", "outputs.json"]) {
      const text = await readFile(path.join(workspace, ".hangar", file), "utf8");
      expect(text).not.toContain(secret);
      expect(text).toContain("****");
    }
  });

  it("reads nothing when no step wrote outputs, and text for non-text JSON values", async () => {
    const workspace = await tempDir();
    const build = droneBuild(workspace);
    expect(await readOutputs(build)).toEqual({});
    await plant(workspace, JSON.stringify({ [OUTPUTS_STAMP_KEY]: outputsStamp(build), A: 1, B: true }));
    expect(await readOutputs(build)).toEqual({ A: "1", B: "true" });
  });

  it("refuses outputs that no step of this build wrote, says why, and reads none of them", async () => {
    const workspace = await tempDir();
    const build = droneBuild(workspace);
    const other = (env: Record<string, string>) => outputsStamp(droneBuild(workspace, env));
    const forged = [
      JSON.stringify({ PROXMOX_VM_VMS: '[{"vmid":300,"name":"","node":"pve"}]', PROXMOX_VM_IP: "127.0.0.9" }),
      JSON.stringify({ [OUTPUTS_STAMP_KEY]: "", PROXMOX_VM_IP: "127.0.0.9" }),
      JSON.stringify({
        [OUTPUTS_STAMP_KEY]: other({ DRONE_BUILD_NUMBER: "41" }),
        PROXMOX_VM_IP: "127.0.0.9",
      }),
      JSON.stringify({
        [OUTPUTS_STAMP_KEY]: other({ DRONE_REPO: "acme/billing" }),
        PROXMOX_VM_IP: "127.0.0.9",
      }),
      JSON.stringify({
        [OUTPUTS_STAMP_KEY]: other({ DRONE_COMMIT_SHA: "a".repeat(40) }),
        PROXMOX_VM_IP: "x",
      }),
      JSON.stringify({
        [OUTPUTS_STAMP_KEY]: other({ DRONE_BUILD_STARTED: "1796640001" }),
        PROXMOX_VM_IP: "x",
      }),
      JSON.stringify({ [OUTPUTS_STAMP_KEY]: { stamp: outputsStamp(build) }, PROXMOX_VM_IP: "127.0.0.9" }),
      '["not", "a", "map"]',
      "{ half",
    ];
    for (const content of forged) {
      await plant(workspace, content);
      const reasons: string[] = [];
      expect(await readOutputs(build, (reason) => reasons.push(reason)), content).toEqual({});
      expect(reasons, content).toHaveLength(1);
      expect(reasons[0]).toMatch(/^\.hangar\/outputs\.json is ignored: /);
    }
    // A step with no commit SHA (not a CI build) can tie nothing to its build.
    await plant(workspace, JSON.stringify({ [OUTPUTS_STAMP_KEY]: "acme/calchat#42@", A: "1" }));
    const reasons: string[] = [];
    expect(
      await readOutputs(droneBuild(workspace, { DRONE_COMMIT_SHA: "" }), (r) => reasons.push(r)),
    ).toEqual({});
    expect(reasons[0]).toContain("knows no commit SHA");
  });

  it("replaces a planted file instead of merging it, so nothing of it reaches a later step", async () => {
    const workspace = await tempDir();
    const build = droneBuild(workspace);
    await plant(workspace, JSON.stringify({ PROXMOX_VM_IP: "127.0.0.9", PLANTED: "x" }));
    await writeOutputs(build, { GITEA_RELEASE_URL: "https://git.example.com/r/1" });
    expect(await readOutputs(build)).toEqual({ GITEA_RELEASE_URL: "https://git.example.com/r/1" });
    expect(await fromShell(workspace, "PLANTED")).toBe("");
    expect(await fromShell(workspace, OUTPUTS_STAMP_KEY)).toBe(outputsStamp(build));
  });

  it("cannot be forged by a commit: the file a commit holds cannot name that commit", async () => {
    const workspace = await tempDir();
    const git = (...args: string[]) =>
      run("git", ["-c", "user.name=a", "-c", "user.email=a@example.com", ...args], { cwd: workspace });
    await git("init", "-q");
    await git("commit", "-q", "--allow-empty", "-m", "first");
    const parent = (await git("rev-parse", "HEAD")).stdout.trim();
    // The best a repository can do: stamp the file with every build value it can know or guess.
    await plant(
      workspace,
      JSON.stringify({
        [OUTPUTS_STAMP_KEY]: outputsStamp(droneBuild(workspace, { DRONE_COMMIT_SHA: parent })),
        PROXMOX_VM_IP: "127.0.0.9",
      }),
    );
    await git("add", ".hangar");
    await git("commit", "-q", "-m", "outputs");
    const head = (await git("rev-parse", "HEAD")).stdout.trim();
    const reasons: string[] = [];
    const build = droneBuild(workspace, { DRONE_COMMIT_SHA: head });
    expect(await readOutputs(build, (reason) => reasons.push(reason))).toEqual({});
    expect(reasons[0]).toContain("no step of this build wrote it");
  });

  /** A file of this build's stamped outputs outside the workspace, where a link could lead. */
  async function plantedOutside(build: BuildContext, name: string, values: Record<string, string>) {
    const elsewhere = await tempDir();
    await writeFile(
      path.join(elsewhere, name),
      JSON.stringify({ [OUTPUTS_STAMP_KEY]: outputsStamp(build), ...values }),
    );
    return elsewhere;
  }

  it("refuses a .hangar that is a link (a repository could point it anywhere)", async () => {
    const workspace = await tempDir();
    const build = droneBuild(workspace);
    const elsewhere = await plantedOutside(build, "outputs.json", { PLANTED: "x" });
    await symlink(elsewhere, path.join(workspace, OUTPUTS_DIR));
    await expect(writeOutputs(build, { A_B: "1" })).rejects.toMatchObject({
      code: "E_OUTPUTS_NOT_A_DIRECTORY",
    });
    const reasons: string[] = [];
    expect(await readOutputs(build, (reason) => reasons.push(reason))).toEqual({});
    expect(reasons[0]).toContain(".hangar in the workspace is a symlink");
    expect(await readdir(elsewhere)).toEqual(["outputs.json"]);
  });

  it("does not read an outputs file that is a link out of the workspace", async () => {
    const workspace = await tempDir();
    const build = droneBuild(workspace);
    const elsewhere = await plantedOutside(build, "secret.json", { TOKEN: "from outside" });
    await mkdir(path.join(workspace, OUTPUTS_DIR));
    await symlink(path.join(elsewhere, "secret.json"), path.join(workspace, OUTPUTS_DIR, "outputs.json"));
    const reasons: string[] = [];
    expect(await readOutputs(build, (reason) => reasons.push(reason))).toEqual({});
    expect(reasons[0]).toContain("outside the workspace");
  });

  it("names keys after the plugin", () => {
    expect(outputKey("notify-email", "message id")).toBe("NOTIFY_EMAIL_MESSAGE_ID");
    expect(outputKey("proxmox-vm", "vm.ip")).toBe("PROXMOX_VM_VM_IP");
  });
});
