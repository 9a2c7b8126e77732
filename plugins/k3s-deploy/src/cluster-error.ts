import { HangarError, type Logger } from "@hangar/kit";
import { ApiStatusError } from "./api.ts";

/**
 * An API failure as one line. What the server said is quoted only when it is a Kubernetes
 * Status (its `message`), masked, and cut short; anything else (a proxy's page, a server that
 * echoes the request with its token) is not quoted at all.
 */

function statusMessage(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { kind?: string; message?: unknown };
    if (parsed.kind === "Status" && typeof parsed.message === "string") return parsed.message.slice(0, 500);
  } catch {
    // not a Status object
  }
  return undefined;
}

export function isStatus(error: unknown, ...statuses: number[]): error is ApiStatusError {
  return error instanceof ApiStatusError && statuses.includes(error.status);
}

/** Turns a client error into one line; `quiet` leaves out what the server said (it may echo a Secret). */
export function clusterError(
  error: unknown,
  what: string,
  options: { quiet?: boolean; log?: Logger } = {},
): HangarError {
  if (error instanceof HangarError) return error;
  const mask = (text: string) => (options.log ? options.log.mask.apply(text) : text);
  if (error instanceof ApiStatusError) {
    const status = statusMessage(error.body);
    const said = options.quiet
      ? "the answer is not shown, it may quote the Secret's data"
      : (status ?? `the answer is not a Kubernetes Status (${error.body.length} bytes, not shown)`);
    return new HangarError(
      `E_KUBERNETES_${error.status}`,
      mask(`${what} failed: HTTP ${error.status}: ${said}`),
      {
        hint:
          error.status === 401
            ? "The credentials were refused: check the token or kubeconfig."
            : error.status === 403
              ? "The credentials may not do this: check the service account's RBAC role in the namespace."
              : undefined,
      },
    );
  }
  const cause =
    error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
  const tls = /certificate|self[- ]signed|CERT_|unable to verify/i.test(cause);
  return new HangarError(
    tls ? "E_KUBERNETES_TLS" : "E_KUBERNETES_UNREACHABLE",
    mask(`${what} failed: ${cause}`),
    {
      hint: tls
        ? "The API server's certificate is not trusted: give the CA as `ca_cert` (or in the kubeconfig)."
        : "Check that the server address is reachable from the runner.",
    },
  );
}

/**
 * The object changed since it was read: another deploy wrote it in between. Here, not in
 * cluster.ts, so the deploy steps can catch it without loading the API client at start.
 */
export class ConflictError extends HangarError {
  constructor(what: string) {
    super("E_KUBERNETES_CONFLICT", `${what} was changed by someone else while this build applied it`);
  }
}
