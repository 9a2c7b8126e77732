import {
  errorMessage,
  looksLikePem,
  matchFiles,
  type PlanContext,
  type SettingProblem,
  type SettingsOf,
} from "@hangar/kit";
import { unrepresentable } from "./dotenv.ts";
import { knownHostsEntries } from "./host-key.ts";
import { parseHost } from "./hosts.ts";
import { composeFileProblem, readKeyFile, readKnownHosts, withoutSetting } from "./inputs.ts";
import { dotenvPath, projectFromRepo } from "./plan.ts";
import type { ComposeDeploySchema } from "./settings.ts";

type Settings = SettingsOf<ComposeDeploySchema>;
type Context = PlanContext<ComposeDeploySchema>;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Everything that can be wrong with the settings, found before any connection is made. */
export async function checkSettings(
  settings: Partial<Settings>,
  context: Context,
): Promise<SettingProblem[]> {
  const { problem, build, env, log } = context;
  const problems: SettingProblem[] = [];

  for (const value of settings.host ?? []) {
    const parsed = parseHost(value, settings.port ?? 22);
    if (typeof parsed === "string") problems.push(problem("host", "E_SETTING_HOST", parsed, value));
  }

  const credentials = [settings.key, settings.key_path, settings.password].filter(Boolean).length;
  if (credentials === 0) {
    problems.push(problem("key", "E_SETTING_REQUIRED", "is required: give `key`, `key_path` or `password`"));
  }
  if (settings.key && settings.key_path) {
    problems.push(problem("key_path", "E_SETTING_CONFLICT", "cannot be used together with `key`"));
  }
  if (settings.key && !looksLikePem(settings.key)) {
    problems.push(
      problem("key", "E_SETTING_KEY", "is not a private key (expected `-----BEGIN … PRIVATE KEY-----`)", "x"),
    );
  }
  if (settings.key_path) {
    const key = await readKeyFile(build.workspace, settings.key_path).catch((error: unknown) => error);
    if (key instanceof Error) {
      problems.push(
        problem(
          "key_path",
          "E_SETTING_FILE",
          `cannot be read: ${withoutSetting(key, "key_path")}`,
          settings.key_path,
        ),
      );
    } else if (!looksLikePem(String(key))) {
      problems.push(problem("key_path", "E_SETTING_KEY", "does not hold a private key", settings.key_path));
    }
  }

  const knownHosts = await readKnownHosts(build.workspace, settings.known_hosts).catch(
    (error: unknown) => error,
  );
  if (knownHosts instanceof Error) {
    problems.push(
      problem(
        "known_hosts",
        "E_SETTING_FILE",
        `cannot be read: ${withoutSetting(knownHosts, "known_hosts")}`,
      ),
    );
  } else if (typeof knownHosts === "string" && knownHostsEntries(knownHosts).length === 0) {
    problems.push(problem("known_hosts", "E_SETTING_INVALID", "holds no `host keytype key` line"));
  }
  if (!settings.fingerprint && !settings.known_hosts && !settings.insecure_ignore_host_key) {
    problems.push(
      problem(
        "fingerprint",
        "E_SETTING_REQUIRED",
        "is required to verify the host: give `fingerprint` or `known_hosts` (or, knowingly, `insecure_ignore_host_key: true`)",
      ),
    );
  }

  const proxySettings = [
    "proxy_port",
    "proxy_username",
    "proxy_key",
    "proxy_key_path",
    "proxy_password",
    "proxy_passphrase",
    "proxy_fingerprint",
  ] as const;
  if (settings.proxy_host) {
    const parsed = parseHost(settings.proxy_host, settings.proxy_port ?? 22);
    if (typeof parsed === "string")
      problems.push(problem("proxy_host", "E_SETTING_HOST", parsed, settings.proxy_host));
    if (!settings.proxy_fingerprint && !settings.known_hosts && !settings.insecure_ignore_host_key) {
      problems.push(
        problem(
          "proxy_fingerprint",
          "E_SETTING_REQUIRED",
          "is required to verify the jump host: give `proxy_fingerprint`, or its line in `known_hosts`",
        ),
      );
    }
    if (settings.proxy_key_path) {
      const key = await readKeyFile(build.workspace, settings.proxy_key_path, "proxy_key_path").catch(
        (error: unknown) => error,
      );
      if (key instanceof Error)
        problems.push(
          problem(
            "proxy_key_path",
            "E_SETTING_FILE",
            `cannot be read: ${withoutSetting(key, "proxy_key_path")}`,
            settings.proxy_key_path,
          ),
        );
    }
  } else {
    // proxy_port has a default, so only a value other than it counts as given.
    const given = proxySettings.filter((name) =>
      name === "proxy_port"
        ? settings.proxy_port !== undefined && settings.proxy_port !== 22
        : settings[name],
    );
    for (const name of given) {
      problems.push(problem(name, "E_SETTING_UNUSED", "has no effect without `proxy_host`"));
    }
  }

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
