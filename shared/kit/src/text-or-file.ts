import { access, readFile } from "node:fs/promises";
import { workspacePath } from "./files.ts";

const TEMPLATE_FILE = /\.(html?|hbs|handlebars|tpl|tmpl|txt|md)$/i;

/**
 * A setting that holds either text or the path of a file with the text (`body`, `ca_cert`):
 * `file://` always means a file, one line naming an existing workspace file (or ending like
 * a template file) means a file, anything else is the text itself.
 */
export async function textOrFile(
  workspace: string,
  value: string,
  options: { inline: (value: string) => boolean },
): Promise<{ text: string; file?: string }> {
  const explicit = value.startsWith("file://");
  const candidate = explicit ? value.slice("file://".length) : value.trim();
  if (!explicit && (options.inline(value) || candidate.includes("\n"))) return { text: value };
  const file = workspacePath(workspace, candidate);
  if (explicit || TEMPLATE_FILE.test(candidate) || (await exists(file))) {
    return { text: await readFile(file, "utf8"), file: candidate };
  }
  return { text: value };
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

export const looksLikeTemplate = (value: string) => /[<{]/.test(value);
export const looksLikePem = (value: string) => value.includes("-----BEGIN");
