import { errorMessage, HangarError, type SettingProblem, textOrFile } from "@hangar/kit";
import type { Context } from "./settings.ts";

/** Gitea keeps a release's title in a VARCHAR(255): a bigger file is a mistake (`title: CHANGELOG.md`). */
const MAX_TITLE_FILE = 1024;

/**
 * `title` is the text itself or, as drone-gitea-release takes it, a workspace file holding it
 * (`title: VERSION`). One line naming an existing entry, or ending like a text file, is a file;
 * a title with spaces is text. The file is read through the kit's workspace reader, so a link
 * out of the workspace is refused before a byte of it could end up in a public release's title.
 */
export async function readTitle(workspace: string, value: string): Promise<string> {
  const read = await textOrFile(workspace, value, {
    inline: (text) => /\s/.test(text.trim()),
    setting: "title",
    maxBytes: MAX_TITLE_FILE,
  });
  // A file ends with a newline (`echo 1.2.0 > VERSION`), which is no part of the title.
  return read.file === undefined ? read.text : read.text.trim();
}

export function titleProblem(problem: Context["problem"], error: unknown, value: string): SettingProblem {
  const code = error instanceof HangarError ? error.code : "E_SETTING_FILE";
  const message = errorMessage(error).replace(/^title: /, "");
  return problem("title", code, `cannot be read: ${message}`, value);
}
