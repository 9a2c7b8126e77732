/**
 * The release's `.env`, read by compose to fill `${VAR}` in the compose files. The two compose
 * generations parse it differently: v1 (python-dotenv) unescapes `\\` and `\'` inside single
 * quotes, v2 (compose-go) takes single-quoted text as it is and cannot hold a `'` there. Each
 * value is written so that the compose found on the host reads back exactly the value given,
 * with no `${…}` expansion.
 */

export type DotenvFlavour = "v1" | "v2";

/**
 * Why compose v1 cannot read a value back as given, if it cannot. python-dotenv (what compose v1
 * reads `.env` with) has no way to escape a `${…}`: it expands it, even inside single quotes,
 * from the host's environment and the entries before it (`${DB_PASSWORD}` would copy a secret
 * into another variable). And its single-quote rule takes `\\'` at the end of a value for an
 * escaped quote, so a value ending in `\` swallows the lines after it and the next value's lines
 * become entries (`A=x\` then `B=fix\⏎INJECTED=pwned⏎#\` defines INJECTED, drops A and B). The host's compose is
 * known only after connecting, and a stack must not break when it moves to a v1 host: such
 * values are refused with a settings error, for either compose, before anything is done.
 */
export function unrepresentable(value: string): string | undefined {
  if (value.endsWith("\\"))
    return "ends with a backslash, which docker-compose v1 reads as escaping the closing quote";
  if (/\$\{[^}]*\}/.test(value))
    // biome-ignore lint/suspicious/noTemplateCurlyInString: compose's placeholder syntax, not JavaScript's
    return "holds `${…}`, which docker-compose v1 expands even in a quoted .env value";
  return undefined;
}

export function renderDotenv(
  entries: readonly (readonly [string, string])[],
  flavour: DotenvFlavour,
): string {
  return entries
    .map(([name, value]) => {
      // The settings check refused these already; never write a file compose would misread.
      if (unrepresentable(value)) throw new Error(`the .env value of ${name} cannot be written safely`);
      return `${name}=${quoteValue(value, flavour)}\n`;
    })
    .join("");
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
