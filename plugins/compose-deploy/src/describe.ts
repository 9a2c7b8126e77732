import { describeHostKey, formatDuration, remoteJoin } from "@hangar/kit";
import { type DeployPlan, describePromotion } from "./plan.ts";

/** What `dry_run` prints: every host, file, command and check the deploy would run, no secret. */
export function describePlan(plan: DeployPlan): string {
  const auth = plan.login.privateKey ? "private key" : "password";
  const hostKey = describeHostKey;
  const releaseDir = remoteJoin(plan.target, "releases", plan.release);
  const dotenv = plan.dotenv
    ? plan.dotenv.entries
        .map(([name, value]) =>
          plan.dotenv?.secret.includes(name) ? `${name}=(secret)` : `${name}=${value}`,
        )
        .join(", ")
    : undefined;
  const up = ["up -d", plan.removeOrphans ? "--remove-orphans" : ""].filter(Boolean).join(" ");
  const lines = [
    `deploy compose project "${plan.project}" as release ${plan.release} to ${plan.hosts.length} host(s)${plan.hosts.length > 1 ? `, ${plan.strategy}` : ""}`,
    ...plan.hosts.map(
      (host) => `host:      ${plan.login.username}@${host.label} (${auth}, ${hostKey(plan.login.hostKey)})`,
    ),
    ...(plan.proxy
      ? [`jump host: ${plan.proxy.username}@${plan.proxy.address.label} (${hostKey(plan.proxy.hostKey)})`]
      : []),
    ...(describePromotion(plan.build) ? [`promotion: ${describePromotion(plan.build)}`] : []),
    `release:   ${releaseDir}, then ${remoteJoin(plan.target, "current")} → it`,
    `files:     ${plan.files.map((file) => `${file.relative} (${file.size} B)`).join(", ")}`,
    ...(plan.dotenv && dotenv ? [`.env:      ${plan.dotenv.path}: ${dotenv}`] : []),
    ...(plan.registry
      ? [
          `registry:  log in to ${plan.registry.server ?? "Docker Hub"} as ${plan.registry.username} (password on stdin)`,
        ]
      : []),
    `compose:   ${plan.pull ? "pull, " : ""}${up}${plan.services ? ` ${plan.services.join(" ")}` : " (every service)"}`,
    ...(plan.rollout
      ? [
          `update:    rollout: new containers beside the old, proven, then the old retired after a drain of ${formatDuration(plan.rollout.drainMs)}`,
          ...(plan.rollout.canary
            ? [
                `  canary: one new container per rolled-out service first, for ${formatDuration(plan.rollout.canary.durationMs)}, probed every ${formatDuration(plan.rollout.canary.intervalMs)}`,
              ]
            : []),
          ...plan.rollout.ways.map((way) => `  ${way.service}: ${way.way} (${way.why})`),
        ]
      : []),
    `proof:     ${
      [
        plan.wait ? `services running and healthy within ${formatDuration(plan.wait.timeoutMs)}` : "",
        plan.verify
          ? `${plan.verify.url} answers ${plan.verify.status} (${plan.verify.retries} tries, ${formatDuration(plan.verify.intervalMs)} apart, from ${plan.verify.from === "remote" ? "the host" : "the runner"})`
          : "",
      ]
        .filter(Boolean)
        .join("; ") || "none (wait: false, no verify_url)"
    }`,
    `turns:     wait up to ${formatDuration(plan.lockTimeoutMs)} for the deploy lock on ${plan.target}; ${plan.allowOlder ? "deploy even over a newer build (force or a promote/rollback event)" : "skip when a newer build is current"}`,
    `failure:   ${plan.rollback ? "bring the previous release back up" : "leave the failed release as it is (rollback: false)"}`,
    `success:   keep ${plan.keepReleases} releases${plan.prune ? ", remove dangling images" : ""}`,
  ];
  return lines.join("\n");
}

/** Drone's repository name as a compose project name: `CalChat.Server` → `calchat-server`. */
