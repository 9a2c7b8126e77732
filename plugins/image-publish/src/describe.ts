/** The plan as the log and a dry run print it. */
import { type AppendPlan, isPlainHttp, type PublishPlan } from "./plan.ts";

function appendLines(a: AppendPlan, plan: PublishPlan): string[] {
  const files = a.context.files.filter((f) => f.kind !== "folder").length;
  const lines = [
    `base:      ${a.base.name}${a.base.sameRegistry ? " (same registry: its blobs are mounted)" : ` (${a.base.url}: its blobs are copied)`}`,
    `platforms: ${a.platforms?.join(", ") ?? "every platform the base offers"}`,
    `context:   ${a.context.relative} → ${a.workdir} (${files} files, ${a.context.bytes} bytes, one layer for every platform${a.owner ? `, owned by ${a.owner.uid}:${a.owner.gid}` : ""})`,
    `time:      ${plan.created} (${plan.epochWhy})`,
    `config:    workdir ${a.workdir}${a.entrypoint ? `, entrypoint ${JSON.stringify(a.entrypoint)}` : ""}${a.cmd ? `, cmd ${JSON.stringify(a.cmd)}` : ""}${a.user ? `, user ${a.user}` : ""}${a.env ? `, env ${Object.keys(a.env).join(", ")}` : ""}`,
  ];
  for (const [k, v] of Object.entries(plan.labels)) lines.push(`label:     ${k}=${v}`);
  for (const f of a.native)
    lines.push(
      `native:    ${f.path} (${f.architecture ?? "unknown architecture"})${a.allowNative ? " allowed (allow_native)" : ""}`,
    );
  return lines;
}

function tagLines(plan: PublishPlan): string[] {
  const lines = plan.tags.plain.map((p) => `tag:       ${p.tag} (${p.why})`);
  if (plan.tags.version) {
    // The policy (@hangar/oci) moves no alias for a lightweight tag unless `latest: force`.
    const aliasesHeld = plan.tagType?.annotated === false && !plan.giteaTag && plan.latest !== "force";
    const which =
      plan.tags.aliases === "none"
        ? "none"
        : aliasesHeld
          ? "its own tag only (a lightweight tag moves no alias)"
          : plan.tags.aliases === "all"
            ? "its own tag, X.Y, X and latest"
            : "latest";
    const type = plan.giteaTag
      ? `not in the clone: ${plan.giteaTag.url} is asked whether it is annotated`
      : plan.tagType?.why;
    lines.push(
      `version:   ${plan.tags.version}${type ? ` (${type})` : ""}: ${which}; latest ${plan.latest}: aliases move only forward, decided against the registry's tags when the run starts`,
    );
  } else if (plan.tags.aliases === "latest") {
    lines.push(
      `tag:       latest (${plan.latest === "force" ? "latest force" : "no version on this build: moves only with latest: force"})`,
    );
  }
  return lines;
}

export function describePlan(plan: PublishPlan): string {
  const lines = [
    `image:     ${plan.repo} (registry ${plan.registry.url}${plan.registry.credentials ? ` as ${plan.registry.credentials.username}` : ", anonymous"})`,
    ...(plan.append ? appendLines(plan.append, plan) : []),
    ...(plan.sources ?? []).map(
      (s) => `source:    ${s.name} (its blobs are mounted into ${plan.repository})`,
    ),
    ...tagLines(plan),
  ];
  if (plan.ca) lines.push("tls:       the registry's certificate is checked against ca_cert");
  if (isPlainHttp(plan.registry)) lines.push(`warning:   plain http to ${plan.registry.host} (insecure)`);
  return lines.join("\n");
}
