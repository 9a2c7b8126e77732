import { type ChildProcess, execFile, spawn } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { runPlugin } from "@hangar/kit";
import { type HostileServer, startHostileServer, waitUntil } from "@hangar/testbed";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { notifyEmail } from "../src/plugin.ts";
import { droneEnv, perTest } from "./helpers.ts";

/**
 * SMTP servers that never finish an answer: `timeout` bounds the step whatever the server
 * does, and a cancel closes the connection at once instead of waiting for the server.
 */

const ROOT = path.resolve(import.meta.dirname, "../../..");
const BUNDLE = path.join(ROOT, "plugins/notify-email/dist/index.mjs");

const { workspace } = perTest();
let server: HostileServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

function settingsFor(port: number, extra: Record<string, string> = {}): Record<string, string> {
  return droneEnv({
    PLUGIN_HOST: "127.0.0.1",
    PLUGIN_PORT: String(port),
    PLUGIN_FROM: "CI <ci@example.com>",
    PLUGIN_RECIPIENTS: "team@example.com",
    ...extra,
  });
}

async function run(env: Record<string, string>, signal?: AbortSignal) {
  let output = "";
  const write = (chunk: string) => {
    output += chunk;
    return true;
  };
  const started = Date.now();
  const code = await runPlugin(notifyEmail, {
    env,
    argv: [],
    cwd: workspace.dir,
    stdout: { write },
    stderr: { write },
    ...(signal ? { signal } : {}),
    cancelGraceMs: 3_000,
  });
  return { code, output, seconds: (Date.now() - started) / 1000 };
}

describe("notify-email against SMTP servers that never finish answering", () => {
  it("gives up on a greeting sent one byte a second within timeout: 3s, without retrying it", async () => {
    server = await startHostileServer({ mode: "dribble", greeting: "220 slow.example.com ESMTP ready\r\n" });
    const result = await run(settingsFor(server.port, { PLUGIN_TIMEOUT: "3s" }));
    expect(result.code, result.output).toBe(1);
    expect(result.seconds).toBeLessThan(10);
    expect(result.output).toContain(`[E_SMTP_TIMEOUT]`);
    expect(result.output).toContain(`127.0.0.1:${server.port}`);
    expect(server.connections).toBe(1);
    await waitUntil("the connection to be closed", () => server?.open === 0, { timeoutMs: 2_000 });
  }, 20_000);

  it("gives up on a server that greets and then answers a byte at a time forever", async () => {
    // The greeting arrives whole; the answer to EHLO never ends, yet the line is never silent.
    server = await startHostileServer({ mode: "dribble", greeting: "220 ok\r\n", intervalMs: 200 });
    const result = await run(settingsFor(server.port, { PLUGIN_TIMEOUT: "3s" }));
    expect(result.code, result.output).toBe(1);
    expect(result.seconds).toBeLessThan(10);
    expect(result.output).toMatch(/127\.0\.0\.1:\d+ did not finish answering within 3s.*\[E_SMTP_TIMEOUT\]/);
    expect(server.connections).toBe(1);
    await waitUntil("the connection to be closed", () => server?.open === 0, { timeoutMs: 2_000 });
  }, 20_000);

  it("closes the connection at once when the step is cancelled mid-session", async () => {
    server = await startHostileServer({ mode: "black-hole" });
    const cancel = new AbortController();
    const pending = run(settingsFor(server.port, { PLUGIN_TIMEOUT: "60s" }), cancel.signal);
    await waitUntil("the plugin to connect", () => server?.connections === 1, { timeoutMs: 5_000 });
    const cancelledAt = Date.now();
    cancel.abort(new Error("cancelled by the test"));
    const result = await pending;
    expect((Date.now() - cancelledAt) / 1000).toBeLessThan(1);
    expect(result.code).toBe(1);
    expect(result.output).toContain("cancelled");
    await waitUntil("the connection to be closed", () => server?.open === 0, { timeoutMs: 1_000 });
  }, 20_000);
});

describe("the notify-email bundle, cancelled with SIGTERM", () => {
  beforeAll(async () => {
    await promisify(execFile)(process.execPath, [path.join(ROOT, "scripts/build.ts"), "notify-email"], {
      cwd: ROOT,
    });
  }, 120_000);

  it("exits well within the cancel grace period while a server holds the connection", async () => {
    server = await startHostileServer({ mode: "black-hole" });
    const child: ChildProcess = spawn(process.execPath, [BUNDLE], {
      cwd: workspace.dir,
      env: {
        PATH: process.env.PATH ?? "",
        HANGAR_CANCEL_GRACE: "3s",
        ...settingsFor(server.port, { PLUGIN_TIMEOUT: "60s" }),
      },
    });
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    await waitUntil("the plugin to connect", () => server?.connections === 1, { timeoutMs: 10_000 });
    const signalledAt = Date.now();
    child.kill("SIGTERM");
    const code = await exited;
    const seconds = (Date.now() - signalledAt) / 1000;
    // Ended by closing its connection, not by the kit's hard exit at the end of the grace period.
    expect(seconds, output).toBeLessThan(2);
    expect(code, output).toBe(1);
    expect(output).toContain("the step was cancelled");
    expect(output).not.toContain("did not finish within");
    await waitUntil("the connection to be closed", () => server?.open === 0, { timeoutMs: 1_000 });
  }, 30_000);
});
