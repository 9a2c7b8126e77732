import { readFile } from "node:fs/promises";
import { parseEnv } from "node:util";
import { droneMatch } from "./glob.ts";

export interface ScopedSecrets {
  /** The secrets this repository gets. */
  secrets: Record<string, string>;
  /** Whether the file scopes any secret to repositories (has a `[owner/name]` section). */
  scoped: boolean;
}

/**
 * A secrets file in dotenv form (as `drone exec --secret-file` reads one), with optional sections
 * that scope secrets to repositories, as Drone's repository and organisation secrets are:
 *
 *   notify_password=…             ← before any section: every repository
 *   [acme/calchat]                ← only acme/calchat
 *   vps_ssh_key="-----BEGIN…\n…"
 *   [acme/*]                      ← every repository of acme (the glob of `when.repo`)
 *   registry_token=…
 *
 * A section header is a line holding only `[pattern]`, outside a quoted value. Secrets of a
 * section whose pattern does not match `repo` are not given to it; where several sections
 * give the same name, the last one in the file wins.
 */
export function parseScopedSecrets(text: string, repo: string): ScopedSecrets {
  const secrets: Record<string, string> = {};
  let scoped = false;
  let pattern: string | undefined;
  let chunk: string[] = [];
  const flush = () => {
    if (pattern === undefined || droneMatch(pattern, repo))
      Object.assign(secrets, parseEnv(chunk.join("\n")) as Record<string, string>);
    chunk = [];
  };
  let quote: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    const header = quote === undefined ? /^\s*\[([^\]\s]+)\]\s*$/.exec(line) : null;
    if (header) {
      flush();
      pattern = header[1];
      scoped = true;
      continue;
    }
    chunk.push(line);
    quote = openQuote(line, quote);
  }
  flush();
  return { secrets, scoped };
}

/** The quote a dotenv line leaves open (a multi-line value), or undefined. */
function openQuote(line: string, open: string | undefined): string | undefined {
  if (open !== undefined) return line.includes(open) ? undefined : open;
  const start = /^\s*(?:export\s+)?[\w.-]+\s*=\s*(["'`])/.exec(line);
  if (!start) return undefined;
  const mark = start[1] as string;
  return line.slice(start[0].length).includes(mark) ? undefined : mark;
}

export async function readRepositorySecrets(file: string, repo: string): Promise<ScopedSecrets> {
  return parseScopedSecrets(await readFile(file, "utf8"), repo);
}
