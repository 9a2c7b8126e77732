import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type CapturedRun, runCaptured, runPlugin } from "@hangar/kit";
import type { Sshd } from "@hangar/testbed";
import { composeDeploy } from "../src/plugin.ts";

/** A Drone push build of acme/shop on main. */
export function droneEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    CI: "true",
    DRONE: "true",
    DRONE_REPO: "acme/shop",
    DRONE_REPO_OWNER: "acme",
    DRONE_REPO_NAME: "shop",
    DRONE_BUILD_NUMBER: "41",
    DRONE_BUILD_EVENT: "push",
    DRONE_BUILD_STATUS: "success",
    DRONE_BRANCH: "main",
    DRONE_COMMIT_BRANCH: "main",
    DRONE_COMMIT_SHA: "5e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d",
    ...overrides,
  };
}

/** The connection settings for a test bed sshd, host key checked by fingerprint. */
export function sshSettings(sshd: Sshd): Record<string, string> {
  return {
    PLUGIN_HOST: `${sshd.host}:${sshd.port}`,
    PLUGIN_USERNAME: sshd.username,
    PLUGIN_KEY: sshd.privateKey,
    PLUGIN_FINGERPRINT: sshd.hostKeyFingerprint,
    PLUGIN_TIMEOUT: "10s",
  };
}

export type Run = CapturedRun;

export const runComposeDeploy = (env: Record<string, string>, workspace: string): Promise<Run> =>
  runCaptured(composeDeploy, env, workspace);

export async function tempDir(purpose: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), `compose-deploy-${purpose}-`));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** How many SSH logins an sshd accepted so far (its VERBOSE log has one line per login). */
export function acceptedLogins(sshd: Sshd): number {
  return sshd.logs().match(/Accepted publickey for /g)?.length ?? 0;
}

/** A deploy running in this process, whose output can be watched while it runs. */
export interface LiveRun {
  done: Promise<Run>;
  output(): string;
  /** Resolves when the output holds `text`; rejects when the run ends first or after `timeoutMs`. */
  waitFor(text: string, timeoutMs?: number): Promise<void>;
}

export function startComposeDeploy(
  env: Record<string, string>,
  workspace: string,
  options: { signal?: AbortSignal; cancelGraceMs?: number } = {},
): LiveRun {
  let stdout = "";
  let stderr = "";
  let finished = false;
  const done = runPlugin(composeDeploy, {
    env,
    argv: [],
    cwd: workspace,
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk) },
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.cancelGraceMs ? { cancelGraceMs: options.cancelGraceMs } : {}),
  }).then((code) => {
    finished = true;
    return { code, stdout, stderr, output: stdout + stderr };
  });
  const output = () => stdout + stderr;
  return {
    done,
    output,
    async waitFor(text, timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      while (!output().includes(text)) {
        if (finished) throw new Error(`the deploy ended without printing "${text}":\n${output()}`);
        if (Date.now() > deadline) throw new Error(`no "${text}" within ${timeoutMs} ms:\n${output()}`);
        await sleep(50);
      }
    },
  };
}
