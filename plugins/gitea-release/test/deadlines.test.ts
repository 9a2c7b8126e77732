import { spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  type GiteaStandIn,
  type HostileServer,
  type HostileServerOptions,
  startHostileServer,
} from "@hangar/testbed";
import { describe, expect, it } from "vitest";
import { AnswerTooLarge, MAX_ANSWER_BYTES } from "../src/bounded-answer.ts";
import { streamAttachment } from "../src/upload.ts";
import { droneTagEnv, perTest, type Run, TOKEN } from "./helpers.ts";

const { start, workspace, publish } = perTest();

/** An asset of `bytes` bytes: 32 MiB is more than a loopback socket buffers, so a stalled upload stalls. */
async function asset(bytes: number): Promise<void> {
  await mkdir(path.join(workspace.dir, "dist"), { recursive: true });
  await writeFile(path.join(workspace.dir, "dist", "app.apk"), Buffer.alloc(bytes, 7));
}

async function timed<T>(action: () => Promise<T>): Promise<{ result: T; seconds: number }> {
  const started = performance.now();
  const result = await action();
  return { result, seconds: (performance.now() - started) / 1000 };
}

/**
 * The step, publishing a 1 KiB asset with `settings`, against a hostile server of `options`, timed;
 * `check` asks what it must of the run and the server, which is stopped after.
 */
async function againstHostile(
  options: HostileServerOptions,
  settings: Record<string, string>,
  check: (run: Run, seconds: number, server: HostileServer) => Promise<void>,
): Promise<void> {
  const server = await startHostileServer(options);
  try {
    await asset(1024);
    const { result: run, seconds } = await timed(() =>
      publish(server, { PLUGIN_FILES: "dist/*", ...settings }),
    );
    await check(run, seconds, server);
  } finally {
    await server.stop();
  }
}

const ATTACHMENTS = { method: "POST", pathPattern: "repoCreateReleaseAttachment" } as const;
const MiB = 1024 * 1024;

describe("gitea-release: every call ends within timeout, and a cancel cleans up", () => {
  it("gives up on an upload a proxy swallows after timeout, and removes its draft", async () => {
    const g = await start();
    g.addLatency({ ...ATTACHMENTS, ms: 120_000 });
    await asset(1024);
    const { result: run, seconds } = await timed(() =>
      publish(g, { PLUGIN_FILES: "dist/*", PLUGIN_TIMEOUT: "3s" }),
    );
    expect(run.code, run.output).toBe(1);
    expect(run.output).toContain("uploading app.apk");
    expect(run.output).toContain("no answer within 3s after the file was sent");
    expect(run.output).toContain("E_GITEA_TIMEOUT");
    expect(seconds).toBeLessThan(15);
    // A timed-out upload is not tried again: that is what would multiply `timeout`.
    expect(g.count(ATTACHMENTS)).toBe(1);
    expect(g.release("v1.2.0")).toBeUndefined();
  });

  it("gives up on an upload that stops moving half way after timeout", async () => {
    const g = await start();
    g.addLatency({ ...ATTACHMENTS, ms: 120_000 });
    await asset(32 * MiB);
    const { result: run, seconds } = await timed(() =>
      publish(g, { PLUGIN_FILES: "dist/*", PLUGIN_TIMEOUT: "3s" }),
    );
    expect(run.code, run.output).toBe(1);
    expect(run.output).toContain("uploading app.apk");
    expect(run.output).toContain("no progress for 3s");
    expect(seconds).toBeLessThan(15);
    expect(g.release("v1.2.0")).toBeUndefined();
  });

  it("gives up on a server that never answers within timeout, not once per retry", async () => {
    await againstHostile({ mode: "black-hole" }, { PLUGIN_TIMEOUT: "3s" }, async (run, seconds, hole) => {
      expect(run.code, run.output).toBe(1);
      expect(run.output).toContain("looking up the release of tag v1.2.0");
      expect(run.output).toContain("timed out after 3s");
      // Four attempts of 3 s each and the waits between them would take 15 s or more.
      expect(seconds).toBeGreaterThan(2.5);
      expect(seconds).toBeLessThan(10);
      expect(hole.connections).toBe(1);
    });
  });

  it("gives up on a server answering one byte at a time within timeout", async () => {
    const dribble = { mode: "dribble", intervalMs: 200 } as const;
    await againstHostile(dribble, { PLUGIN_TIMEOUT: "3s" }, async (run, seconds, server) => {
      expect(run.code, run.output).toBe(1);
      expect(run.output).toContain("timed out after 3s");
      expect(seconds).toBeLessThan(10);
      await sleep(300);
      expect(server.open).toBe(0);
    });
  });

  it("bounds retries of a slow, failing call by timeout as a whole", async () => {
    const g = await start();
    const lookup = { method: "GET", pathPattern: "repoGetReleaseByTag" } as const;
    g.addLatency({ ...lookup, ms: 1500 });
    g.failNext({ ...lookup, status: 503, count: 20 });
    await asset(1024);
    const { result: run, seconds } = await timed(() =>
      publish(g, { PLUGIN_FILES: "dist/*", PLUGIN_TIMEOUT: "3s" }),
    );
    expect(run.code, run.output).toBe(1);
    expect(run.output).toContain("503");
    expect(run.output).toMatch(/gave up after [1-3] attempts?: `timeout` \(3s\) ran out/);
    // Four attempts of 1.5 s each and the waits between them would take 9.5 s or more.
    expect(seconds).toBeLessThan(7.5);
    expect(g.count(lookup)).toBeLessThan(4);
  });

  it("stops reading an endless answer at the cap instead of growing memory", async () => {
    await againstHostile({ mode: "endless" }, {}, async (run, seconds, endless) => {
      expect(run.code, run.output).toBe(1);
      expect(run.output).toContain("E_GITEA_ANSWER_TOO_LARGE");
      expect(run.output).toContain("over 8.0 MiB");
      expect(seconds).toBeLessThan(20);
      // The client closed the connection: the server could not push past the cap and buffers.
      await sleep(300);
      const sent = endless.bytesSent;
      await sleep(300);
      expect(endless.bytesSent).toBe(sent);
      expect(sent).toBeLessThan(64 * MiB);
      expect(endless.open).toBe(0);
      // Not retried: a body that is too big stays too big.
      expect(run.output).not.toMatch(/retrying/);
    });
  });

  it("stops reading an endless answer to an upload at the cap too", async () => {
    const endless = await startHostileServer({ mode: "endless" });
    try {
      await asset(64 * 1024);
      const upload = streamAttachment({
        url: `${endless.url}/api/v1/repos/acme/app/releases/1/assets`,
        token: TOKEN,
        file: path.join(workspace.dir, "dist", "app.apk"),
        name: "app.apk",
        timeoutMs: 10_000,
        maxAnswerBytes: MAX_ANSWER_BYTES,
      });
      await expect(upload).rejects.toBeInstanceOf(AnswerTooLarge);
      await sleep(300);
      expect(endless.bytesSent).toBeLessThan(64 * MiB);
      expect(endless.open).toBe(0);
    } finally {
      await endless.stop();
    }
  });

  it("on SIGTERM mid-upload, removes its draft and says it was cancelled, without a stack", async () => {
    const g = await start();
    g.addLatency({ ...ATTACHMENTS, ms: 60_000 });
    await asset(32 * MiB);
    const plugin = startPlugin(g);
    await uploadStarted(g, plugin);
    expect(g.release("v1.2.0")?.draft).toBe(true);
    await sleep(500);
    const { result: code, seconds } = await timed(() => plugin.stop());

    expect(code, plugin.output()).not.toBe(0);
    // Within the grace period (8s), and with room for a busy machine.
    expect(seconds).toBeLessThan(15);
    expectCleanCancel(plugin.output());
    expect(g.releases()).toEqual([]);
  }, 90_000);

  it("on SIGTERM while the file is being written, ends as cleanly at any moment", async () => {
    const g = await start();
    await asset(64 * MiB);
    // A cancel that lands while a chunk is on its way fails that write while the next chunk is
    // being read: it must end as a cancel, not as an uncaught ERR_STREAM_DESTROYED.
    for (const afterMs of [10, 50]) {
      const plugin = startPlugin(g);
      await uploadStarted(g, plugin);
      await sleep(afterMs);
      const code = await plugin.stop();
      expect(code, plugin.output()).not.toBe(0);
      expectCleanCancel(plugin.output());
      expect(g.releases(), plugin.output()).toEqual([]);
    }
  }, 120_000);
});

/** The plugin as its own process, as a step runs it, to be stopped with SIGTERM as Drone does. */
function startPlugin(g: GiteaStandIn) {
  const child = spawn(process.execPath, [path.resolve(import.meta.dirname, "../src/index.ts")], {
    cwd: workspace.dir,
    env: {
      PATH: process.env.PATH ?? "",
      ...droneTagEnv(g.url, { PLUGIN_FILES: "dist/*", HANGAR_CANCEL_GRACE: "8s" }),
    },
  });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    output: () => output,
    exited,
    stop: () => {
      child.kill("SIGTERM");
      return exited;
    },
  };
}

async function uploadStarted(g: GiteaStandIn, plugin: ReturnType<typeof startPlugin>): Promise<void> {
  const before = g.count(ATTACHMENTS);
  const started = Date.now();
  while (g.count(ATTACHMENTS) === before) {
    if (Date.now() - started > 15_000) throw new Error(`the upload never started:\n${plugin.output()}`);
    await sleep(5);
  }
}

function expectCleanCancel(output: string): void {
  expect(output).toMatch(/cancelled: removed the draft release this run had created/);
  expect(output).toContain("E_CANCELLED");
  expect(output).not.toContain("ERR_STREAM_DESTROYED");
  expect(output).not.toMatch(/^\s+at /m);
  expect(output).not.toContain("unexpected error");
}
