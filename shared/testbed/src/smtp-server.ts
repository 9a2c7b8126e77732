import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from "smtp-server";
import { createTlsCertificate } from "./certificate.ts";
import { LOOPBACK } from "./ports.ts";
import {
  type CredentialEcho,
  echoCredentials,
  type SmtpFailure,
  SmtpFaults,
  type SmtpStage,
  smtpReply,
} from "./smtp-faults.ts";

/** starttls: plain port offering STARTTLS (587 style); tls: implicit TLS (465 style); none: no TLS at all. */
export type SmtpTlsMode = "starttls" | "tls" | "none";

export interface SmtpServerOptions {
  /** Default "starttls". */
  mode?: SmtpTlsMode;
  /** Require AUTH (PLAIN or LOGIN) with these credentials; wrong ones get 535. Without it AUTH is not offered. */
  auth?: { username: string; password: string };
  /** Recipients answered with 550 at RCPT TO (case-insensitive). */
  rejectRecipients?: readonly string[];
  /** Advertised SIZE limit in bytes; bigger messages get 552. */
  size?: number;
  /** A refused AUTH quotes the attempted credentials in its 535 reply, in these encodings. */
  echoCredentials?: readonly CredentialEcho[];
}

export interface CapturedMessage {
  envelope: { mailFrom: string; rcptTo: string[] };
  /** mailparser's result: subject, from, to, cc, text, html, attachments, headers … */
  parsed: ParsedMail;
  /** The message source as received after DATA. */
  raw: string;
  /** Which SMTP connection carried it (equal ids: same connection). */
  sessionId: string;
  /** Whether that connection was encrypted (implicit TLS or after STARTTLS). */
  secure: boolean;
  /** The authenticated username, if the session authenticated. */
  user: string | undefined;
}

export interface SmtpStats {
  /** Connections that reached the greeting. */
  connections: number;
  /** Sessions that authenticated successfully. */
  authenticated: number;
  /** AUTH attempts refused with 535. */
  authFailures: number;
}

export interface SmtpServer {
  readonly host: string;
  readonly port: number;
  readonly mode: SmtpTlsMode;
  /** True for implicit TLS (nodemailer's `secure` option). */
  readonly secure: boolean;
  readonly auth: { username: string; password: string } | undefined;
  /** The throw-away CA that signed the server certificate: trust it with `ca` or NODE_EXTRA_CA_CERTS. */
  readonly caPath: string;
  readonly caPem: string;
  /** Everything received so far, in order. */
  readonly messages: readonly CapturedMessage[];
  readonly stats: Readonly<SmtpStats>;
  /** Resolves with the messages once at least `count` arrived; rejects after `timeoutMs` (default 10 s). */
  waitForMessages(count: number, timeoutMs?: number): Promise<CapturedMessage[]>;
  /** Makes the next `count` commands at `stage` fail with `code` (4xx transient, 5xx permanent). */
  failNext(failure: SmtpFailure): void;
  /** Answers RCPT TO for this address with `code` (default 550) from now on. */
  rejectRecipient(address: string, code?: number): void;
  /** Forgets messages, counters, queued failures and rejected recipients added since the start. */
  reset(): void;
  stop(): Promise<void>;
}

interface Waiter {
  count: number;
  resolve: (messages: CapturedMessage[]) => void;
}

/** Starts smtp-server on 127.0.0.1 with a free port, capturing and parsing every message. */
export async function startSmtpServer(options: SmtpServerOptions = {}): Promise<SmtpServer> {
  const mode = options.mode ?? "starttls";
  if (!["starttls", "tls", "none"].includes(mode))
    throw new Error(`SMTP mode ${JSON.stringify(mode)} is not one of starttls, tls, none`);
  const auth = options.auth;
  const certificate = await createTlsCertificate();
  const messages: CapturedMessage[] = [];
  const stats: SmtpStats = { connections: 0, authenticated: 0, authFailures: 0 };
  const faults = new SmtpFaults();
  const initialRejects = (options.rejectRecipients ?? []).map(
    (address) => [address.toLowerCase(), 550] as const,
  );
  const rejected = new Map<string, number>(initialRejects);
  let waiters: Waiter[] = [];

  const deliver = (message: CapturedMessage) => {
    messages.push(message);
    const ready = waiters.filter((waiter) => messages.length >= waiter.count);
    waiters = waiters.filter((waiter) => messages.length < waiter.count);
    for (const waiter of ready) waiter.resolve([...messages]);
  };

  const fail = (stage: SmtpStage, callback: (error?: Error | null) => void): boolean => {
    const error = faults.take(stage);
    if (error) callback(error);
    return error !== undefined;
  };

  const serverOptions: SMTPServerOptions = {
    name: "localhost",
    banner: "hangar test bed",
    logger: false,
    disableReverseLookup: true,
    closeTimeout: 1_000,
    secure: mode === "tls",
    key: certificate.keyPem,
    cert: certificate.certPem,
    size: options.size,
    disabledCommands: [...(mode === "none" ? ["STARTTLS"] : []), ...(auth ? [] : ["AUTH"])],
    authMethods: ["PLAIN", "LOGIN"],
    allowInsecureAuth: mode === "none",
    onConnect(_session, callback) {
      stats.connections += 1;
      if (!fail("connect", callback)) callback();
    },
    onAuth(attempt, session, callback) {
      if (fail("auth", callback)) return;
      if (auth && attempt.username === auth.username && attempt.password === auth.password) {
        stats.authenticated += 1;
        callback(null, { user: attempt.username });
        return;
      }
      stats.authFailures += 1;
      const echo = options.echoCredentials?.length
        ? `: ${echoCredentials(options.echoCredentials, { username: attempt.username ?? "", password: attempt.password ?? "" })}`
        : "";
      callback(smtpReply(535, `Authentication credentials invalid (session ${session.id})${echo}`));
    },
    onMailFrom(_address, _session, callback) {
      if (!fail("mail", callback)) callback();
    },
    onRcptTo(address, _session, callback) {
      if (fail("rcpt", callback)) return;
      const code = rejected.get(address.address.toLowerCase());
      if (code !== undefined)
        callback(smtpReply(code, `Recipient <${address.address}> rejected by the hangar test bed`));
      else callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.once("end", () => {
        const raw = Buffer.concat(chunks);
        if (fail("data", callback)) return;
        if (stream.sizeExceeded) {
          callback(smtpReply(552, `Message exceeds the limit of ${options.size} bytes`));
          return;
        }
        capture(raw, session).then(
          (message) => {
            deliver(message);
            callback(null, `OK: queued as ${session.id}.${messages.length}`);
          },
          (error: unknown) => callback(smtpReply(451, `Could not parse the message: ${String(error)}`)),
        );
      });
    },
  };

  const server = new SMTPServer(serverOptions);
  const errors: Error[] = [];
  server.on("error", (error: Error) => errors.push(error));
  await new Promise<void>((resolve, reject) => {
    server.server.once("error", reject);
    server.listen(0, LOOPBACK, () => {
      server.server.off("error", reject);
      resolve();
    });
  }).catch(async (error: unknown) => {
    await certificate.remove();
    throw error;
  });
  const address = server.server.address();
  if (!address || typeof address === "string") throw new Error("smtp-server did not report its port");

  let stopped = false;
  return {
    host: LOOPBACK,
    port: address.port,
    mode,
    secure: mode === "tls",
    auth,
    caPath: certificate.caPath,
    caPem: certificate.caPem,
    get messages() {
      return messages;
    },
    get stats() {
      return { ...stats };
    },
    waitForMessages(count, timeoutMs = 10_000) {
      if (messages.length >= count) return Promise.resolve([...messages]);
      return new Promise((resolve, reject) => {
        const waiter: Waiter = {
          count,
          resolve: (all) => {
            clearTimeout(timer);
            resolve(all);
          },
        };
        const timer = setTimeout(() => {
          waiters = waiters.filter((each) => each !== waiter);
          const got = messages.map(
            (each) => `${each.envelope.mailFrom} -> ${each.envelope.rcptTo.join(", ")}`,
          );
          reject(
            new Error(
              `timed out after ${timeoutMs} ms waiting for ${count} SMTP message(s) on port ${address.port}; ` +
                `got ${messages.length}${got.length ? `: ${got.join("; ")}` : ""}` +
                (errors.length ? `; server errors: ${errors.map((each) => each.message).join("; ")}` : ""),
            ),
          );
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    failNext(failure) {
      faults.add(failure);
    },
    rejectRecipient(address, code = 550) {
      rejected.set(address.toLowerCase(), code);
    },
    reset() {
      messages.length = 0;
      Object.assign(stats, { connections: 0, authenticated: 0, authFailures: 0 });
      faults.clear();
      rejected.clear();
      for (const [address, code] of initialRejects) rejected.set(address, code);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await certificate.remove();
    },
  };
}

async function capture(raw: Buffer, session: SMTPServerSession): Promise<CapturedMessage> {
  const { mailFrom, rcptTo } = session.envelope;
  const user: unknown = session.user;
  return {
    envelope: { mailFrom: mailFrom ? mailFrom.address : "", rcptTo: rcptTo.map((each) => each.address) },
    parsed: await simpleParser(raw),
    raw: raw.toString("utf8"),
    sessionId: session.id,
    secure: session.secure,
    user: typeof user === "string" ? user : undefined,
  };
}
