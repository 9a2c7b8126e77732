import type { HostAddress } from "@hangar/kit";
import type { HostOutcome } from "./deploy.ts";

export interface RolloutResult {
  outcomes: HostOutcome[];
  /** Hosts a rolling deploy did not reach because an earlier one failed. */
  skipped: HostAddress[];
}

/**
 * Deploys to every host: `rolling` one after the other, stopping at the first failure so the
 * rest keep the release they run; `parallel` all at once, each to its own verdict.
 * `deployOne` reports a failure as an outcome, so one host cannot hide another's result.
 */
export async function rollout(
  hosts: readonly HostAddress[],
  strategy: "rolling" | "parallel",
  deployOne: (host: HostAddress) => Promise<HostOutcome>,
): Promise<RolloutResult> {
  if (strategy === "parallel") return { outcomes: await Promise.all(hosts.map(deployOne)), skipped: [] };
  const outcomes: HostOutcome[] = [];
  for (const [index, host] of hosts.entries()) {
    const outcome = await deployOne(host);
    outcomes.push(outcome);
    if (!outcome.ok) return { outcomes, skipped: hosts.slice(index + 1) };
  }
  return { outcomes, skipped: [] };
}
