import { type BuildContext, type Logger, readCaCert } from "@hangar/kit";
import type { GiteaTarget } from "./connection.ts";
import { applyTls, type TlsSettings } from "./tls.ts";

/** Where a Gitea plugin's calls go and how, as its plan holds it (what `dry_run` prints). */
export interface ConnectionPlan extends GiteaTarget {
  tls: TlsSettings;
}

/** The connection settings every Gitea plugin has, checked already by `checkConnection`. */
export interface ConnectionSettingValues {
  base_url?: string | undefined;
  api_key: string;
  owner?: string | undefined;
  repo?: string | undefined;
  ca_cert?: string | undefined;
  insecure: boolean;
  timeout: number;
}

/**
 * The connection part of a plan: `base_url` or the build's forge, the build's repository unless
 * `owner`/`repo` name another, the CA read from the workspace; `insecure` warns.
 */
export async function planConnection(
  settings: ConnectionSettingValues,
  build: BuildContext,
  log: Logger,
): Promise<ConnectionPlan> {
  if (settings.insecure)
    log.warn("insecure is on: Gitea's certificate is not checked, so the token could go to an impostor");
  return {
    baseUrl: (settings.base_url ?? build.forgeUrl ?? "").replace(/\/+$/, ""),
    owner: settings.owner ?? build.repo.owner,
    repo: settings.repo ?? build.repo.name,
    token: settings.api_key,
    tls: {
      ca: settings.ca_cert ? await readCaCert(build.workspace, settings.ca_cert) : undefined,
      insecure: settings.insecure,
    },
    timeoutMs: settings.timeout,
  };
}

/** Applies the plan's TLS trust and returns what a connection needs. */
export function targetOf(plan: ConnectionPlan): GiteaTarget {
  applyTls(plan.tls);
  const { baseUrl, owner, repo, token, timeoutMs } = plan;
  return { baseUrl, owner, repo, token, timeoutMs };
}

/** The dry run's line about TLS, padded to the plugin's column; none when the default applies. */
export function describeTls(tls: TlsSettings, label = "tls: "): string[] {
  if (tls.insecure) return [`${label}certificate NOT verified (insecure)`];
  if (tls.ca) return [`${label}verified against ca_cert`];
  return [];
}
