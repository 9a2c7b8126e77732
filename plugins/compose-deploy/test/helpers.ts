import { setTimeout as sleep } from "node:timers/promises";
import { type CapturedRun, runCaptured, runPlugin } from "@hangar/kit";
import { droneEnv as buildEnv, type Sshd, tempWorkspace, type Workspace } from "@hangar/testbed";
import { composeDeploy } from "../src/plugin.ts";

/** A Drone push build of acme/shop on main. */
export function droneEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return buildEnv(
    {
      repo: "acme/shop",
      build: 41,
      status: "success",
      branch: "main",
      sha: "5e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d",
    },
    overrides,
  );
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

/** A folder for one purpose (`compose-deploy-<purpose>-…`), removed by remove() or at exit. */
export const tempDir = (purpose: string): Promise<Workspace> => tempWorkspace(`compose-deploy-${purpose}`);

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
