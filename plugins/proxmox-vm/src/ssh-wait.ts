import { connect } from "node:net";
import { formatDuration, HangarError, pollUntil, TimeoutError } from "@hangar/kit";

/**
 * `wait_ssh`: a VM is ready for the next step when its sshd sends its identification line
 * (`SSH-2.0-…`, RFC 4253 §4.2). An open port is not enough: a port forward or proxy in front of
 * the guest accepts connections while nothing answers behind it, and a sshd that is still
 * starting (host keys being generated on the first boot) closes them. The probe sends its own
 * identification and hangs up: it never logs in, so it checks no host key; the step that logs
 * in does that (its `fingerprint` or `known_hosts`).
 */

const PROBE_MS = 5000;
const MAX_GREETING = 8192;
const OWN_ID = "SSH-2.0-hangar_proxmox-vm_probe\r\n";

export type SshProbe = { banner: string } | { pending: string };

/** One look at `host:port`: the server's SSH identification line, or what was seen instead. */
export function probeSsh(host: string, port: number, signal: AbortSignal): Promise<SshProbe> {
  return new Promise((resolve) => {
    let connected = false;
    let received = "";
    let done = false;
    const socket = connect({ host, port });
    const finish = (result: SshProbe, hangUp = false) => {
      if (done) return;
      done = true;
      signal.removeEventListener("abort", stopped);
      if (hangUp) {
        // A polite goodbye, so the guest's log shows a client that left, not a broken one.
        socket.end(OWN_ID);
        setTimeout(() => socket.destroy(), 1000).unref();
      } else socket.destroy();
      resolve(result);
    };
    const silent = () =>
      received === ""
        ? `port ${port} accepts connections but sends no SSH banner`
        : `port ${port} answers, but not with SSH (got ${JSON.stringify(received.slice(0, 60))})`;
    const stopped = () => finish({ pending: connected ? silent() : `no answer on port ${port}` });
    if (signal.aborted) return stopped();
    signal.addEventListener("abort", stopped, { once: true });
    socket.setTimeout(PROBE_MS);
    socket.once("connect", () => {
      connected = true;
    });
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
      // Lines before the identification are allowed; it is the first that starts with SSH-.
      const complete = received.split(/\r?\n/).slice(0, -1);
      const banner = complete.find((line) => line.startsWith("SSH-"));
      // Printed in the log: the guest's text, so no control characters.
      if (banner) finish({ banner: banner.replace(/[^\x20-\x7e]/g, "?").slice(0, 120) }, true);
      else if (received.length > MAX_GREETING) finish({ pending: silent() });
    });
    socket.once("timeout", () =>
      finish({ pending: connected ? silent() : `no answer on port ${port} within ${PROBE_MS / 1000}s` }),
    );
    socket.once("error", (error: Error) => finish({ pending: error.message }));
    socket.once("close", () =>
      finish({
        pending:
          received === ""
            ? `port ${port} closed the connection before the SSH banner (sshd still starting?)`
            : silent(),
      }),
    );
  });
}

export interface SshTarget {
  ip: string;
  port: number;
  /** `VM 100 (e2e-42)`. */
  label: string;
  /** The step's `timeout`, named when it runs out. */
  timeoutMs: number;
}

/** Waits until the VM's sshd answers; fails with what was last seen and what to check. */
export async function waitForSsh(
  target: SshTarget,
  remainingMs: () => number,
  signal: AbortSignal,
): Promise<string> {
  const { ip, port, label } = target;
  try {
    return await pollUntil(
      async (poll) => {
        const probe = await probeSsh(ip, port, poll);
        return "banner" in probe ? probe.banner : probe;
      },
      {
        what: `SSH on ${ip}:${port}`,
        timeoutMs: remainingMs(),
        intervalMs: 500,
        maxIntervalMs: 3000,
        signal,
      },
    );
  } catch (error) {
    if (!(error instanceof TimeoutError)) throw error;
    const last = error.last ?? "no answer";
    throw new HangarError(
      "E_PROXMOX_NO_SSH",
      `${label} did not answer SSH on ${ip}:${port} within timeout (${formatDuration(target.timeoutMs)}) (last: ${last})`,
      {
        hint: "Check that the template starts sshd at boot (systemctl enable ssh; cloud-init's ssh module), that ssh_port is the port it listens on, and that the runner can reach the address (firewall, VLAN, bridge). Raise timeout for a slow first boot, or set wait_ssh: false.",
      },
    );
  }
}
