/**
 * Remote commands are built from argument arrays and quoted here, in one place, for the POSIX
 * shell sshd runs them with: no value from the settings can become shell syntax.
 */

const SAFE = /^[\w@%+=:,./-]+$/;

/** One argument, quoted for `sh`: `it's` → `'it'\''s'`. */
export function quote(arg: string): string {
  if (arg === "") return "''";
  return SAFE.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** An argument array as one shell command line. */
export function shellJoin(argv: readonly string[]): string {
  return argv.map(quote).join(" ");
}

/**
 * A script whose interpolated values are quoted: `sh\`rm -rf ${dir}\`` cannot remove more than
 * `dir`, whatever it holds. An array becomes several quoted words.
 */
export function sh(
  strings: TemplateStringsArray,
  ...values: (string | number | readonly string[])[]
): string {
  let script = strings[0] ?? "";
  values.forEach((value, index) => {
    const text = Array.isArray(value) ? shellJoin(value) : quote(String(value));
    script += text + (strings[index + 1] ?? "");
  });
  return script;
}

/** Paths on the host, always joined with `/`, whatever the runner's platform. */
export function remoteJoin(...parts: string[]): string {
  return parts
    .filter((part) => part !== "")
    .join("/")
    .replace(/\/+/g, "/")
    .replace(/\/\.\//g, "/")
    .replace(/(.)\/$/, "$1");
}

export function remoteDirname(path: string): string {
  const index = path.lastIndexOf("/");
  return index <= 0 ? "/" : path.slice(0, index);
}
