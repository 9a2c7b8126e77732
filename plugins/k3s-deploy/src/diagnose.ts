import type { Logger } from "@hangar/kit";
import type { CoreV1Event, V1Deployment, V1Pod } from "@kubernetes/client-node";
import type { Cluster, KubeObject } from "./cluster.ts";
import type { RolloutResult } from "./rollout.ts";

/**
 * What a user needs to see when a rollout does not finish: for each unready workload its pods'
 * phases, the reasons its containers wait (ImagePullBackOff, CrashLoopBackOff …), the recent
 * events of the workload and its pods, and the last log lines of a container that crashed.
 */

const LOG_LINES = 20;
const EVENTS = 10;

function selectorOf(workload: KubeObject | undefined): string | undefined {
  // Deployments, StatefulSets, DaemonSets and Jobs all select their pods the same way.
  const labels = (workload as V1Deployment | undefined)?.spec?.selector?.matchLabels;
  if (!labels || Object.keys(labels).length === 0) return undefined;
  return Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(",");
}

export async function diagnose(
  cluster: Cluster,
  namespace: string,
  result: RolloutResult,
  log: Logger,
): Promise<string[]> {
  const { kind, name } = result.workload;
  const reasons: string[] = [];
  log.section(`${kind}/${name}: ${result.state.message}`);
  const selector = selectorOf(result.last) ?? (kind === "Job" ? `job-name=${name}` : undefined);
  const pods = (
    selector ? await cluster.list("v1", "Pod", namespace, { labelSelector: selector }) : []
  ) as V1Pod[];
  const events = (await cluster.list("v1", "Event", namespace)) as CoreV1Event[];
  const names = new Set([name, ...pods.map((pod) => pod.metadata?.name ?? "")]);
  for (const pod of pods) {
    const podName = pod.metadata?.name ?? "";
    log.info(`pod ${podName}: ${pod.status?.phase ?? "Unknown"}`);
    for (const container of pod.status?.containerStatuses ?? []) {
      const waiting = container.state?.waiting;
      const terminated = container.state?.terminated ?? container.lastState?.terminated;
      const state = waiting
        ? `waiting: ${waiting.reason}${waiting.message ? ` (${waiting.message})` : ""}`
        : container.state?.running
          ? "running"
          : terminated
            ? `terminated: ${terminated.reason} (exit ${terminated.exitCode})`
            : "unknown";
      log.info(
        `  container ${container.name}: ${state}${container.restartCount ? `, ${container.restartCount} restarts` : ""}`,
      );
      if (waiting?.reason) reasons.push(waiting.reason);
      const crashed =
        container.restartCount > 0 ||
        waiting?.reason === "CrashLoopBackOff" ||
        (terminated && terminated.exitCode !== 0);
      if (crashed) {
        const lines = await cluster.logTail(namespace, podName, container.name, LOG_LINES);
        log.info(`  last log lines of ${container.name}:`);
        for (const line of lines.trimEnd().split("\n")) log.info(`    | ${line}`);
      }
    }
  }
  if (selector && pods.length === 0) log.info("no pods");
  const recent = events
    .filter((event) => names.has(event.involvedObject?.name ?? ""))
    .sort((a, b) => String(a.lastTimestamp ?? "").localeCompare(String(b.lastTimestamp ?? "")))
    .slice(-EVENTS);
  if (recent.length > 0) log.info("events:");
  for (const event of recent)
    log.info(
      `  ${event.type} ${event.reason} ${event.involvedObject?.kind}/${event.involvedObject?.name}: ${event.message}`,
    );
  return reasons;
}
