import { checkSshSettings, errorMessage, matchFiles, type SettingProblem } from "@hangar/kit";
import { unrepresentable } from "./dotenv.ts";
import { composeFileProblem } from "./inputs.ts";
import { dotenvPath, projectFromRepo, serviceWays } from "./plan.ts";
import type { Context, Settings } from "./settings.ts";

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Everything that can be wrong with the settings, found before any connection is made. */
export async function checkSettings(
  settings: Partial<Settings>,
  context: Context,
): Promise<SettingProblem[]> {
  const { problem, build, env, log } = context;
  const problems: SettingProblem[] = [];

  problems.push(...(await checkSshSettings(settings, settings.host ?? [], build.workspace, problem)));

  if (!settings.project && !projectFromRepo(build.repo.name)) {
    problems.push(problem("project", "E_SETTING_REQUIRED", "is required: the build names no repository"));
  }

  for (const file of settings.compose_files ?? []) {
    const problemText = await composeFileProblem(build.workspace, file);
    if (problemText) problems.push(problem("compose_files", "E_SETTING_FILE", problemText, file));
  }
  if (settings.env_files?.length) {
    try {
      const { unmatched } = await matchFiles(build.workspace, settings.env_files);
      for (const pattern of unmatched)
        problems.push(problem("env_files", "E_SETTING_FILE", "matches no file in the workspace", pattern));
    } catch (error) {
      problems.push(
        problem("env_files", "E_SETTING_FILE", errorMessage(error), settings.env_files.join(", ")),
      );
    }
  }

  const badNames = Object.keys(settings.env ?? {}).filter((name) => !ENV_NAME.test(name));
  if (badNames.length > 0) {
    problems.push(
      problem("env", "E_SETTING_INVALID", `has names that are not variable names: ${badNames.join(", ")}`),
    );
  }
  for (const [name, value] of Object.entries(settings.env ?? {})) {
    const why = unrepresentable(value);
    if (why) problems.push(problem("env", "E_SETTING_DOTENV", `${name}'s value ${why}`, value));
  }
  for (const name of settings.env_secrets ?? []) {
    const value = env[name];
    log.mask.add(value);
    // The value is secret: the message names the variable only.
    const why = value === undefined ? undefined : unrepresentable(value);
    if (why) problems.push(problem("env_secrets", "E_SETTING_DOTENV", `${name}'s value ${why}`));
    if (value === undefined || value === "") {
      problems.push(
        problem(
          "env_secrets",
          "E_SETTING_SECRET_MISSING",
          `names ${name}, which is not set in the step's environment (add it under \`environment:\` with \`from_secret\`)`,
        ),
      );
    }
    if (settings.env && name in settings.env) {
      problems.push(problem("env_secrets", "E_SETTING_CONFLICT", `names ${name}, which \`env\` sets too`));
    }
  }
  const dotenv = dotenvPath(settings.compose_files ?? []);
  if (
    (Object.keys(settings.env ?? {}).length > 0 || (settings.env_secrets?.length ?? 0) > 0) &&
    settings.env_files?.includes(dotenv)
  ) {
    problems.push(
      problem(
        "env_files",
        "E_SETTING_CONFLICT",
        `ships ${dotenv}, which this plugin writes from \`env\` and \`env_secrets\`: rename the file, or move its lines into \`env\``,
      ),
    );
  }

  if (settings.canary !== undefined && settings.update !== "rollout") {
    problems.push(
      problem(
        "canary",
        "E_SETTING_CONFLICT",
        "needs `update: rollout` (a recreate has no old containers beside the new)",
      ),
    );
  }
  if (settings.update === "rollout" && settings.services?.length && settings.compose_files) {
    const ways = await serviceWays(build.workspace, settings.compose_files, settings.services).catch(
      () => undefined,
    );
    for (const refused of ways?.refused ?? []) {
      problems.push(
        problem(
          "services",
          "E_SETTING_CONFLICT",
          `names ${refused.service}, which \`update: rollout\` cannot roll out: ${refused.why}; leave it out of \`services\` (it is then recreated) or change the compose file`,
        ),
      );
    }
  }

  if (settings.registry_username && !settings.registry_password) {
    problems.push(problem("registry_password", "E_SETTING_REQUIRED", "is required with `registry_username`"));
  }
  if (settings.registry_password && !settings.registry_username) {
    problems.push(problem("registry_username", "E_SETTING_REQUIRED", "is required with `registry_password`"));
  }
  if (settings.registry && !settings.registry_username) {
    problems.push(problem("registry_username", "E_SETTING_REQUIRED", "is required with `registry`"));
  }
  return problems;
}

/** The deploy to carry out; the settings passed `checkSettings`. */
