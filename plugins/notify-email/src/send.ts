import { formatDuration, HangarError, type Logger, retry } from "@hangar/kit";
import type { MailPlan } from "./plan.ts";

export interface RecipientResult {
  address: string;
  accepted: boolean;
  /** The server's reply for a refused address. */
  response?: string | undefined;
  attempts: number;
}

export interface SendResult {
  messageId: string;
  recipients: RecipientResult[];
}

/** A nodemailer failure, as far as this module needs to know it. */
interface SmtpError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
  rejectedErrors?: SmtpError[];
  recipient?: string;
}

const NETWORK_CODES = new Set(["ECONNECTION", "ETIMEDOUT", "ESOCKET", "EDNS", "ECONNREFUSED", "ECONNRESET"]);
const ATTEMPTS = 3;
/**
 * Beyond `timeout`, an attempt is granted the time to upload the message at this rate: a slow
 * uplink may take long over big attachments, a server dribbling its answers may not.
 */
const UPLOAD_BYTES_PER_SECOND = 128 * 1024;

/**
 * 4xx replies and broken connections may pass on another try; 5xx replies will not, and
 * neither does a server that did not answer in time: the next attempt would wait as long.
 */
export function isTransient(error: unknown): boolean {
  const { code, responseCode } = error as SmtpError;
  if (isTlsFailure(error as SmtpError)) return false;
  if (responseCode !== undefined) return responseCode >= 400 && responseCode < 500;
  return code !== undefined && code !== "ETIMEDOUT" && NETWORK_CODES.has(code);
}

/**
 * How long one attempt (connect to the server's last reply) may take: `timeout`, plus the
 * upload of the message at a slow uplink's rate. nodemailer's own timeouts measure silence
 * only; this bounds a server that answers a byte at a time.
 */
export function attemptDeadlineMs(plan: MailPlan): number {
  const attached = plan.attachments.reduce((sum, file) => sum + file.size, 0);
  // Attachments travel base64-encoded, a third larger.
  const bytes = (attached * 4) / 3 + Buffer.byteLength(plan.html) + Buffer.byteLength(plan.text);
  // Whole seconds, none for an ordinary mail: the message names the bound the user set.
  return plan.server.timeoutMs + Math.floor(bytes / UPLOAD_BYTES_PER_SECOND) * 1000;
}

/** A certificate the client does not trust fails the same way on every attempt. */
function isTlsFailure(error: SmtpError): boolean {
  return (
    error.code === "ETLS" || /certificate|self[- ]signed|SSL routines|STARTTLS/i.test(error.message ?? "")
  );
}

class TransientRecipients extends Error {
  readonly responseCode = 450;
}

/**
 * Sends the one message over one SMTP connection per attempt. Recipients the server turns
 * away for now (4xx) are tried again on the next attempt, alone, so nobody gets it twice;
 * recipients it refuses (5xx) are reported and not tried again.
 */
export async function sendMail(plan: MailPlan, log: Logger, signal?: AbortSignal): Promise<SendResult> {
  const { server } = plan;
  const everyone = [...plan.to, ...plan.cc, ...plan.bcc];
  const results = new Map<string, RecipientResult>();
  let pending = everyone;
  let messageId = "";
  // Loaded when a mail is really sent, so a dry run or a skipped status starts fast.
  const { default: nodemailer } = await import("nodemailer");
  const deadlineMs = attemptDeadlineMs(plan);

  await retry(
    async (attempt) => {
      // Aborting closes the connection (nodemailer tears the session down on its signal), so a
      // cancel or a server that never finishes answering does not hold the step.
      const deadline = AbortSignal.timeout(deadlineMs);
      const attemptSignal = signal ? AbortSignal.any([signal, deadline]) : deadline;
      const transport = nodemailer.createTransport({
        host: server.host,
        port: server.port,
        secure: server.tls === "tls",
        requireTLS: server.tls === "starttls",
        ignoreTLS: server.tls === "none",
        auth: server.auth,
        name: server.clientHostname,
        connectionTimeout: server.timeoutMs,
        greetingTimeout: server.timeoutMs,
        socketTimeout: server.timeoutMs,
        // After an abort, a server that does not close its side is not waited for.
        socketCloseTimeout: 1_000,
        tls: {
          rejectUnauthorized: !server.skipVerify,
          ...(server.ca ? { ca: server.ca } : {}),
          minVersion: "TLSv1.2",
        },
      });
      try {
        const info = await transport.sendMail({
          from: plan.from.name ? { name: plan.from.name, address: plan.from.address } : plan.from.address,
          to: plan.to,
          cc: plan.cc,
          bcc: plan.bcc,
          envelope: { from: plan.from.address, to: pending },
          subject: plan.subject,
          html: plan.html,
          text: plan.text,
          attachments: plan.attachments.map((file) => ({
            filename: file.relative.split("/").pop(),
            path: file.absolute,
          })),
          ...(messageId ? { messageId } : {}),
          signal: attemptSignal,
        });
        messageId = info.messageId;
        for (const address of info.accepted.map(String))
          results.set(address, { address, accepted: true, attempts: attempt });
        pending = settleRejected(
          (info as { rejectedErrors?: SmtpError[] }).rejectedErrors ?? [],
          results,
          attempt,
        );
      } catch (error) {
        if (signal?.aborted) throw cancelled(plan, signal.reason);
        if (deadline.aborted) throw tooSlow(plan, deadlineMs, error);
        const failure = error as SmtpError;
        if (failure.code === "EENVELOPE" && failure.rejectedErrors?.length) {
          pending = settleRejected(failure.rejectedErrors, results, attempt);
        } else {
          throw describeFailure(failure, plan);
        }
      } finally {
        transport.close();
      }
      if (pending.length > 0) {
        throw new TransientRecipients(`the server asked to try ${pending.join(", ")} again later`);
      }
    },
    {
      what: "sending the mail",
      attempts: ATTEMPTS,
      minDelayMs: 1000,
      retryable: (error) =>
        error instanceof TransientRecipients || isTransient((error as HangarError).cause ?? error),
      onRetry: (message) => log.warn(message),
      ...(signal ? { signal } : {}),
    },
  ).catch((error: unknown) => {
    // A cancel between attempts ends the backoff with the signal's reason.
    if (signal?.aborted) throw cancelled(plan, signal.reason);
    if (!(error instanceof TransientRecipients)) throw error;
    for (const address of pending) {
      results.set(address, {
        address,
        accepted: false,
        response: "still deferred (4xx) after every attempt",
        attempts: ATTEMPTS,
      });
    }
  });

  return {
    messageId,
    recipients: everyone.map((address) => results.get(address) ?? { address, accepted: false, attempts: 0 }),
  };
}

/** Records refused recipients; returns the ones refused only for now, to try again. */
function settleRejected(
  rejected: SmtpError[],
  results: Map<string, RecipientResult>,
  attempt: number,
): string[] {
  const retryLater: string[] = [];
  for (const error of rejected) {
    const address = error.recipient ?? "";
    if (isTransient(error)) retryLater.push(address);
    else
      results.set(address, {
        address,
        accepted: false,
        response: error.response ?? error.message,
        attempts: attempt,
      });
  }
  return retryLater;
}

function cancelled(plan: MailPlan, reason: unknown): HangarError {
  if (reason instanceof HangarError && reason.code !== "E_CANCELLED") return reason;
  const { host, port } = plan.server;
  return new HangarError(
    "E_CANCELLED",
    `the step was cancelled while sending through ${host}:${port}; the connection is closed and the mail may not have been sent`,
    { cause: reason },
  );
}

function tooSlow(plan: MailPlan, deadlineMs: number, error: unknown): HangarError {
  const { host, port } = plan.server;
  return new HangarError(
    "E_SMTP_TIMEOUT",
    `the SMTP server ${host}:${port} did not finish answering within ${formatDuration(deadlineMs)}; the connection is closed`,
    {
      hint: "The server answers too slowly or never completes a reply. Check `host` and `port`; raise `timeout` for a slow server.",
      cause: error,
    },
  );
}

function describeFailure(error: SmtpError, plan: MailPlan): HangarError {
  const { host, port, timeoutMs } = plan.server;
  const where = `${host}:${port}`;
  const reply = error.response ? `: ${error.response}` : `: ${error.message}`;
  if (error.code === "EAUTH") {
    return new HangarError(
      "E_SMTP_AUTH",
      `${where} refused the login for "${plan.server.auth?.user ?? ""}"${reply}`,
      {
        hint: "Check `username` and `password` (the secret behind `from_secret`).",
        cause: error,
      },
    );
  }
  if (isTlsFailure(error)) {
    return new HangarError("E_SMTP_TLS", `TLS with ${where} failed${reply}`, {
      hint: "Trust the server's CA with `ca_cert`, or pick `tls: tls` for port 465 and `tls: starttls` for 587.",
      cause: error,
    });
  }
  if (error.code === "ETIMEDOUT" || /timeout/i.test(error.message)) {
    return new HangarError(
      "E_SMTP_TIMEOUT",
      `no answer from the SMTP server ${where} within ${formatDuration(timeoutMs)}${reply}`,
      {
        hint: "Check `host` and `port`, and that the runner can reach the server; raise `timeout` for a slow server.",
        cause: error,
      },
    );
  }
  if (error.code && NETWORK_CODES.has(error.code)) {
    return new HangarError(
      "E_SMTP_CONNECT",
      `cannot reach the SMTP server ${where} (timeout ${formatDuration(timeoutMs)})${reply}`,
      {
        hint: "Check `host` and `port`, and that the runner can reach the server.",
        cause: error,
      },
    );
  }
  return new HangarError("E_SMTP", `${where} did not take the mail${reply}`, { cause: error });
}
