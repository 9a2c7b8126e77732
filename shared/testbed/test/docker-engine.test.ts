import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serverFixture } from "../src/availability.ts";
import { ensureDockerEngine, type IsolatedDockerd, isAlive } from "../src/docker-engine.ts";
import { run } from "../src/run.ts";
import { makeTempDir } from "../src/temp-dir.ts";
import { waitUntil } from "../src/wait.ts";

const engineModule = pathToFileURL(join(import.meta.dirname, "../src/docker-engine.ts")).href;

describe("Docker Engine", () => {
  const docker = serverFixture("the Docker Engine", () => ensureDockerEngine());
  beforeAll(docker.setup);
  afterAll(docker.teardown);

  it("answers docker info", async (ctx) => {
    const engine = docker.get(ctx);
    expect(engine.serverVersion).toMatch(/^\d+\.\d+/);
    const { stdout } = await run("docker", ["info", "--format", "{{.ServerVersion}}"], { env: engine.env });
    expect(stdout.trim()).toBe(engine.serverVersion);
  });

  it("starts a detached dockerd that outlives the process that started it, and reuses it", async (ctx) => {
    docker.get(ctx);
    if (process.getuid?.() !== 0) ctx.skip("starting dockerd needs root");
    const dir = await makeTempDir("dockerd-test");
    const isolated: IsolatedDockerd = {
      socket: join(dir.path, "docker.sock"),
      dataRoot: join(dir.path, "data"),
      execRoot: join(dir.path, "exec"),
      pidFile: join(dir.path, "docker.pid"),
    };
    const logFile = join(dir.path, "dockerd.log");
    let pid: number | undefined;
    try {
      // A separate node process starts it and exits, as `.ci/ensure-docker` does.
      const script = `const { ensureDockerEngine } = await import(${JSON.stringify(engineModule)});
const engine = await ensureDockerEngine(${JSON.stringify({ isolated, logFile })});
console.log(JSON.stringify({ pid: engine.pid, startedByUs: engine.startedByUs }));`;
      const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], {
        timeoutMs: 90_000,
      });
      const started = JSON.parse(stdout) as { pid: number; startedByUs: boolean };
      pid = started.pid;
      expect(started.startedByUs).toBe(true);
      expect(isAlive(started.pid)).toBe(true);

      const again = await ensureDockerEngine({ isolated, logFile });
      expect(again).toMatchObject({ startedByUs: false, pid: undefined });
      const { stdout: root } = await run("docker", ["info", "--format", "{{.DockerRootDir}}"], {
        env: again.env,
      });
      expect(root.trim()).toBe(isolated.dataRoot);
    } finally {
      const running = pid;
      if (running !== undefined && isAlive(running)) {
        process.kill(running, "SIGTERM");
        await waitUntil(`dockerd ${running} to exit`, () => !isAlive(running), { timeoutMs: 30_000 });
      }
      await dir.remove();
    }
  });
});
