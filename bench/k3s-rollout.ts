/**
 * k3s-deploy waiting for a rollout in the Kubernetes stand-in: the time from the moment the last
 * workload becomes available (the stand-in's controller records it) to the plugin reporting
 * success (its closing line on stdout), against a naive wait that checks the Deployment every
 * 5 s, measured in the same run. Target: ≤ 1 s. The plugin watches; it should not need to poll.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  createTlsCertificate,
  type KubernetesStandIn,
  startKubernetesStandIn,
} from "../shared/testbed/src/index.ts";
import { type Bench, type BenchContext, bundlePath, median, type Row, verdict } from "./lib.ts";

const RUNS = 3;
const TARGET_MS = 1000;
const POLL_MS = 5000;
/** Time between the stand-in's rollout steps: a rollout takes about three of them. */
const STEP_MS = 400;

const MANIFEST = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: { app: web }
  template:
    metadata:
      labels: { app: web }
    spec:
      containers:
        - name: web
          image: web:1
`;

const now = () => performance.timeOrigin + performance.now();

/** Runs the bundle; resolves with the time its success line appeared on stdout. */
function runUntilSuccess(bundle: string, env: NodeJS.ProcessEnv, cwd: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle], { env, cwd, stdio: ["ignore", "pipe", "pipe"] });
    let seen: number | undefined;
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (seen === undefined && /✔ \d+ objects applied/.test(output)) seen = now();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0 && seen !== undefined) resolve(seen);
      else reject(new Error(`k3s-deploy exited ${code}: ${output.slice(-400)}`));
    });
  });
}

/** The naive wait: read the Deployment every 5 s until it is available. */
async function pollEveryFiveSeconds(k: KubernetesStandIn, namespace: string): Promise<number> {
  for (;;) {
    const status = k.get("apps/v1", "Deployment", namespace, "web")?.status as
      | { availableReplicas?: number; updatedReplicas?: number }
      | undefined;
    if (status?.availableReplicas === 2 && status.updatedReplicas === 2) return now();
    await sleep(POLL_MS);
  }
}

export const k3sRollout: Bench = {
  name: "k3s-rollout",
  title: `k3s-deploy: last workload available → success reported, vs a ${POLL_MS / 1000} s polling loop, target ≤ ${TARGET_MS} ms`,
  async run(ctx: BenchContext): Promise<Row[]> {
    const bundle = bundlePath(ctx.root, "k3s-deploy");
    const subject = "k3s-deploy rollout wait";
    if (!existsSync(bundle)) {
      return [
        { subject, measured: "-", baseline: "-", target: "-", verdict: "SKIP", note: "no k3s-deploy bundle" },
      ];
    }
    const certificate = await createTlsCertificate();
    const dir = await mkdtemp(join(tmpdir(), "hangar-bench-k3s-"));
    const k = await startKubernetesStandIn({ stepMs: STEP_MS, tls: certificate });
    try {
      await mkdir(join(dir, "k8s"));
      await writeFile(join(dir, "k8s", "web.yaml"), MANIFEST);
      const env = (namespace: string, extra: Record<string, string> = {}) => ({
        PATH: process.env.PATH ?? "",
        CI: "true",
        DRONE: "true",
        DRONE_REPO: "bench/app",
        DRONE_BUILD_EVENT: "push",
        PLUGIN_KUBECONFIG: k.kubeconfig(),
        PLUGIN_NAMESPACE: namespace,
        PLUGIN_MANIFESTS: "k8s/",
        ...extra,
      });
      const plugin: number[] = [];
      const naive: number[] = [];
      for (let index = 0; index < Math.min(RUNS, ctx.runs); index++) {
        ctx.progress(`k3s-rollout: run ${index + 1}`);
        const watched = `bench-watch-${index}`;
        const reported = await runUntilSuccess(bundle, env(watched), dir);
        const available = k.availableAt("Deployment", watched, "web");
        if (available === undefined) throw new Error("the stand-in recorded no rollout");
        plugin.push(reported - available);

        const polled = `bench-poll-${index}`;
        await runUntilSuccess(bundle, env(polled, { PLUGIN_WAIT: "false" }), dir);
        const detected = await pollEveryFiveSeconds(k, polled);
        naive.push(detected - (k.availableAt("Deployment", polled, "web") ?? detected));
      }
      const measured = median(plugin);
      const baseline = median(naive);
      return [
        {
          subject,
          measured: `${measured.toFixed(0)} ms`,
          baseline: `${baseline.toFixed(0)} ms (poll every ${POLL_MS / 1000} s)`,
          ratio: measured / baseline,
          target: `≤ ${TARGET_MS} ms`,
          verdict: verdict(measured, TARGET_MS),
          note: `median of ${plugin.length}; plugin runs ${plugin.map((ms) => ms.toFixed(0)).join(", ")} ms, polling ${naive.map((ms) => ms.toFixed(0)).join(", ")} ms`,
        },
      ];
    } catch (error) {
      return [
        {
          subject,
          measured: "-",
          baseline: "-",
          target: `≤ ${TARGET_MS} ms`,
          verdict: "FAIL",
          note: error instanceof Error ? error.message : String(error),
        },
      ];
    } finally {
      await k.stop();
      await certificate.remove();
      await rm(dir, { recursive: true, force: true });
    }
  },
};
