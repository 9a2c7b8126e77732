import { type Daemon, describeFailure } from "./daemon.ts";
import { freePort } from "./ports.ts";
import { waitUntil } from "./wait.ts";

export interface FreePortStart {
  /** Writes what the daemon needs to listen on `port`, and spawns it. */
  spawn(port: number): Promise<Daemon>;
  /** What is awaited, for the error message ("sshd's banner on 127.0.0.1:PORT"). */
  readiness(port: number): string;
  /** True once the daemon answers on `port`; a throw is a "not yet" with its reason. */
  ready(port: number): Promise<boolean>;
  timeoutMs: number;
  /** What the daemon prints when another process bound the port first. */
  portTaken: string;
}

/**
 * Spawns a daemon on a free port and waits until it answers. freePort() finds a port that was
 * free a moment ago, so when another process bound it in between, the daemon is started again on
 * another one (three tries in all). Any other failure stops the daemon and is thrown.
 */
export async function startOnFreePort(start: FreePortStart): Promise<{ daemon: Daemon; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const daemon = await start.spawn(port);
    try {
      await waitUntil(start.readiness(port), () => start.ready(port), {
        timeoutMs: start.timeoutMs,
        failIf: () => (daemon.exitReason() ? describeFailure(daemon) : undefined),
      });
      return { daemon, port };
    } catch (error) {
      await daemon.stop();
      if (attempt < 3 && daemon.output().includes(start.portTaken)) continue;
      throw error;
    }
  }
}
