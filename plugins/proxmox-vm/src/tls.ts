import type { ClientRequestArgs } from "node:http";
import { Agent } from "node:https";
import type { Duplex } from "node:stream";
import tls from "node:tls";
import { HangarError } from "@hangar/kit";

/**
 * How the plugin trusts the API's certificate. Proxmox ships a self-signed one per node (signed
 * by the cluster's own CA), so the choices are: that CA (`ca_cert`), the certificate's SHA-256
 * fingerprint as the GUI shows it (`fingerprint`), or nothing (`insecure`, with a warning).
 * Kept in this client's own agent, not the process's defaults: nothing else is loosened.
 */
export interface TlsTrust {
  ca?: string | undefined;
  fingerprint?: string | undefined;
  insecure: boolean;
}

/** `AB:CD:…` (the GUI), `ab cd …` or plain hex: 64 hex digits, upper-case with colons. */
export function normaliseFingerprint(text: string): string | undefined {
  const hex = text
    .trim()
    .replace(/^sha256[:=]?\s*/i, "")
    .replace(/[\s:]/g, "")
    .toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) return undefined;
  return hex.match(/../g)?.join(":");
}

const tlsError = (message: string) =>
  new HangarError("E_PROXMOX_TLS", message, {
    hint: "Check `fingerprint` against the node's certificate (Datacenter → node → System → Certificates), or give `ca_cert`.",
  });

/**
 * What a request passes its agent, beside the usual: the signal that bounds the call (the step's
 * deadline and cancel, and the per-call limit). Node keeps a request's own `signal` from its agent.
 */
export interface ConnectionBound {
  handshakeSignal?: AbortSignal | undefined;
}

/**
 * An agent whose connections are handed to a request only after the server's certificate
 * matched the pin: the request (and its token) is never written to an impostor. The agent's
 * callback form of createConnection makes that wait possible. While that wait lasts the request
 * has no socket, and Node reports its abort only once one arrives: a server that accepts TCP and
 * never finishes the handshake would hold the call forever, so the handshake itself ends with the
 * call's signal. Defined on first use: extending Agent loads node:https (and tls, net, http),
 * which a dry run never needs.
 */
let PinnedAgent: (new (fingerprint: string) => Agent) | undefined;

function pinnedAgent(fingerprint: string): Agent {
  PinnedAgent ??= class Pinned extends Agent {
    readonly #fingerprint: string;

    constructor(fingerprint: string) {
      super({ keepAlive: true, maxSockets: 16 });
      this.#fingerprint = fingerprint;
    }

    override createConnection(
      options: ClientRequestArgs,
      callback?: (error: Error | null, stream: Duplex) => void,
    ): Duplex | null | undefined {
      const signal = (options as ClientRequestArgs & ConnectionBound).handshakeSignal;
      let done = false;
      const finish = (error: Error | null, socket: tls.TLSSocket) => {
        if (done) return;
        done = true;
        signal?.removeEventListener("abort", onAbort);
        callback?.(error, socket);
      };
      const onAbort = () => {
        socket.destroy();
        finish(signal?.reason instanceof Error ? signal.reason : new Error("aborted"), socket);
      };
      const socket = tls.connect({
        ...(options as tls.ConnectionOptions),
        servername: options.host && !/^[\d.:]+$/.test(options.host) ? options.host : undefined,
        rejectUnauthorized: false,
      });
      socket.once("secureConnect", () => {
        const seen = socket.getPeerCertificate().fingerprint256;
        if (seen?.toUpperCase() === this.#fingerprint) return finish(null, socket);
        socket.destroy();
        finish(
          tlsError(`the API's certificate has fingerprint ${seen}, not the pinned ${this.#fingerprint}`),
          socket,
        );
      });
      socket.once("error", (error) => finish(error, socket));
      if (signal?.aborted) onAbort();
      else signal?.addEventListener("abort", onAbort, { once: true });
      return undefined;
    }
  };
  return new PinnedAgent(fingerprint);
}

export function agentFor(trust: TlsTrust): Agent {
  if (trust.fingerprint) return pinnedAgent(trust.fingerprint);
  if (trust.insecure) return new Agent({ keepAlive: true, maxSockets: 16, rejectUnauthorized: false });
  const ca = trust.ca ? [...tls.getCACertificates("default"), trust.ca] : undefined;
  return new Agent({ keepAlive: true, maxSockets: 16, ...(ca ? { ca } : {}) });
}

const TLS_CODES = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/** A certificate the client refused, explained; undefined for other errors. */
export function explainTlsError(error: unknown): HangarError | undefined {
  if (error instanceof HangarError && error.code === "E_PROXMOX_TLS") return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (!code || !TLS_CODES.has(code)) return undefined;
  return new HangarError("E_PROXMOX_TLS", `the API's certificate is not trusted (${code})`, {
    hint: "Proxmox signs its certificates with its own CA: give that CA as `ca_cert` (/etc/pve/pve-root-ca.pem), or pin the certificate with `fingerprint`.",
  });
}
