import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { perTestPve } from "./helpers.ts";

const bed = perTestPve(() => ({}), { hooks: { beforeEach: beforeAll, afterEach: afterAll } });

describe("proxmox-vm and a server's error message", () => {
  it("masks the token in a long status line before cutting it, so no piece of it is printed", async () => {
    // A server (or a proxy in front of it) that puts what it got into its status line, the token
    // starting just before where the plugin cuts the message.
    const server: Server = createServer((req, res) => {
      const token = /=([^=]+)$/.exec(String(req.headers.authorization ?? ""))?.[1] ?? "";
      res.writeHead(500, `${"x".repeat(290)} ${token}`, { "Content-Type": "application/json" });
      res.end('{"data":null}');
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      const run = await bed.run({ PLUGIN_URL: `http://127.0.0.1:${port}` });
      expect(run.code).toBe(1);
      expect(run.output).toContain("xxxxxxxx");
      expect(run.output).not.toContain(bed.pve.tokenSecret.slice(0, 8));
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
