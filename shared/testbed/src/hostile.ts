import { createServer as createNetServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import { LOOPBACK } from "./ports.ts";

/**
 * Servers that misbehave the way real ones and the networks in front of them do, for every
 * plugin's tests: a client must give up within its `timeout`, stop on SIGTERM, cap what it
 * reads, and never print a secret the server echoes back.
 *
 * - `black-hole`: accepts the connection (and the TLS handshake) and never says a thing;
 * - `dribble`: sends `greeting` (an HTTP head, an SMTP banner) one byte a second, forever;
 * - `endless`: answers `200` with a chunked body that never ends;
 * - `echo`: answers `status` with a body that repeats what the client sent (head and body)
 *   in every encoding a server or a library may use: plain, hex in both cases, base64,
 *   base64url, URL-encoded and JSON with `\u` escapes;
 * - `redirect`: answers `307` to `location` (another origin), to see what a client carries there.
 */
export type HostileMode = "black-hole" | "dribble" | "endless" | "echo" | "redirect";

export interface HostileServerOptions {
  mode: HostileMode;
  /** TLS with this certificate (the test bed's `createTlsCertificate`). */
  tls?: { certPem: string; keyPem: string };
  /** `dribble`: the bytes to send one at a time (default an HTTP 200 head). */
  greeting?: string;
  /** `dribble`: milliseconds between bytes (default 1000). */
  intervalMs?: number;
  /** `echo`: the status (default 401). */
  status?: number;
  /** `redirect`: where to (default a path on the same server). */
  location?: string;
}

export interface HostileServer {
  /** `http(s)://127.0.0.1:port`. */
  url: string;
  port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Bytes of every request received, in order (for `echo` and `redirect`). */
  readonly received: readonly string[];
  /** Bytes sent to clients so far (for `endless` and `dribble`). */
  readonly bytesSent: number;
  /** Connections still open: a client that gave up has closed its own. */
  readonly open: number;
  stop(): Promise<void>;
}

const DEFAULT_GREETING = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{";

export async function startHostileServer(options: HostileServerOptions): Promise<HostileServer> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const received: string[] = [];
  let connections = 0;
  let bytesSent = 0;

  const handle = (socket: Socket) => {
    connections++;
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
    const write = (chunk: string | Buffer) => {
      if (socket.destroyed || !socket.writable) return false;
      bytesSent += typeof chunk === "string" ? Buffer.byteLength(chunk) : chunk.length;
      return socket.write(chunk);
    };
    switch (options.mode) {
      case "black-hole":
        socket.on("data", () => {});
        return;
      case "dribble": {
        const bytes = Buffer.from(options.greeting ?? DEFAULT_GREETING);
        let index = 0;
        socket.on("data", () => {});
        const timer = setInterval(() => {
          // After the greeting, keep the line alive with spaces: never a complete answer.
          write(index < bytes.length ? bytes.subarray(index, index + 1) : " ");
          index++;
        }, options.intervalMs ?? 1000);
        timers.add(timer);
        socket.on("close", () => {
          clearInterval(timer);
          timers.delete(timer);
        });
        return;
      }
      case "endless": {
        onRequest(socket, () => {
          write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
          const chunk = Buffer.alloc(64 * 1024, 0x20);
          const head = Buffer.from(`${chunk.length.toString(16)}\r\n`);
          const pump = () => {
            while (!socket.destroyed) {
              if (!write(Buffer.concat([head, chunk, Buffer.from("\r\n")]))) {
                socket.once("drain", pump);
                return;
              }
            }
          };
          pump();
        });
        return;
      }
      case "echo": {
        onRequest(socket, (request) => {
          received.push(request);
          const body = echoBody(request);
          write(
            `HTTP/1.1 ${options.status ?? 401} Echo\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
          );
          socket.end();
        });
        return;
      }
      case "redirect": {
        onRequest(socket, (request) => {
          received.push(request);
          write(
            `HTTP/1.1 307 Temporary Redirect\r\nLocation: ${options.location ?? "/moved"}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
          );
          socket.end();
        });
        return;
      }
    }
  };

  const server: Server = options.tls
    ? createTlsServer({ cert: options.tls.certPem, key: options.tls.keyPem }, handle)
    : createNetServer(handle);
  server.on("tlsClientError", () => {});
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, LOOPBACK, () => resolve());
  });
  const address = server.address();
  if (!address || typeof address !== "object") throw new Error("the hostile server has no address");
  const port = address.port;
  return {
    url: `${options.tls ? "https" : "http"}://${LOOPBACK}:${port}`,
    port,
    get connections() {
      return connections;
    },
    get received() {
      return received;
    },
    get bytesSent() {
      return bytesSent;
    },
    get open() {
      return sockets.size;
    },
    stop: async () => {
      for (const timer of timers) clearInterval(timer);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Calls `respond` once the request's head and (Content-Length) body are in; a chunked or
 * streamed body is answered after its first bytes, as a proxy that rejects early would.
 */
function onRequest(socket: Socket, respond: (request: string) => void): void {
  let buffer = Buffer.alloc(0);
  let done = false;
  socket.on("data", (chunk: Buffer) => {
    if (done) return;
    buffer = Buffer.concat([buffer, chunk]);
    const end = buffer.indexOf("\r\n\r\n");
    if (end < 0) return;
    const head = buffer.subarray(0, end).toString("latin1");
    const length = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
    if (buffer.length < end + 4 + Math.min(length, 64 * 1024)) return;
    done = true;
    respond(buffer.subarray(0, end + 4 + Math.min(length, 64 * 1024)).toString("utf8"));
  });
}

/** What the client sent, in each encoding a server may echo it in. */
export function echoBody(request: string): string {
  const bytes = Buffer.from(request, "utf8");
  return [
    `plain: ${request}`,
    `hex: ${bytes.toString("hex")}`,
    `HEX: ${bytes.toString("hex").toUpperCase()}`,
    `base64: ${bytes.toString("base64")}`,
    `base64url: ${bytes.toString("base64url")}`,
    `url: ${encodeURIComponent(request)}`,
    `json: ${jsonEscapeAll(request)}`,
  ].join("\n");
}

/** JSON with every non-alphanumeric character as a `\uXXXX` escape, as some servers write it. */
export function jsonEscapeAll(text: string): string {
  return `"${[...text].map((char) => (/[A-Za-z0-9]/.test(char) ? char : `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`)).join("")}"`;
}

/**
 * The encodings of a secret that must never appear in what a plugin prints or writes: one
 * table for every plugin's tests. Returns the encodings found (empty when none is).
 */
export function secretLeaks(text: string, secret: string): string[] {
  const bytes = Buffer.from(secret, "utf8");
  const forms: Record<string, string> = {
    plain: secret,
    hex: bytes.toString("hex"),
    HEX: bytes.toString("hex").toUpperCase(),
    base64: bytes.toString("base64").replace(/=+$/, ""),
    base64url: bytes.toString("base64url"),
    url: encodeURIComponent(secret),
    json: JSON.stringify(secret).slice(1, -1),
    "json-\\u": jsonEscapeAll(secret).slice(1, -1),
  };
  return Object.entries(forms)
    .filter(([, form]) => form.length >= 3 && text.includes(form))
    .map(([name]) => name);
}

/** What a plugin run against an echoing server shows: see {@link againstEchoingServer}. */
export interface EchoedRun<R> {
  run: R;
  /** The secret reached the server (so the echo did carry it back). */
  secretSent: boolean;
  /** The encodings of the secret found in what the run printed: none is the only right answer. */
  leaks: string[];
}

/**
 * Runs a plugin against a server that answers with the request echoed back (the credential in
 * every encoding the server could choose), then stops the server: the one test every plugin
 * holding a token owes, that an error quoting the server's answer still names no secret.
 */
export async function againstEchoingServer<R extends { output: string }>(
  secret: string,
  run: (url: string) => Promise<R>,
  options: Omit<HostileServerOptions, "mode"> = {},
): Promise<EchoedRun<R>> {
  const echo = await startHostileServer({ status: 401, ...options, mode: "echo" });
  try {
    const result = await run(echo.url);
    return {
      run: result,
      secretSent: echo.received.join("").includes(secret),
      leaks: secretLeaks(result.output, secret),
    };
  } finally {
    await echo.stop();
  }
}
