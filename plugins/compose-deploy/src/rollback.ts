import type { RemoteHost } from "@hangar/kit";
import { errorMessage, type Logger, remoteJoin } from "@hangar/kit";
import { type ComposeCommand, composeArgv, type StackFiles } from "./compose.ts";
import type { DeployPlan } from "./plan.ts";
import { type HttpProbe, verifyUrl } from "./proof.ts";
import { readManifest } from "./release.ts";
import { updateServices } from "./update.ts";

export interface RollbackOptions {
  plan: DeployPlan;
  compose: ComposeCommand;
  /** The stack of the release that failed. */
  failed: StackFiles;
  /** The release to go back to: the one that was current (or previous, when the failed one was current). */
  to: string | undefined;
  /** The services the failed deploy touched; empty for all. */
  services: readonly string[];
  dockerConfig: string | undefined;
  log: Logger;
  probe: HttpProbe;
  /** The connection under the clean-up signal (what a failed rollout's removal runs on). */
  cleanup: RemoteHost;
  signal?: AbortSignal | undefined;
}

/**
 * Brings the previous release back up after a failed deploy and waits for it as for a deploy,
 * so the step can say whether the host is serving again. Returns the sentence that says what
 * was done; never throws, since the step fails anyway and must say why.
 */
export async function rollBack(remote: RemoteHost, options: RollbackOptions): Promise<string> {
  const { plan, compose, log } = options;
  if (!plan.rollback) return "rollback is off: the failed release is left as it is";

  if (!options.to) {
    // The first deploy: "as it was" means nothing running. Volumes stay.
    const remove = options.services.length
      ? ["rm", "--stop", "--force", ...options.services]
      : ["down", ...(plan.removeOrphans ? ["--remove-orphans"] : [])];
    log.section(`${remote.label}: first deploy to this host, nothing to roll back to`);
    try {
      await remote.exec(composeArgv(compose, options.failed, undefined, ...remove), { stream: true });
      return "this was the first deploy to the host, so there was nothing to roll back to: the failed release's containers were stopped and removed (volumes kept)";
    } catch (error) {
      return `this was the first deploy to the host, so there was nothing to roll back to; removing the failed containers failed too: ${errorMessage(error)}`;
    }
  }

  log.section(`${remote.label}: rolling back to ${options.to}`);
  const manifest = await readManifest(remote, plan.target, options.to).catch(() => undefined);
  if (!manifest) {
    return `could not roll back: ${remoteJoin(plan.target, "releases", options.to)} has no readable .hangar-release.json (it was not deployed by compose-deploy); the failed release is left as it is`;
  }
  const dir = remoteJoin(plan.target, "releases", options.to);
  const stack: StackFiles = {
    project: manifest.project,
    composeFiles: manifest.composeFiles.map((file) => remoteJoin(dir, file)),
    envFile: manifest.envFile ? remoteJoin(dir, manifest.envFile) : undefined,
  };
  const services = options.services.length
    ? options.services.filter((service) => manifest.services.includes(service))
    : manifest.services;
  try {
    const selected = options.services.length ? services : [];
    // With `update: rollout`, a rollback is a rollout of the previous release: the services it
    // left untouched are still on that release and stay as they are.
    const updated = await updateServices(remote, {
      plan,
      compose,
      stack,
      dockerConfig: options.dockerConfig,
      services,
      selected,
      cleanup: options.cleanup,
      log,
      signal: options.signal,
    });
    if (plan.verify && !updated.verifiedPerContainer)
      await verifyUrl(options.probe, { ...plan.verify, log, signal: options.signal });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    return `rolled back to release ${options.to}, but it is not healthy either: ${errorMessage(error)}`;
  }
  return `rolled back to release ${options.to}, which is running${plan.wait ? " and healthy" : ""}${plan.verify ? ` and answers ${plan.verify.url}` : ""} again`;
}
