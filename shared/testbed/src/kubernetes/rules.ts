import type { ResourceType, SchemaIssue } from "./resources.ts";

/**
 * What the API server checks beyond the OpenAPI schema (k8s.io/apimachinery validation and
 * pkg/apis/<group>/validation): name formats, label syntax, a Deployment's selector matching its
 * template, base64 in a Secret's data. These are the rejections a naive client meets first
 * (a branch name such as `feature/login` is not a valid label value).
 */

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Kinds whose names must be DNS-1123 labels rather than subdomains. */
const LABEL_NAMED = new Set(["Namespace", "Service"]);

type Obj = Record<string, unknown>;
const asObj = (value: unknown): Obj =>
  value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Obj) : {};

export function nameProblem(kind: string, name: string): string | undefined {
  const label = LABEL_NAMED.has(kind);
  const max = label ? 63 : 253;
  if (name.length > max) return `must be no more than ${max} characters`;
  if (!(label ? DNS_LABEL : DNS_SUBDOMAIN).test(name)) {
    return label
      ? "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"
      : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
  }
  return undefined;
}

function qualifiedKeyProblem(key: string): string | undefined {
  const parts = key.split("/");
  if (parts.length > 2) return "a qualified name must consist of an optional DNS subdomain prefix and a name";
  const [prefix, name] = parts.length === 2 ? parts : [undefined, parts[0]];
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)))
    return "prefix part must be a DNS-1123 subdomain";
  if (!name || name.length > 63 || !QUALIFIED_NAME.test(name))
    return "name part must consist of alphanumeric characters, '-', '_' or '.', at most 63, starting and ending with an alphanumeric character";
  return undefined;
}

function labelProblems(field: string, labels: unknown): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  for (const [key, value] of Object.entries(asObj(labels))) {
    const keyProblem = qualifiedKeyProblem(key);
    if (keyProblem) issues.push({ field: `${field}`, message: `Invalid value: "${key}": ${keyProblem}` });
    if (typeof value === "string" && (value.length > 63 || !LABEL_VALUE.test(value))) {
      issues.push({
        field: `${field}`,
        message: `Invalid value: "${value}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', at most 63, and must start and end with an alphanumeric character`,
      });
    }
  }
  return issues;
}

function selectorMatches(selector: unknown, labels: unknown): boolean {
  const wanted = asObj(asObj(selector).matchLabels);
  const have = asObj(labels);
  return Object.entries(wanted).every(([key, value]) => have[key] === value);
}

function containerProblems(field: string, podSpec: Obj): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  const containers = Array.isArray(podSpec.containers) ? podSpec.containers : [];
  if (containers.length === 0) issues.push({ field: `${field}.containers`, message: "Required value" });
  containers.forEach((container, index) => {
    const c = asObj(container);
    if (typeof c.image !== "string" || c.image.trim() === "")
      issues.push({ field: `${field}.containers[${index}].image`, message: "Required value" });
    if (typeof c.name === "string" && !DNS_LABEL.test(c.name))
      issues.push({ field: `${field}.containers[${index}].name`, message: `Invalid value: "${c.name}"` });
  });
  return issues;
}

/** The server's semantic checks of a whole object (after apply), as `field: message` issues. */
export function semanticProblems(type: ResourceType, object: Obj): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  const metadata = asObj(object.metadata);
  const name = typeof metadata.name === "string" ? metadata.name : "";
  const problem = nameProblem(type.kind, name);
  if (problem) issues.push({ field: "metadata.name", message: `Invalid value: "${name}": ${problem}` });
  issues.push(...labelProblems("metadata.labels", metadata.labels));
  for (const key of Object.keys(asObj(metadata.annotations))) {
    const keyProblem = qualifiedKeyProblem(key);
    if (keyProblem)
      issues.push({ field: "metadata.annotations", message: `Invalid value: "${key}": ${keyProblem}` });
  }
  const spec = asObj(object.spec);
  if (["Deployment", "StatefulSet", "DaemonSet", "Job"].includes(type.kind)) {
    const template = asObj(spec.template);
    const templateLabels = asObj(template.metadata).labels;
    issues.push(...labelProblems("spec.template.metadata.labels", templateLabels));
    if (type.kind !== "Job") {
      if (Object.keys(asObj(asObj(spec.selector).matchLabels)).length === 0)
        issues.push({
          field: "spec.selector",
          message: "Invalid value: empty selector is invalid for deployment",
        });
      else if (!selectorMatches(spec.selector, templateLabels))
        issues.push({
          field: "spec.template.metadata.labels",
          message: "Invalid value: `selector` does not match template `labels`",
        });
    }
    issues.push(...containerProblems("spec.template.spec", asObj(template.spec)));
  }
  if (type.kind === "Pod") issues.push(...containerProblems("spec", spec));
  if (type.kind === "Secret" || type.kind === "ConfigMap") {
    const data = asObj(object.data);
    for (const [key, value] of Object.entries(data)) {
      if (!/^[-._a-zA-Z0-9]+$/.test(key) || key.length > 253)
        issues.push({
          field: `data[${key}]`,
          message: `Invalid value: "${key}": a valid config key must consist of alphanumeric characters, '-', '_' or '.'`,
        });
      // The value is not echoed: the real server does not print Secret data either.
      if (type.kind === "Secret" && (typeof value !== "string" || !BASE64.test(value)))
        issues.push({ field: `data[${key}]`, message: "Invalid value: illegal base64 data" });
    }
  }
  return issues;
}

/** Fields that cannot change once set (`field is immutable`). */
export function immutableProblems(type: ResourceType, before: Obj, after: Obj): SchemaIssue[] {
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const spec = (object: Obj) => asObj(object.spec);
  if (["Deployment", "StatefulSet", "DaemonSet"].includes(type.kind)) {
    if (!same(spec(before).selector, spec(after).selector))
      return [{ field: "spec.selector", message: "Invalid value: field is immutable" }];
  }
  if (type.kind === "Job" && !same(spec(before).template, spec(after).template))
    return [{ field: "spec.template", message: "Invalid value: field is immutable" }];
  if ((type.kind === "Secret" || type.kind === "ConfigMap") && before.immutable === true) {
    if (!same(before.data, after.data))
      return [{ field: "data", message: "Forbidden: field is immutable when `immutable` is set" }];
  }
  return [];
}
