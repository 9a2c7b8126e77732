import http, { type IncomingHttpHeaders } from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";

/** A local HTTP(S) server serving templates by path, recording every request it gets. */
export interface TemplateServer {
  url: string;
  requests: { path: string; headers: IncomingHttpHeaders }[];
  stop(): Promise<void>;
}

export async function startTemplateServer(
  pages: Record<string, string | { status: number; location?: string; body?: string }>,
  tls?: { certPem: string; keyPem: string },
): Promise<TemplateServer> {
  const requests: TemplateServer["requests"] = [];
  const handler = (request: http.IncomingMessage, response: http.ServerResponse) => {
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    requests.push({ path, headers: request.headers });
    const page = pages[path];
    if (page === undefined) {
      response.writeHead(404, { "content-type": "text/plain" }).end("not found");
    } else if (typeof page === "string") {
      response.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(page);
    } else {
      response.writeHead(page.status, page.location ? { location: page.location } : {}).end(page.body ?? "");
    }
  };
  const server = tls
    ? https.createServer({ cert: tls.certPem, key: tls.keyPem }, handler)
    : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? "https" : "http"}://127.0.0.1:${port}`,
    requests,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
