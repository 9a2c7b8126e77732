import { Connector, type Runtime } from "@hangar/kit";
import type { HostTarget } from "../host-target.ts";
import { SshRunner } from "./runner-ssh.ts";

/** SSH logins are bounded; the emulator's own waits have their settings. */
const CONNECT_TIMEOUT_MS = 30_000;

/** One SSH connection to the host, and the runner on it; `close` ends both. */
export async function openHost(target: HostTarget, artifacts: string, runtime: Runtime): Promise<SshRunner> {
  const connector = new Connector({
    proxy: target.proxy,
    connectTimeoutMs: CONNECT_TIMEOUT_MS,
    // Each command brings its own deadline; this one only bounds the runner's own chores.
    commandTimeoutMs: 60_000,
    log: runtime.log,
  });
  try {
    const remote = await connector.connect({ ...target.login, address: target.address });
    const runner = await SshRunner.open(remote, artifacts, runtime.log, runtime.cleanupSignal, () =>
      connector.close(),
    );
    return runner;
  } catch (error) {
    connector.close();
    throw error;
  }
}
