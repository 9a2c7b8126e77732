import type { E2ePlan } from "../plan.ts";

/** Drone's clone credentials, which the runner may give every step. */
const NETRC = /^DRONE_NETRC_/;

/**
 * The environment of what the step starts: WebdriverIO (and the repository's spec code in its
 * workers), adb, the emulator, Appium. The step's own environment without its settings
 * (`PLUGIN_*`: tokens, keys), without Drone's clone credentials, and without any variable that
 * holds one of the step's secrets (a `from_secret` given both as a setting and under a name of
 * its own). What the spec code can still read is said in docs/emulator-e2e.md: it runs as the
 * plugin's user, so the plugin's own process (`/proc/<pid>/environ`) is open to it.
 */
export function toolEnvironment(
  env: Readonly<Record<string, string | undefined>>,
  secrets: readonly (string | undefined)[] = [],
): Record<string, string> {
  const known = secrets.filter((secret): secret is string => secret !== undefined && secret.length >= 4);
  const kept: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined || key.startsWith("PLUGIN_") || NETRC.test(key)) continue;
    if (known.some((secret) => value.includes(secret))) continue;
    kept[key] = value;
  }
  return kept;
}

/** The secrets of a plan: the download's token and the SSH credentials. */
export function planSecrets(plan: E2ePlan): (string | undefined)[] {
  const app = plan.app?.kind === "url" ? plan.app.token : undefined;
  const logins = plan.ssh ? [plan.ssh.login, ...(plan.ssh.proxy ? [plan.ssh.proxy] : [])] : [];
  return [app, ...logins.flatMap((login) => [login.privateKey, login.password, login.passphrase])];
}
