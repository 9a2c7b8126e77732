import { runPlugin } from "@hangar/kit";
import {
  createTlsCertificate,
  type HostileServer,
  secretLeaks,
  startHostileServer,
  type TlsCertificate,
  tempWorkspace,
  type Workspace,
} from "@hangar/testbed";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { k3sDeploy } from "../src/plugin.ts";
import { droneEnv, WEB } from "./helpers.ts";

/**
 * An API server that misbehaves: every call gives up within `timeout`, stops on a cancel, reads
 * no endless answer, and never prints the token a server echoes back.
 */

const TOKEN = "k3s-token-7c1e9a0b5d3f";
let certificate: TlsCertificate;
let server: HostileServer | undefined;
let workspace: Workspace;
beforeAll(async () => {
  certificate = await createTlsCertificate();
  workspace = await tempWorkspace("k3s-deploy", { files: { "deploy/k8s/web.yaml": WEB } });
});
afterAll(async () => {
  await certificate.remove();
  await workspace.remove();
});
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function run(
  mode: "black-hole" | "endless" | "echo",
  extra: Record<string, string>,
  signal?: AbortSignal,
) {
  server = await startHostileServer({ mode, tls: certificate });
  let output = "";
  const write = (chunk: string) => {
    output += chunk;
    return true;
  };
  const started = Date.now();
  const code = await runPlugin(k3sDeploy, {
    env: droneEnv({
      PLUGIN_SERVER: server.url,
      PLUGIN_TOKEN: TOKEN,
      PLUGIN_CA_CERT: certificate.caPem,
      PLUGIN_MANIFESTS: "deploy/k8s/",
      ...extra,
    }),
    argv: [],
    cwd: workspace.dir,
    stdout: { write },
    stderr: { write },
    ...(signal ? { signal } : {}),
  });
  return { code, output, ms: Date.now() - started };
}

describe("k3s-deploy against hostile API servers", () => {
  it("gives up on a server that accepts TLS and never answers, within timeout", async () => {
    const result = await run("black-hole", { PLUGIN_TIMEOUT: "2s" });
    expect(result.code).toBe(1);
    expect(result.output).toContain("timed out after 2s waiting for the API server to answer");
    expect(result.ms).toBeLessThan(8_000);
  });

  it("stops at once on a cancel, without waiting for timeout", async () => {
    const cancel = new AbortController();
    setTimeout(() => cancel.abort(new Error("the step was cancelled")), 500);
    const result = await run("black-hole", { PLUGIN_TIMEOUT: "60s" }, cancel.signal);
    expect(result.code).toBe(1);
    expect(result.output).toContain("cancelled");
    expect(result.ms).toBeLessThan(3_000);
    // The connection is closed, not left to the server.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server?.open).toBe(0);
  });

  it("cuts off an endless answer with a clear error, memory bounded", async () => {
    const before = process.memoryUsage().rss;
    const result = await run("endless", { PLUGIN_TIMEOUT: "60s" });
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/answer to GET \/api\/v1 passed 16(\.0)? MiB; it was cut off/);
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024);
    expect(result.ms).toBeLessThan(30_000);
  });

  it("never prints the token a server echoes back in any encoding", async () => {
    const result = await run("echo", { PLUGIN_TIMEOUT: "5s" });
    expect(result.code).toBe(1);
    expect(result.output).toContain("HTTP 401");
    expect(server?.received.join("")).toContain(TOKEN);
    expect(secretLeaks(result.output, TOKEN)).toEqual([]);
  });
});
