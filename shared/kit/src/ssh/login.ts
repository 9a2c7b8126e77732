import { readFile } from "node:fs/promises";
import path from "node:path";
import * as z from "zod/mini";
import type { SettingProblem } from "../errors.ts";
import { readWorkspaceFile } from "../files.ts";
import type { Logger } from "../log.ts";
import { looksLikePem, textOrFile } from "../text-or-file.ts";
import type { SshLogin } from "./connection.ts";
import { type HostKeyPolicy, knownHostsEntries } from "./host-key.ts";
import { type HostAddress, parseHost } from "./hosts.ts";

/**
 * The SSH settings every plugin that logs in to a host shares (compose-deploy's, which keep
 * appleboy/drone-ssh's names), their checks, and how they become logins. A plugin declares the
 * settings with its own descriptions; the names, the rules and the mapping are these.
 */

/** `fingerprint` / `proxy_fingerprint`: SHA256 as `ssh-keygen -lf` prints it. */
export const sshFingerprintSchema = z.string().check(
  z.regex(/^SHA256:[A-Za-z0-9+/]{43}=?$/, {
    error: "must be a SHA256 host key fingerprint as `ssh-keygen -lf` prints it (SHA256:…, 43 characters)",
  }),
);

export interface SshConnectionSettings {
  port: number;
  username: string;
  key?: string | undefined;
  key_path?: string | undefined;
  password?: string | undefined;
  passphrase?: string | undefined;
  fingerprint?: string | undefined;
  known_hosts?: string | undefined;
  insecure_ignore_host_key: boolean;
  proxy_host?: string | undefined;
  proxy_port: number;
  proxy_username?: string | undefined;
  proxy_key?: string | undefined;
  proxy_key_path?: string | undefined;
  proxy_password?: string | undefined;
  proxy_passphrase?: string | undefined;
  proxy_fingerprint?: string | undefined;
}

export type SshSettingName = keyof SshConnectionSettings | "host";

/** The `problem` of a plugin's check context, for the SSH settings it declares. */
export type SshProblem = (
  setting: SshSettingName,
  code: string,
  message: string,
  value?: string,
) => SettingProblem;

/** known_hosts inline (lines have spaces) or a workspace file (names have none). */
export async function readKnownHosts(
  workspace: string,
  value: string | undefined,
): Promise<string | undefined> {
  if (value === undefined) return undefined;
  const inline = (text: string) => /\s/.test(text.trim());
  return (await textOrFile(workspace, value, { inline, setting: "known_hosts", maxBytes: 1024 * 1024 })).text;
}

/**
 * A key file: absolute (a secret mounted into the step's container, as documented) or relative
 * to the workspace, where it must be the repository's own file.
 */
export async function readKeyFile(workspace: string, file: string, setting = "key_path"): Promise<string> {
  if (path.isAbsolute(file)) return readFile(file, "utf8");
  return readWorkspaceFile(workspace, file, { setting, maxBytes: 64 * 1024 });
}

/** A reader's message without the setting's name in front: the settings error puts it there. */
export function withoutSetting(error: unknown, setting: string): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.startsWith(`${setting}: `) ? message.slice(setting.length + 2) : message;
}

/** A file setting that could not be read, as its problem (the reader's message names the setting; the list does). */
function unreadable(
  problem: SshProblem,
  setting: SshSettingName,
  error: Error,
  value?: string,
): SettingProblem {
  return problem(setting, "E_SETTING_FILE", `cannot be read: ${withoutSetting(error, setting)}`, value);
}

const PROXY_SETTINGS = [
  "proxy_port",
  "proxy_username",
  "proxy_key",
  "proxy_key_path",
  "proxy_password",
  "proxy_passphrase",
  "proxy_fingerprint",
] as const;

/**
 * Everything that can be wrong with the SSH settings, found before any connection is made:
 * unreadable hosts, no credentials, unreadable key files, no way to verify the host (or the jump
 * host), proxy settings without `proxy_host`.
 */
export async function checkSshSettings(
  settings: Partial<SshConnectionSettings>,
  hosts: readonly string[],
  workspace: string,
  problem: SshProblem,
): Promise<SettingProblem[]> {
  const problems: SettingProblem[] = [];
  for (const value of hosts) {
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
    const key = await readKeyFile(workspace, settings.key_path).catch((error: unknown) => error);
    if (key instanceof Error) {
      problems.push(unreadable(problem, "key_path", key, settings.key_path));
    } else if (!looksLikePem(String(key))) {
      problems.push(problem("key_path", "E_SETTING_KEY", "does not hold a private key", settings.key_path));
    }
  }

  const knownHosts = await readKnownHosts(workspace, settings.known_hosts).catch((error: unknown) => error);
  if (knownHosts instanceof Error) {
    problems.push(unreadable(problem, "known_hosts", knownHosts));
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
      const key = await readKeyFile(workspace, settings.proxy_key_path, "proxy_key_path").catch(
        (error: unknown) => error,
      );
      if (key instanceof Error)
        problems.push(unreadable(problem, "proxy_key_path", key, settings.proxy_key_path));
    }
  } else {
    // proxy_port has a default, so only a value other than it counts as given.
    const given = PROXY_SETTINGS.filter((name) =>
      name === "proxy_port"
        ? settings.proxy_port !== undefined && settings.proxy_port !== 22
        : settings[name],
    );
    for (const name of given) {
      problems.push(problem(name, "E_SETTING_UNUSED", "has no effect without `proxy_host`"));
    }
  }
  return problems;
}

export interface SshLogins {
  /** How to log in to each host; the address is filled in per host. */
  login: Omit<SshLogin, "address">;
  proxy?: SshLogin | undefined;
}

/**
 * The logins the settings describe (they passed `checkSshSettings`): key files read, every key
 * masked, the jump host with its own credentials or the host's. `insecure_ignore_host_key` prints
 * a warning that says what `exposed` to anyone in between.
 */
export async function sshLogins(
  settings: SshConnectionSettings,
  workspace: string,
  log: Logger,
  exposed: string,
): Promise<SshLogins> {
  const knownHosts = await readKnownHosts(workspace, settings.known_hosts);
  const hostKey = hostKeyPolicy(settings.fingerprint, knownHosts, settings.insecure_ignore_host_key);
  const privateKey =
    settings.key ?? (settings.key_path ? await readKeyFile(workspace, settings.key_path) : undefined);
  log.mask.add(privateKey);
  const login = {
    username: settings.username,
    privateKey,
    passphrase: settings.passphrase,
    password: settings.password,
    hostKey,
  };

  let proxy: SshLogin | undefined;
  if (settings.proxy_host) {
    const proxyKey =
      settings.proxy_key ??
      (settings.proxy_key_path
        ? await readKeyFile(workspace, settings.proxy_key_path, "proxy_key_path")
        : undefined);
    log.mask.add(proxyKey);
    const ownCredentials = proxyKey !== undefined || settings.proxy_password !== undefined;
    proxy = {
      address: parseHost(settings.proxy_host, settings.proxy_port) as HostAddress,
      username: settings.proxy_username ?? settings.username,
      // Without credentials of its own, the jump host gets the host's.
      privateKey: ownCredentials ? proxyKey : privateKey,
      passphrase: ownCredentials ? settings.proxy_passphrase : settings.passphrase,
      password: ownCredentials ? settings.proxy_password : settings.password,
      hostKey: hostKeyPolicy(settings.proxy_fingerprint, knownHosts, settings.insecure_ignore_host_key),
    };
  }
  if (settings.insecure_ignore_host_key) {
    log.warn(
      `insecure_ignore_host_key is on: host keys are not checked, so anyone between the runner and the host could take ${exposed}`,
    );
  }
  return { login, proxy };
}

export function hostKeyPolicy(
  fingerprint: string | undefined,
  knownHosts: string | undefined,
  insecure: boolean,
): HostKeyPolicy {
  if (fingerprint) return { kind: "fingerprint", fingerprint };
  if (knownHosts) return { kind: "known_hosts", content: knownHosts };
  if (insecure) return { kind: "insecure" };
  // checkSshSettings makes sure one of the three is given.
  throw new Error("no host key policy");
}

/** How the dry run names a host key check. */
export function describeHostKey(policy: HostKeyPolicy): string {
  return policy.kind === "fingerprint"
    ? `host key ${policy.fingerprint}`
    : policy.kind === "known_hosts"
      ? "host key from known_hosts"
      : "host key NOT checked";
}
