import { DEPLOYMENT_LABEL, type DeployPlan, objectName } from "./plan.ts";

/** What dry_run prints; Secret data is never shown, only its keys. */
export function describePlan(plan: DeployPlan): string {
  const lines = [
    `${plan.action === "delete" ? "delete namespace" : "deploy to namespace"} ${plan.namespace} on ${plan.access.server}`,
  ];
  if (plan.action === "delete") {
    lines.push(
      `refuses a namespace hangar did not create${plan.force ? " (force: deletes it anyway)" : ""}; waits up to ${plan.timeoutMs / 1000}s`,
    );
    return lines.join("\n");
  }
  lines.push(
    `apply:    server-side, field manager "${plan.fieldManager}", forced on conflicts${plan.serverDryRun ? ", with the API's dry run" : ""}`,
    `labels:   ${Object.entries(plan.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(", ")}`,
  );
  plan.objects.forEach((object, index) => {
    const keys =
      object.kind === "Secret" && object.data
        ? ` (keys: ${Object.keys(object.data as object).join(", ")})`
        : "";
    lines.push(`object:   ${objectName(object)}${keys}  ← ${plan.sources[index]}`);
  });
  for (const replaced of plan.replacedImages) lines.push(`image:    overridden in ${replaced}`);
  lines.push(
    `prune:    ${plan.prune ? `objects labelled ${DEPLOYMENT_LABEL}=${plan.deploymentId} that are not above` : "off"}`,
  );
  lines.push(
    `wait:     ${plan.wait ? `for every workload to roll out, at most ${plan.timeoutMs / 1000}s` : "off"}`,
  );
  if (plan.url) lines.push(`url:      ${plan.url}`);
  if (plan.access.kind === "token" && plan.access.insecure)
    lines.push("tls:      certificate NOT verified (insecure)");
  return lines.join("\n");
}
