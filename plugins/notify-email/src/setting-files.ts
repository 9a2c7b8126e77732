import { errorMessage, HangarError, looksLikeTemplate, textOrFile } from "@hangar/kit";

/**
 * The settings that may name a workspace file (`body`, `ca_cert`) are read here, through the
 * kit's reader: the real path is resolved and a symlink out of the workspace is refused before
 * a byte is read, in the dry run too. The setting's name goes with every read, so the error
 * says which setting named the file.
 */

/** A body template file is a page of HTML, not a data file. */
const MAX_BODY_BYTES = 1024 * 1024;

export function readBody(workspace: string, value: string): Promise<{ text: string; file?: string }> {
  return textOrFile(workspace, value, {
    inline: looksLikeTemplate,
    setting: "body",
    maxBytes: MAX_BODY_BYTES,
  });
}

/**
 * Why a setting's file could not be read, for a settings problem: the kit's code and message,
 * without the `setting: ` the kit puts in front (the problem names the setting already). Never
 * the file's content: the kit's errors carry the path only.
 */
export function readFailure(setting: string, error: unknown): { code: string; message: string } {
  const message = errorMessage(error).replace(new RegExp(`^${setting}: `), "");
  return {
    code: error instanceof HangarError ? error.code : "E_SETTING_FILE",
    message: `cannot be read: ${message}`,
  };
}
