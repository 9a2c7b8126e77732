/**
 * A registry front that authenticates like Gitea's container registry, in front of the test bed's
 * real registry: /v2/ answers 401 with `WWW-Authenticate: Bearer realm="…/v2/token",
 * service="container_registry",scope="*"`; GET /v2/token with Basic user:password (or user:token)
 * answers {"token": …}; every other request needs that bearer token and is passed on unchanged.
 * It keeps what it saw: the Authorization headers, the requests, and the scopes tokens were asked for.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface TokenRegistry {
  host: string;
  /** Authorization headers seen, for checking what the client sent. */
  seen: string[];
  /** Every request passed on: method and path (`GET /v2/acme/app/blobs/sha256:…`). */
  requests: string[];
  /** The `scope` parameters of every token asked for. */
  scopes: string[];
  close(): Promise<void>;
}

/**
 * Passes a request on to `upstream` unchanged (but for its Authorization header) and answers with
 * what it answered, its own origin in place of the upstream's in the headers (an upload Location).
 */
export async function forward(upstream: string, origin: string, req: IncomingMessage, res: ServerResponse) {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (typeof v === "string" && !["authorization", "host", "connection"].includes(k)) headers.set(k, v);
  }
  const method = req.method ?? "GET";
  const answer = await fetch(`${upstream}${req.url ?? "/"}`, {
    method,
    headers,
    body: method === "GET" || method === "HEAD" ? undefined : Buffer.concat(chunks),
    redirect: "manual",
  });
  const out: Record<string, string> = {};
  answer.headers.forEach((v, k) => {
    if (k !== "content-encoding" && k !== "transfer-encoding") out[k] = v.replaceAll(upstream, origin);
  });
  const body = Buffer.from(await answer.arrayBuffer());
  res.writeHead(answer.status, out).end(method === "HEAD" ? undefined : body);
}

/** Listens on loopback; returns the origin (`http://127.0.0.1:PORT`). */
export async function listenLoopback(server: Server, scheme = "http"): Promise<string> {
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  return `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export async function startTokenRegistry(
  upstream: string,
  username: string,
  password: string,
): Promise<TokenRegistry> {
  const token = randomBytes(16).toString("hex");
  const seen: string[] = [];
  const requests: string[] = [];
  const scopes: string[] = [];
  let origin = "";
  const server: Server = createServer(async (req, res) => {
    const auth = req.headers.authorization ?? "";
    seen.push(auth);
    const url = new URL(req.url ?? "/", origin);
    if (url.pathname === "/v2/token") {
      scopes.push(...url.searchParams.getAll("scope"));
      const expected = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
      if (auth !== expected) {
        res
          .writeHead(401, { "content-type": "application/json" })
          .end('{"errors":[{"code":"UNAUTHORIZED"}]}');
        return;
      }
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ token }));
      return;
    }
    if (auth !== `Bearer ${token}`) {
      res
        .writeHead(401, {
          "content-type": "application/json",
          "www-authenticate": `Bearer realm="${origin}/v2/token",service="container_registry",scope="*"`,
        })
        .end('{"errors":[{"code":"UNAUTHORIZED","message":"reqPackageAccess"}]}');
      return;
    }
    requests.push(`${req.method} ${url.pathname}`);
    await forward(upstream, origin, req, res);
  });
  origin = await listenLoopback(server);
  return {
    host: origin.slice("http://".length),
    seen,
    requests,
    scopes,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
