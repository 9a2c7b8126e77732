/**
 * A registry front that authenticates like Gitea's container registry, in front of the test bed's
 * real registry: /v2/ answers 401 with `WWW-Authenticate: Bearer realm="…/v2/token",
 * service="container_registry",scope="*"`; GET /v2/token with Basic user:password (or user:token)
 * answers {"token": …}; every other request needs that bearer token and is passed on unchanged.
 */
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface TokenRegistry {
  host: string;
  /** Authorization headers seen, for checking what the client sent. */
  seen: string[];
  close(): Promise<void>;
}

export async function startTokenRegistry(
  upstream: string,
  username: string,
  password: string,
): Promise<TokenRegistry> {
  const token = randomBytes(16).toString("hex");
  const seen: string[] = [];
  let origin = "";
  const server: Server = createServer(async (req, res) => {
    const auth = req.headers.authorization ?? "";
    seen.push(auth);
    const url = new URL(req.url ?? "/", origin);
    if (url.pathname === "/v2/token") {
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
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) {
      if (typeof v === "string" && !["authorization", "host", "connection"].includes(k)) headers.set(k, v);
    }
    const method = req.method ?? "GET";
    const answer = await fetch(`${upstream}${url.pathname}${url.search}`, {
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
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  return {
    host: `127.0.0.1:${port}`,
    seen,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
