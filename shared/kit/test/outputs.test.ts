import { execFile } from "node:child_process";
import { mkdir, readdir, readFile, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { Masker } from "../src/mask.ts";
import { OUTPUTS_DIR, outputKey, readOutputs, writeOutputs } from "../src/outputs.ts";
import { tempDir } from "./helpers.ts";

const run = promisify(execFile);

/** What a later step's shell sees after sourcing the dotenv file. */
async function fromShell(workspace: string, key: string): Promise<string> {
  const { stdout } = await run("bash", ["-c", `set -a; . .hangar/outputs.env; printf %s "$${key}"`], {
    cwd: workspace,
  });
  return stdout;
}

describe("outputs", () => {
  it("writes KEY=value lines and a JSON twin in .hangar/", async () => {
    const workspace = await tempDir();
    const files = await writeOutputs(workspace, { PROXMOX_VM_IP: "10.0.0.7", PROXMOX_VM_ID: "104" });
    expect(files).toEqual([
      path.join(workspace, OUTPUTS_DIR, "outputs.env"),
      path.join(workspace, OUTPUTS_DIR, "outputs.json"),
    ]);
    expect(await readFile(path.join(workspace, ".hangar/outputs.env"), "utf8")).toBe(
      "PROXMOX_VM_IP=10.0.0.7\nPROXMOX_VM_ID=104\n",
    );
    expect(JSON.parse(await readFile(path.join(workspace, ".hangar/outputs.json"), "utf8"))).toEqual({
      PROXMOX_VM_IP: "10.0.0.7",
      PROXMOX_VM_ID: "104",
    });
    expect((await readdir(path.join(workspace, ".hangar"))).sort()).toEqual(["outputs.env", "outputs.json"]);
  });

  it("quotes values so that a shell reads them back exactly", async () => {
    const workspace = await tempDir();
    const values = {
      A_SPACES: "two  spaces and\ttab",
      A_QUOTES: `it's "quoted" and 'single'`,
      A_SHELL: "$HOME `id` $(echo pwned) \\ ; & | > *",
      A_LINES: "first line\nsecond line",
      A_EMPTY: "",
      A_URL: "https://git.example.com/acme/shop/releases/tag/v1.2.0?x=1&y=2",
    };
    await writeOutputs(workspace, values);
    for (const [key, value] of Object.entries(values))
      expect(await fromShell(workspace, key), key).toBe(value);
    expect(await readOutputs(workspace)).toEqual(values);
  });

  it("merges with earlier steps' outputs, replacing keys written again", async () => {
    const workspace = await tempDir();
    await writeOutputs(workspace, { PROXMOX_VM_IP: "10.0.0.7", PROXMOX_VM_ID: "104" });
    await writeOutputs(workspace, {
      GITEA_RELEASE_URL: "https://git.example.com/r/1",
      PROXMOX_VM_IP: "10.0.0.8",
    });
    const expected = {
      PROXMOX_VM_IP: "10.0.0.8",
      PROXMOX_VM_ID: "104",
      GITEA_RELEASE_URL: "https://git.example.com/r/1",
    };
    expect(await readOutputs(workspace)).toEqual(expected);
    expect(await fromShell(workspace, "PROXMOX_VM_IP")).toBe("10.0.0.8");
    expect(await fromShell(workspace, "PROXMOX_VM_ID")).toBe("104");
  });

  it("survives two writers with the same pid at once (parallel steps, each plugin pid 1 in its container)", async () => {
    const workspace = await tempDir();
    for (let round = 0; round < 5; round++) {
      await Promise.all([
        writeOutputs(workspace, { A: `${round}` }),
        writeOutputs(workspace, { B: `${round}` }),
      ]);
    }
    expect((await readdir(path.join(workspace, ".hangar"))).sort()).toEqual(["outputs.env", "outputs.json"]);
  });

  it("masks secrets in both files", async () => {
    const workspace = await tempDir();
    const secret = "deploy-token-abc123";
    const masker = new Masker();
    masker.add(secret);
    await writeOutputs(
      workspace,
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

  it("reads nothing when no step wrote outputs, text for non-text JSON values, and refuses a damaged file", async () => {
    const workspace = await tempDir();
    expect(await readOutputs(workspace)).toEqual({});
    await mkdir(path.join(workspace, ".hangar"));
    await writeFile(path.join(workspace, ".hangar/outputs.json"), '{"A":1,"B":true}');
    expect(await readOutputs(workspace)).toEqual({ A: "1", B: "true" });
    await writeFile(path.join(workspace, ".hangar/outputs.json"), '["not", "a", "map"]');
    await expect(readOutputs(workspace)).rejects.toMatchObject({ code: "E_OUTPUTS_CORRUPT" });
    await writeFile(path.join(workspace, ".hangar/outputs.json"), "{ half");
    await expect(readOutputs(workspace)).rejects.toThrow(
      ".hangar/outputs.json in the workspace is not a JSON object",
    );
  });

  it("refuses a .hangar that is a link (a repository could point it anywhere)", async () => {
    const workspace = await tempDir();
    const elsewhere = await tempDir();
    await writeFile(path.join(elsewhere, "outputs.json"), '{"PLANTED":"x"}');
    await symlink(elsewhere, path.join(workspace, OUTPUTS_DIR));
    await expect(writeOutputs(workspace, { A_B: "1" })).rejects.toMatchObject({
      code: "E_OUTPUTS_NOT_A_DIRECTORY",
    });
    await expect(readOutputs(workspace)).rejects.toMatchObject({ code: "E_OUTPUTS_NOT_A_DIRECTORY" });
    expect(await readdir(elsewhere)).toEqual(["outputs.json"]);
  });

  it("does not read an outputs file that is a link out of the workspace", async () => {
    const workspace = await tempDir();
    const elsewhere = await tempDir();
    await writeFile(path.join(elsewhere, "secret.json"), '{"TOKEN":"from outside"}');
    await mkdir(path.join(workspace, OUTPUTS_DIR));
    await symlink(path.join(elsewhere, "secret.json"), path.join(workspace, OUTPUTS_DIR, "outputs.json"));
    await expect(readOutputs(workspace)).rejects.toMatchObject({ code: "E_PATH_OUTSIDE_WORKSPACE" });
  });

  it("names keys after the plugin", () => {
    expect(outputKey("notify-email", "message id")).toBe("NOTIFY_EMAIL_MESSAGE_ID");
    expect(outputKey("proxmox-vm", "vm.ip")).toBe("PROXMOX_VM_VM_IP");
  });
});
