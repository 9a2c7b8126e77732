import { getPath, isObject, type JsonObject } from "./apply.ts";
import { badRequest } from "./status.ts";

/** Label and field selectors as the API server parses them; a selector it cannot parse is a 400. */

export type Matcher = (object: JsonObject) => boolean;

/** Splits at commas outside parentheses: `a in (x,y),b` → `a in (x,y)`, `b`. */
function terms(text: string): string[] {
  const result: string[] = [];
  let depth = 0;
  let current = "";
  for (const char of text) {
    if (char === "(") depth++;
    if (char === ")") depth--;
    if (char === "," && depth === 0) {
      result.push(current.trim());
      current = "";
    } else current += char;
  }
  if (current.trim()) result.push(current.trim());
  return result;
}

export function labelSelector(text: string | null): Matcher {
  if (!text) return () => true;
  const checks: ((labels: JsonObject) => boolean)[] = [];
  for (const term of terms(text)) {
    const equality = /^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/.exec(term);
    const set = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
    const exists = /^(!?)([\w./-]+)$/.exec(term);
    if (equality) {
      const [, key = "", op, value] = equality;
      checks.push(op === "!=" ? (l) => l[key] !== value : (l) => l[key] === value);
    } else if (set) {
      const [, key = "", op, list = ""] = set;
      const values = list.split(",").map((v) => v.trim());
      checks.push(
        op === "in"
          ? (l) => values.includes(String(l[key]))
          : (l) => l[key] === undefined || !values.includes(String(l[key])),
      );
    } else if (exists) {
      const [, not, key = ""] = exists;
      checks.push(not ? (l) => !(key in l) : (l) => key in l);
    } else {
      throw badRequest(`unable to parse requirement: found '${term}', expected: identifier`);
    }
  }
  return (object) => {
    const labels =
      isObject(object.metadata) && isObject(object.metadata.labels) ? object.metadata.labels : {};
    return checks.every((check) => check(labels));
  };
}

/** Field selectors: the fields every type supports, and those of events and pods. */
const FIELDS = new Set([
  "metadata.name",
  "metadata.namespace",
  "involvedObject.kind",
  "involvedObject.name",
  "involvedObject.namespace",
  "involvedObject.uid",
  "reason",
  "type",
  "status.phase",
  "spec.nodeName",
]);

export function fieldSelector(text: string | null, kind: string): Matcher {
  if (!text) return () => true;
  const checks: Matcher[] = [];
  for (const term of terms(text)) {
    const match = /^([\w.]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!match) throw badRequest(`invalid selector: '${term}'; can't understand '${term}'`);
    const [, field = "", op, value] = match;
    const general = field === "metadata.name" || field === "metadata.namespace";
    const forEvents =
      kind === "Event" && (field.startsWith("involvedObject.") || field === "reason" || field === "type");
    const forPods = kind === "Pod" && (field === "status.phase" || field === "spec.nodeName");
    if (!FIELDS.has(field) || !(general || forEvents || forPods))
      throw badRequest(`field label not supported: ${field}`);
    const path = field.split(".");
    checks.push((object) => {
      const actual = String(getPath(object, path) ?? "");
      return op === "!=" ? actual !== value : actual === value;
    });
  }
  return (object) => checks.every((check) => check(object));
}
