import { fileProblem, type SettingProblem } from "./errors.ts";
import { looksLikePem, textOrFile } from "./text-or-file.ts";

/** A CA bundle is a few certificates; a larger file is a wrong path, not a bundle. */
const MAX_CA_BYTES = 1024 * 1024;

/**
 * `ca_cert` as every plugin reads it: PEM text, or a workspace file holding it (a link out of
 * the workspace is refused by the reader).
 */
export async function readCaCert(workspace: string, value: string): Promise<string> {
  return (
    await textOrFile(workspace, value, { inline: looksLikePem, setting: "ca_cert", maxBytes: MAX_CA_BYTES })
  ).text;
}

/** What is wrong with `ca_cert`, found before any connection: unreadable, or no PEM in it. */
export async function caCertProblem<S extends string>(
  problem: (setting: S | "ca_cert", code: string, message: string, value?: string) => SettingProblem,
  workspace: string,
  value: string,
): Promise<SettingProblem | undefined> {
  try {
    if (looksLikePem(await readCaCert(workspace, value))) return undefined;
    return problem("ca_cert", "E_SETTING_INVALID", "holds no PEM certificate", value);
  } catch (error) {
    return fileProblem(problem, "ca_cert", error, value);
  }
}
