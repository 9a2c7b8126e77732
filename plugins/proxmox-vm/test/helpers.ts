import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type CapturedRun, runCaptured, runPlugin } from "@hangar/kit";
import type { ProxmoxStandIn } from "@hangar/testbed";
import { proxmoxVm } from "../src/plugin.ts";

/** A Drone push build of acme/calchat, the plugin pointed at the stand-in with its token. */
export function droneEnv(
  pve: ProxmoxStandIn,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    CI: "true",
    DRONE: "true",
    DRONE_REPO: "acme/calchat",
    DRONE_REPO_OWNER: "acme",
    DRONE_REPO_NAME: "calchat",
    DRONE_BUILD_NUMBER: "42",
    DRONE_BUILD_EVENT: "push",
    DRONE_BUILD_LINK: "https://drone.example.com/acme/calchat/42",
    DRONE_BRANCH: "main",
    DRONE_COMMIT_SHA: "0123456789abcdef0123456789abcdef01234567",
    PLUGIN_URL: pve.url,
    PLUGIN_INSECURE: pve.url.startsWith("http://") ? "true" : "false",
    PLUGIN_TOKEN_ID: pve.tokenId,
    PLUGIN_TOKEN_SECRET: pve.tokenSecret,
    PLUGIN_TEMPLATE: "9000",
    ...overrides,
  };
}

export const runProxmoxVm = (env: Record<string, string>, workspace: string): Promise<CapturedRun> =>
  runCaptured(proxmoxVm, env, workspace);

/** The plugin in this process with a cancel signal the test controls. */
export async function runCancellable(
  env: Record<string, string>,
  workspace: string,
  signal: AbortSignal,
): Promise<CapturedRun> {
  let stdout = "";
  let stderr = "";
  const code = await runPlugin(proxmoxVm, {
    env,
    argv: [],
    cwd: workspace,
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk) },
    signal,
    cancelGraceMs: 8000,
  });
  return { code, stdout, stderr, output: stdout + stderr };
}

export async function tempWorkspace(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), "proxmox-vm-"));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export async function outputs(workspace: string): Promise<Record<string, string>> {
  return JSON.parse(await readFile(path.join(workspace, ".hangar", "outputs.json"), "utf8"));
}

/** The clones (not templates) the stand-in holds. */
export const clones = (pve: ProxmoxStandIn) => pve.vms().filter((vm) => !vm.template);

/** Fast tasks for most tests; the bench uses realistic ones. */
export const FAST = {
  taskMs: { qmclone: 60, qmstart: 30, qmstop: 20, qmdestroy: 20 },
  agentDelayMs: 50,
} as const;

/**
 * The description proxmox-vm gives a VM it made: its marker names the repository and build,
 * the time of the clone (Proxmox's clock, ms ago) and the name of its count run.
 */
export function madeBy(repo: string, build: number, group: string, agoMs = 0): string {
  const created = Math.floor((Date.now() - agoMs) / 1000);
  return `Made by hangar (proxmox-vm) for ${repo} build ${build}\nhangar: repo=${repo} build=${build} created=${created} group=${group}`;
}
