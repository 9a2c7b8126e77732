import { HangarError } from "@hangar/kit";
import { AnswerTooLarge } from "./bounded-answer.ts";

/**
 * Why a call gave no usable answer when Gitea did not give a status: the network (`unreachable`,
 * worth another try), a certificate (`tls`), our own deadline (`timeout`), an answer over the
 * size cap (`too-large`), or a request Node refused to send (`invalid`).
 */
export type FailureKind = "unreachable" | "tls" | "timeout" | "too-large" | "invalid";

const CODES: Record<FailureKind, string> = {
  unreachable: "E_GITEA_UNREACHABLE",
  tls: "E_GITEA_TLS",
  timeout: "E_GITEA_TIMEOUT",
  "too-large": "E_GITEA_ANSWER_TOO_LARGE",
  invalid: "E_GITEA_REQUEST_INVALID",
};

/** A failed call: the HTTP status (none when Gitea did not answer) and Gitea's message. */
export class GiteaCallFailed extends HangarError {
  readonly status: number | undefined;
  readonly kind: FailureKind | undefined;
  /** What went wrong, without the call's name: `503 Service Unavailable`. */
  readonly detail: string;

  constructor(
    what: string,
    status: number | undefined,
    message: string,
    hint?: string,
    kind: FailureKind | undefined = status === undefined ? "unreachable" : undefined,
  ) {
    super(kind ? CODES[kind] : `E_GITEA_${status}`, `${what}: ${status ?? "no answer"} ${message}`.trim(), {
      ...(hint ? { hint } : {}),
    });
    this.name = "GiteaCallFailed";
    this.detail = `${status ?? "no answer"} ${message}`.trim();
    this.status = status;
    this.kind = kind;
  }

  /** A TLS failure: the certificate will not change on another try. */
  get tls(): boolean {
    return this.kind === "tls";
  }
}

/**
 * 429 and 5xx (but 501) may pass on another try, and so may a connection that failed. A call
 * that ran out of time is not tried again: that is what would multiply `timeout`.
 */
export function isTransient(error: unknown): boolean {
  if (!(error instanceof GiteaCallFailed)) return false;
  if (error.status === undefined) return error.kind === "unreachable";
  return error.status === 429 || (error.status >= 500 && error.status !== 501);
}

/** An upload that stopped moving, or whose answer did not come in time (upload.ts). */
export class StalledTransfer extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "StalledTransfer";
  }
}

/** What the plugin's calls need the token for, so a 403 can say which scope to grant. */
export interface Access {
  /** The scope the calls need: `write:repository`, `write:issue`. */
  scope: string;
  /** What the token's user may not do without it: `write releases`. */
  what: string;
}

export interface FailureContext {
  baseUrl: string;
  owner: string;
  repo: string;
  timeoutMs: number;
  access?: Access | undefined;
}

/** Turns what gitea-js, fetch or node:http threw into a GiteaCallFailed that says what to change. */
export function explainFailure(
  what: string,
  error: unknown,
  timedOut: boolean,
  target: FailureContext,
): GiteaCallFailed {
  if (error instanceof GiteaCallFailed) return error;
  if (error instanceof Response) {
    const body = (error as Response & { error?: unknown }).error;
    // gitea-js leaves the JSON parser's error there when the answer was a proxy's HTML page.
    const message =
      body && typeof body === "object" && !(body instanceof Error) && "message" in body
        ? String((body as { message: unknown }).message)
        : error.statusText;
    return new GiteaCallFailed(what, error.status, message, hintFor(error.status, message, target));
  }
  if (error instanceof AnswerTooLarge) {
    return new GiteaCallFailed(
      what,
      undefined,
      `(${error.message}) from ${target.baseUrl}`,
      "An API answer is small: check that `base_url` is Gitea itself and not a page or a file in front of it.",
      "too-large",
    );
  }
  if (timedOut || error instanceof StalledTransfer) {
    const reason =
      error instanceof StalledTransfer ? error.message : `timed out after ${target.timeoutMs / 1000}s`;
    return new GiteaCallFailed(
      what,
      undefined,
      `(${reason}) from ${target.baseUrl}`,
      "Gitea (or a proxy in front of it) did not answer in time: check that it is up, or raise `timeout`.",
      "timeout",
    );
  }
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const source = cause ?? (error as { code?: string; message?: string });
  const text = `${source?.message ?? ""} ${source?.code ?? ""}`;
  // Node refuses a header holding a line break before anything is sent; its message quotes
  // the value, which may be the token, so it is not repeated.
  if (/invalid header|ERR_INVALID_CHAR|ERR_INVALID_HTTP_TOKEN/i.test(text)) {
    return new GiteaCallFailed(
      what,
      undefined,
      "(a request header holds a character HTTP does not allow)",
      "Check `api_key` for a line break or a space copied with it.",
      "invalid",
    );
  }
  const reason = cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
  const tls = /certificate|self[- ]signed|CERT_|ERR_TLS/i.test(text);
  return new GiteaCallFailed(
    what,
    undefined,
    `(${reason}) from ${target.baseUrl}`,
    tls
      ? "Trust Gitea's CA with `ca_cert` (or, last resort, `insecure: true`)."
      : "Check `base_url` and that the runner can reach Gitea.",
    tls ? "tls" : "unreachable",
  );
}

/** What to change for the 4xx answers a user can act on. */
function hintFor(status: number, message: string, target: FailureContext): string | undefined {
  switch (status) {
    case 401:
      return "The token is missing, wrong or expired: check `api_key` (the secret behind `from_secret`).";
    case 403: {
      // Gitea names the scope a token lacks: "token does not have at least one of required scope(s): [write:issue]".
      const missing = /required scope\(s\): \[([^\]]+)\]/.exec(message)?.[1];
      const scope = missing ?? target.access?.scope;
      const what = target.access?.what ?? "do this";
      return scope
        ? `The token's user cannot ${what} in ${target.owner}/${target.repo}: it needs the ${scope} scope and write access to the repository.`
        : `The token's user cannot ${what} in ${target.owner}/${target.repo}: check the token's scopes and the user's access to the repository.`;
    }
    case 404:
      return `Check \`owner\`/\`repo\` (${target.owner}/${target.repo}) and \`base_url\` (${target.baseUrl}).`;
    case 400:
      return /type|allowed/i.test(message)
        ? "Gitea refuses this file type: allow it in app.ini, [repository.release] ALLOWED_TYPES (empty allows every type), then restart Gitea."
        : undefined;
    case 413:
      return "The file is over a size limit: raise [attachment] MAX_SIZE (MiB) in Gitea's app.ini, and client_max_body_size (or the like) in a reverse proxy in front of it.";
    case 422:
      return "Gitea refused the request's fields; the message above names the one.";
    default:
      return undefined;
  }
}
