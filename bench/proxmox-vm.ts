/**
 * proxmox-vm creating 5 VMs (`count: 5`, in parallel) against creating 1, both against the
 * Proxmox VE stand-in with task durations of a small real node (linked clone 1.2 s, start 0.6 s,
 * guest agent up 2.5 s after the start). Target: 5 VMs in ≤ 1.5× the time of one. The stand-in
 * runs tasks side by side without contention; a real node's disks slow parallel clones somewhat.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startProxmoxStandIn } from "../shared/testbed/src/index.ts";
import { type Bench, type BenchContext, bundlePath, median, type Row, verdict } from "./lib.ts";

const RUNS = 2;
const TARGET = 1.5;

function runBundle(
  bundle: string,
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<{ code: number | null; ms: number; output: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [bundle], { env, cwd, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, ms: performance.now() - started, output }));
  });
}

export const proxmoxVmBench: Bench = {
  name: "proxmox-vm",
  title: "proxmox-vm: 5 VMs in parallel against 1 (Proxmox VE stand-in, realistic task times)",
  async run(ctx: BenchContext): Promise<Row[]> {
    const bundle = bundlePath(ctx.root, "proxmox-vm");
    const subject = "create count 5 vs count 1";
    if (!existsSync(bundle))
      return [
        {
          subject,
          measured: "-",
          baseline: "-",
          target: `≤ ${TARGET}×`,
          verdict: "SKIP",
          note: "no bundle; run pnpm build",
        },
      ];
    const pve = await startProxmoxStandIn({
      taskMs: { qmclone: 1200, qmstart: 600, qmstop: 300, qmdestroy: 400 },
      agentDelayMs: 2500,
    });
    const workspace = await mkdtemp(join(tmpdir(), "bench-proxmox-vm-"));
    try {
      const times: Record<number, number[]> = { 1: [], 5: [] };
      for (let run = 0; run < RUNS; run++) {
        for (const count of [1, 5]) {
          ctx.progress(`proxmox-vm: run ${run + 1}/${RUNS}, count ${count}`);
          const env = {
            PATH: process.env.PATH ?? "",
            CI: "true",
            DRONE: "true",
            DRONE_REPO: "acme/bench",
            DRONE_REPO_NAME: "bench",
            DRONE_BUILD_NUMBER: String(run * 10 + count),
            PLUGIN_URL: pve.url,
            PLUGIN_INSECURE: "true",
            PLUGIN_TOKEN_ID: pve.tokenId,
            PLUGIN_TOKEN_SECRET: pve.tokenSecret,
            PLUGIN_TEMPLATE: "9000",
            PLUGIN_COUNT: String(count),
          };
          const result = await runBundle(bundle, env, workspace);
          if (result.code !== 0)
            return [
              {
                subject,
                measured: "-",
                baseline: "-",
                target: `≤ ${TARGET}×`,
                verdict: "FAIL",
                note: result.output.slice(-300),
              },
            ];
          times[count]?.push(result.ms);
          await runBundle(bundle, { ...env, PLUGIN_ACTION: "destroy" }, workspace);
        }
      }
      const five = median(times[5] ?? []);
      const one = median(times[1] ?? []);
      const ratio = five / one;
      return [
        {
          subject,
          measured: `${(five / 1000).toFixed(2)} s`,
          baseline: `${(one / 1000).toFixed(2)} s`,
          ratio,
          target: `≤ ${TARGET}×`,
          verdict: verdict(ratio, TARGET),
          note: `median of ${RUNS}; clone 1.2 s, start 0.6 s, agent 2.5 s`,
        },
      ];
    } finally {
      await pve.stop();
      await rm(workspace, { recursive: true, force: true });
    }
  },
};
