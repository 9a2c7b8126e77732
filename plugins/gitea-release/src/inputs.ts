import { textOrFile } from "@hangar/kit";

/**
 * `note` is Markdown or a workspace file holding it. The file is read through the kit's
 * workspace reader: a link out of the workspace (`NOTES.md -> /proc/self/environ`) is refused
 * before a byte is read, so nothing of the runner can end up in a public release.
 */
export async function readNote(workspace: string, value: string): Promise<string> {
  const read = await textOrFile(workspace, value, {
    inline: (text) => text.includes(" ") || text.includes("#"),
    setting: "note",
  });
  return read.text;
}

/** The checksum asset is named, not placed: `../x` would write outside the temporary folder. */
export function isPlainName(name: string): boolean {
  return name !== "" && !/[/\\\0]/.test(name) && name !== "." && name !== "..";
}
