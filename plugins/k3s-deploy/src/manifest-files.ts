import { realpath, stat } from "node:fs/promises";
import path from "node:path";
import { setImmediate as yieldToEvents } from "node:timers/promises";
import {
  errorMessage,
  formatBytes,
  listWorkspaceFiles,
  matchFiles,
  readWorkspaceFile,
  resolveInWorkspace,
} from "@hangar/kit";
import { type Document, parseAllDocuments } from "yaml";

/**
 * The manifest files a `manifests` entry names, read through the kit's workspace reader (a link
 * out of the workspace is refused, for a file, a directory and every file in it), with one cap
 * on the size of all of them together, and parsed document by document, handing the event loop
 * back in between so that a cancel is heard even while a big file is parsed.
 */

/** All manifests together: far beyond any real deployment, small enough to parse in seconds. */
export const MAX_MANIFEST_BYTES = 8 * 1024 * 1024;

const MANIFEST_FILE = /\.(ya?ml|json)$/i;
const GLOB = /[*?[{]/;

export interface ManifestFile {
  /** Relative to the workspace, for messages. */
  relative: string;
  text: string;
}

async function filesOf(workspace: string, entry: string): Promise<string[]> {
  if (GLOB.test(entry)) {
    const { files } = await matchFiles(workspace, [entry]);
    return files.map((file) => file.absolute);
  }
  const options = { setting: "manifests" };
  const files = await listWorkspaceFiles(workspace, entry, options);
  // A file named directly is read whatever its name; a directory gives its manifest files.
  const real = await resolveInWorkspace(workspace, entry, options);
  return (await stat(real)).isDirectory() ? files.filter((file) => MANIFEST_FILE.test(file)) : files;
}

/** Reads every file the entries name, collecting each problem; stops at the size cap. */
export async function readManifestFiles(
  workspace: string,
  entries: readonly string[],
): Promise<{ files: ManifestFile[]; problems: string[] }> {
  const root = await realpath(workspace);
  const files: ManifestFile[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  let total = 0;
  for (const entry of entries) {
    let names: string[];
    try {
      names = await filesOf(workspace, entry);
    } catch (error) {
      problems.push(`${entry}: ${errorMessage(error).replace(/^manifests: /, "")}`);
      continue;
    }
    if (names.length === 0) problems.push(`"${entry}" matches no manifest file in the workspace`);
    for (const name of names) {
      const real = await realpath(name).catch(() => name);
      if (seen.has(real)) continue;
      seen.add(real);
      const relative = path.relative(root, real);
      try {
        total += (await stat(real)).size;
        if (total > MAX_MANIFEST_BYTES) {
          problems.push(
            `the manifests add up to more than ${formatBytes(MAX_MANIFEST_BYTES)} (the limit) at ${relative}; deploy big data another way (a volume, an image) than in a manifest`,
          );
          return { files, problems };
        }
        files.push({
          relative,
          text: await readWorkspaceFile(root, relative, {
            setting: "manifests",
            maxBytes: MAX_MANIFEST_BYTES,
          }),
        });
      } catch (error) {
        problems.push(`${relative}: ${errorMessage(error).replace(/^manifests: /, "")}`);
      }
    }
  }
  return { files, problems };
}

/**
 * The YAML documents of a text, one at a time, with a turn of the event loop between them. The
 * text is cut at its `---` lines first and each piece parsed alone: the YAML library's composer
 * slows down with every document of one long stream (8000 documents took seconds).
 */
export async function* parseDocuments(text: string): AsyncGenerator<Document.Parsed> {
  let since = Date.now();
  let carried = "";
  for (const piece of text.split(/^(?=---(?:[ \t\r]|$))/m)) {
    // Directives and comments before a `---` belong to the document it starts.
    if (/^(?:[ \t]*(?:[#%].*)?\r?\n)*[ \t]*(?:[#%].*)?$/.test(piece)) {
      carried += piece;
      continue;
    }
    for (const document of parseAllDocuments(carried + piece)) yield document as Document.Parsed;
    carried = "";
    if (Date.now() - since > 50) {
      await yieldToEvents();
      since = Date.now();
    }
  }
}
