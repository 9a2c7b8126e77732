/** Where in an SMTP session an injected failure answers instead of the server. */
export type SmtpStage = "connect" | "auth" | "mail" | "rcpt" | "data";

const STAGES: readonly SmtpStage[] = ["connect", "auth", "mail", "rcpt", "data"];

export interface SmtpFailure {
  stage: SmtpStage;
  /** 4xx is transient (the client should retry later), 5xx permanent. */
  code: number;
  /** How many commands at this stage fail before the server answers normally again (default 1). */
  count?: number;
  message?: string;
}

/** An error smtp-server turns into a reply: `responseCode` is the SMTP code. */
export interface SmtpReplyError extends Error {
  responseCode: number;
}

export function smtpReply(code: number, message: string): SmtpReplyError {
  return Object.assign(new Error(message), { responseCode: code });
}

interface Pending {
  code: number;
  message: string;
  remaining: number;
}

/** Queued failures per stage, consumed one command at a time in the order they were added. */
export class SmtpFaults {
  #pending = new Map<SmtpStage, Pending[]>();

  add(failure: SmtpFailure): void {
    const { stage, code } = failure;
    const count = failure.count ?? 1;
    const problems: string[] = [];
    if (!STAGES.includes(stage))
      problems.push(`stage ${JSON.stringify(stage)} is not one of ${STAGES.join(", ")}`);
    if (!Number.isInteger(code) || code < 400 || code > 599)
      problems.push(`code ${code} is not an SMTP error (400-599)`);
    if (!Number.isInteger(count) || count < 1) problems.push(`count ${count} is not a positive integer`);
    if (problems.length > 0) throw new Error(`failNext: ${problems.join("; ")}`);
    const kind = code < 500 ? "Temporary" : "Permanent";
    const message = failure.message ?? `${kind} failure at ${stage} injected by the hangar test bed`;
    const queue = this.#pending.get(stage) ?? [];
    queue.push({ code, message, remaining: count });
    this.#pending.set(stage, queue);
  }

  /** The error for the next command at `stage`, if a failure is queued for it. */
  take(stage: SmtpStage): SmtpReplyError | undefined {
    const queue = this.#pending.get(stage);
    const head = queue?.[0];
    if (!queue || !head) return undefined;
    head.remaining -= 1;
    if (head.remaining === 0) queue.shift();
    return smtpReply(head.code, head.message);
  }

  clear(): void {
    this.#pending.clear();
  }
}

/**
 * How a refused AUTH may quote the credentials back, as careless servers and proxies do in
 * their 535 reply: a client must not print the password in any of these.
 */
export type CredentialEcho = "plain" | "hex" | "HEX" | "base64" | "json" | "json-u";

/** The attempted credentials as `{"user":…,"pass":…}` in each encoding, on one reply line. */
export function echoCredentials(
  encodings: readonly CredentialEcho[],
  credentials: { username: string; password: string },
): string {
  const json = JSON.stringify({ user: credentials.username, pass: credentials.password });
  const bytes = Buffer.from(json, "utf8");
  const forms: Record<CredentialEcho, () => string> = {
    plain: () => `${credentials.username} ${credentials.password}`,
    hex: () => bytes.toString("hex"),
    HEX: () => bytes.toString("hex").toUpperCase(),
    base64: () => bytes.toString("base64"),
    json: () => json,
    // Every character but letters and digits as `\uXXXX`, as some JSON writers do.
    "json-u": () =>
      [...json]
        .map((char) =>
          /[A-Za-z0-9]/.test(char) ? char : `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
        )
        .join(""),
  };
  // A reply is one line: CR and LF in a password would end it early.
  return encodings.map((encoding) => `${encoding}=${forms[encoding]().replace(/[\r\n]/g, " ")}`).join(" ");
}
