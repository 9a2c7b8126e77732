/**
 * Drone's substitution of `${VAR}` in `.drone.yml`, done on the file's text before it is parsed
 * (drone/envsubst): `${VAR}`, `${VAR:-default}`, `${VAR=default}`, `${VAR:offset}`,
 * `${VAR:offset:length}`, `${VAR#prefix}`, `${VAR##prefix}`, `${VAR%suffix}`, `${VAR%%suffix}`;
 * an unknown variable becomes empty, and `$$` is a literal `$` (how a step passes `${VAR}` on to
 * a plugin).
 */
export function substitute(text: string, vars: Readonly<Record<string, string | undefined>>): string {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)([^}]*)\}/g, (match, name?: string, rest = "") => {
    if (match === "$$") return "$";
    const value = vars[name as string] ?? "";
    return apply(value, rest as string);
  });
}

function apply(value: string, op: string): string {
  if (op === "") return value;
  const fallback = /^:?[-=](.*)$/s.exec(op);
  if (fallback) return value === "" ? (fallback[1] ?? "") : value;
  const range = /^:(\d+)(?::(\d+))?$/.exec(op);
  if (range) {
    const start = Number(range[1]);
    return range[2] === undefined ? value.slice(start) : value.slice(start, start + Number(range[2]));
  }
  const affix = /^(##?|%%?)(.*)$/s.exec(op);
  if (affix) return trim(value, affix[1] as string, affix[2] ?? "");
  return value;
}

/** `#`/`##` remove the shortest/longest matching prefix, `%`/`%%` the suffix; `*` matches anything. */
function trim(value: string, how: string, pattern: string): string {
  const source = pattern
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(how.length === 2 ? ".*" : ".*?");
  if (how.startsWith("#")) {
    const found = new RegExp(`^${source}`, "s").exec(value);
    return found ? value.slice(found[0].length) : value;
  }
  // Shortest suffix: try from the end; longest: from the start.
  const starts = Array.from({ length: value.length + 1 }, (_, index) => index);
  const order = how === "%" ? starts.reverse() : starts;
  const whole = new RegExp(`^${source}$`, "s");
  for (const start of order) if (whole.test(value.slice(start))) return value.slice(0, start);
  return value;
}
