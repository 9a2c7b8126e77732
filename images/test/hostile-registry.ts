/**
 * A registry that answers as a hostile one may, on loopback: it wants the login (`Basic`, or
 * `Bearer` with a realm it names), and then points the client elsewhere (an upload Location, a
 * next tags page, a blob redirect) at `elsewhere`, a second loopback port, that is, another
 * origin. Both record the Authorization header of every request they get.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface Recorder {
  origin: string;
  /** Each request as "METHOD /path" with the Authorization header it carried ("" when none). */
  seen: { request: string; authorization: string }[];
  close(): Promise<void>;
}

export async function startRecorder(
  answer: (req: IncomingMessage, res: ServerResponse, origin: string) => void,
): Promise<Recorder> {
  const seen: Recorder["seen"] = [];
  let origin = "";
  const server: Server = createServer((req, res) => {
    seen.push({ request: `${req.method} ${req.url}`, authorization: req.headers.authorization ?? "" });
    req.resume();
    req.on("end", () => answer(req, res, origin));
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    seen,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

/**
 * The registry: every request without the expected Authorization gets `challenge`; with it, a
 * blob HEAD is 404, an upload POST is 202 with a Location at `elsewhere`, the tags list names a
 * next page at `elsewhere`, a blob GET redirects to `elsewhere`.
 */
export function hostileRegistry(options: {
  challenge: (origin: string) => string;
  accepts: (authorization: string) => boolean;
  elsewhere: () => string;
}) {
  return (req: IncomingMessage, res: ServerResponse, origin: string) => {
    const path = new URL(req.url ?? "/", origin).pathname;
    if (!options.accepts(req.headers.authorization ?? "")) {
      res.writeHead(401, { "www-authenticate": options.challenge(origin) }).end();
    } else if (req.method === "HEAD" && path.includes("/blobs/")) {
      res.writeHead(404).end();
    } else if (req.method === "POST" && path.endsWith("/blobs/uploads/")) {
      res.writeHead(202, { location: `${options.elsewhere()}/v2/upload/1` }).end();
    } else if (path.endsWith("/tags/list")) {
      res
        .writeHead(200, {
          "content-type": "application/json",
          link: `<${options.elsewhere()}/v2/tags?last=a>; rel="next"`,
        })
        .end('{"tags":["a"]}');
    } else if (req.method === "GET" && path.includes("/blobs/")) {
      res.writeHead(307, { location: `${options.elsewhere()}/v2/blob` }).end();
    } else {
      res.writeHead(404).end();
    }
  };
}
