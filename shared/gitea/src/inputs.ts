import { type BuildContext, caCertProblem, type SettingProblem } from "@hangar/kit";

/** Visible ASCII only: a token with a line break or a control character cannot be sent as a header. */
export function isHeaderSafe(token: string): boolean {
  return /^[\x21-\x7e]*$/.test(token);
}

/** The settings every Gitea plugin shares, as a plugin's `check` sees them. */
export interface ConnectionSettings {
  base_url?: string | undefined;
  api_key?: string | undefined;
  owner?: string | undefined;
  repo?: string | undefined;
  ca_cert?: string | undefined;
}

export type ConnectionSetting = keyof ConnectionSettings;

export type ProblemFor<S extends string> = (
  setting: S,
  code: string,
  message: string,
  value?: string,
) => SettingProblem;

/**
 * What is wrong with the connection settings, before any call: an address, owner and repository
 * the build cannot supply, a token no HTTP header can carry, a `ca_cert` that is no certificate.
 */
export async function checkConnection(
  settings: ConnectionSettings,
  build: BuildContext,
  problem: ProblemFor<ConnectionSetting>,
): Promise<SettingProblem[]> {
  const problems: SettingProblem[] = [];
  if (settings.base_url === undefined && !build.forgeUrl) {
    problems.push(
      problem(
        "base_url",
        "E_SETTING_REQUIRED",
        "is required: the build names no repository link to derive it from",
      ),
    );
  }
  if (settings.owner === undefined && !build.repo.owner) {
    problems.push(problem("owner", "E_SETTING_REQUIRED", "is required: the build names no repository"));
  }
  if (settings.repo === undefined && !build.repo.name) {
    problems.push(problem("repo", "E_SETTING_REQUIRED", "is required: the build names no repository"));
  }
  if (settings.api_key !== undefined && !isHeaderSafe(settings.api_key)) {
    problems.push(
      problem(
        "api_key",
        "E_SETTING_INVALID",
        "holds a line break or another character an HTTP header cannot carry (a secret saved with a trailing newline?)",
      ),
    );
  }
  if (settings.ca_cert !== undefined) {
    const caProblem = await caCertProblem(problem, build.workspace, settings.ca_cert);
    if (caProblem) problems.push(caProblem);
  }
  return problems;
}
