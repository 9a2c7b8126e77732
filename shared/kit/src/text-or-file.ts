import { lstat } from "node:fs/promises";
import { readWorkspaceFile, workspacePath } from "./files.ts";

const TEMPLATE_FILE = /\.(html?|hbs|handlebars|tpl|tmpl|txt|md)$/i;

export interface TextOrFileOptions {
  /** Whether the value is text by its look (a PEM block, a template with `{{`). */
  inline: (value: string) => boolean;
  /** The setting, for messages: `note`. */
  setting?: string;
  maxBytes?: number;
}

/**
 * A setting that holds either text or the path of a file with the text (`body`, `ca_cert`):
 * `file://` always means a file, one line naming an existing workspace entry (or ending like
 * a template file) means a file, anything else is the text itself. The file is read through
 * the kit's workspace reader: a link out of the workspace is refused, never followed.
 */
export async function textOrFile(
  workspace: string,
  value: string,
  options: TextOrFileOptions,
): Promise<{ text: string; file?: string }> {
  const explicit = value.startsWith("file://");
  const candidate = explicit ? value.slice("file://".length) : value.trim();
  if (!explicit && (options.inline(value) || candidate.includes("\n"))) return { text: value };
  const file = workspacePath(workspace, candidate);
  if (explicit || TEMPLATE_FILE.test(candidate) || (await entryExists(file))) {
    const read = {
      ...(options.setting ? { setting: options.setting } : {}),
      ...(options.maxBytes ? { maxBytes: options.maxBytes } : {}),
    };
    return { text: await readWorkspaceFile(workspace, candidate, read), file: candidate };
  }
  return { text: value };
}

/** lstat, not access: a link that leads out must be taken as a file (and refused), not as text. */
async function entryExists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch {
    return false;
  }
}

export const looksLikeTemplate = (value: string) => /[<{]/.test(value);
export const looksLikePem = (value: string) => value.includes("-----BEGIN");
