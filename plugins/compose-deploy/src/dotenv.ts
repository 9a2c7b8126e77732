/**
 * The release's `.env`, read by compose to fill `${VAR}` in the compose files. The two compose
 * generations parse it differently: v1 (python-dotenv) unescapes `\\` and `\'` inside single
 * quotes, v2 (compose-go) takes single-quoted text as it is and cannot hold a `'` there. Each
 * value is written so that the compose found on the host reads back exactly the value given,
 * with no `${…}` expansion.
 */

export type DotenvFlavour = "v1" | "v2";

export function renderDotenv(
  entries: readonly (readonly [string, string])[],
  flavour: DotenvFlavour,
): string {
  return entries.map(([name, value]) => `${name}=${quoteValue(value, flavour)}\n`).join("");
}

function quoteValue(value: string, flavour: DotenvFlavour): string {
  if (flavour === "v1") return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
  if (!value.includes("'")) return `'${value}'`;
  // Double quotes are the only way to carry a `'` to compose v2; `\$` keeps a `$` from expanding.
  const escaped = value
    .replace(/\\/g, "\\\\")
    .replace(/"/g, '\\"')
    .replace(/\$/g, "\\$")
    .replace(/\r/g, "\\r")
    .replace(/\n/g, "\\n");
  return `"${escaped}"`;
}
