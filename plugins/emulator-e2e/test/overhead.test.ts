import { execFile } from "node:child_process";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { Logger } from "@hangar/kit";
import { afterEach, describe, expect, it } from "vitest";
import type { E2ePlan } from "../src/plan.ts";
import type { CommandResult, Runner, Started } from "../src/runners/runner.ts";
import { LocalRunner } from "../src/runners/runner-local.ts";
import { bootEmulator } from "../src/stages/boot.ts";
import { missingTools } from "../src/tools/sdk.ts";
import { sdkTools } from "../src/tools/sdk-paths.ts";

/**
 * What the step spends beyond the tools' own time: how often it asks, how many commands it runs,
 * and that nothing of its own keeps its process alive once everything has stopped.
 */

const quietLog = () => new Logger({ stdout: { write: () => true }, stderr: { write: () => true } });

const SERIAL = "emulator-5554";
const run = promisify(execFile);

function planFor(root: string, artifacts: string, create = true): E2ePlan {
  return {
    sdk: sdkTools(root),
    avd: { name: "hangar", create, systemImage: "", profile: "pixel_6", abi: "google_apis/x86_64" },
    emulator: { port: 5554, serial: SERIAL, options: [], bootTimeoutMs: 60_000 },
    artifacts: { relative: ".hangar/e2e", absolute: artifacts },
  } as unknown as E2ePlan;
}

/** A process that runs until `end` is called. */
function fakeProcess(name: string): Started & { end(code?: number): void } {
  let alive = true;
  let end: (code: number | null) => void = () => {};
  const exited = new Promise<number | null>((resolve) => {
    end = resolve;
  });
  return {
    name,
    pid: 4242,
    exited,
    running: () => alive,
    kill: () => {},
    end(code = 0) {
      alive = false;
      end(code);
    },
  };
}

describe("the step's own overhead", () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });
  async function tempDir(): Promise<string> {
    const dir = await mkdtemp(path.join(tmpdir(), "e2e-overhead-"));
    dirs.push(dir);
    return dir;
  }

  it("waiting for a process to exit leaves no timer behind once it has exited", async () => {
    // In a process of its own, as the step is: a timer left running would hold it open for the
    // rest of the 30 s wait after the child had long exited.
    const script = `
      import { exitsWithin } from ${JSON.stringify(path.join(import.meta.dirname, "../src/stages/cleanup.ts"))};
      let alive = true;
      const exited = new Promise((resolve) => setTimeout(() => { alive = false; resolve(0); }, 50));
      const child = { name: "emulator", pid: 1, exited, running: () => alive, kill() {} };
      console.log(await exitsWithin(child, 30_000));
      const stubborn = { name: "logcat", pid: 2, exited: new Promise(() => {}), running: () => true, kill() {} };
      console.log(await exitsWithin(stubborn, 100));
    `;
    const started = Date.now();
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], {
      timeout: 60_000,
    });
    expect(stdout.trim().split("\n")).toEqual(["true", "false"]);
    expect(Date.now() - started).toBeLessThan(15_000);
  }, 60_000);

  it("polls the boot at a steady pace, not one that backs off while the boot goes on", async () => {
    const artifacts = await tempDir();
    const polls: number[] = [];
    const pending = 5;
    const emulator = fakeProcess("emulator");
    const answer = (stdout: string, exitCode = 0): CommandResult => ({ stdout, stderr: "", exitCode });
    const runner = {
      where: "local",
      workDir: artifacts,
      start: async () => emulator,
      tail: async () => "",
      run: async (_file: string, args: readonly string[]) => {
        const command = args.slice(2).join(" ");
        if (command === "shell getprop sys.boot_completed") {
          polls.push(Date.now());
          if (polls.length === 1) return answer("", 1);
          return answer(polls.length > pending ? "1" : "");
        }
        if (command.endsWith("getprop init.svc.bootanim")) return answer("stopped");
        return answer("");
      },
    } as unknown as Runner;
    const step = { runner, plan: planFor("/sdk", artifacts), processes: {}, log: quietLog() };
    await bootEmulator(step, new AbortController().signal);
    emulator.end();
    expect(polls).toHaveLength(pending + 1);
    const gaps = polls.slice(1).map((at, index) => at - (polls[index] ?? at));
    // A back-off from 500 ms by 1.5× would wait 750, 1125 and 1687 ms before the later polls.
    expect(Math.max(...gaps)).toBeLessThan(1_000);
  });

  it("finds the missing SDK tools with one command on the runner, naming each", async () => {
    const root = await tempDir();
    const plan = planFor(root, path.join(root, "artifacts"));
    for (const tool of [plan.sdk.adb, plan.sdk.emulator, plan.sdk.sdkmanager]) {
      await mkdir(path.dirname(tool), { recursive: true });
      await writeFile(tool, "#!/bin/sh\n");
    }
    await chmod(plan.sdk.adb, 0o755);
    await chmod(plan.sdk.emulator, 0o755);
    // sdkmanager is there but not executable; avdmanager is not there at all.
    const local = new LocalRunner(root, quietLog(), { PATH: process.env.PATH ?? "" });
    let commands = 0;
    const runner = Object.assign(Object.create(local) as Runner, {
      run: (file: string, args: readonly string[], options?: object) => {
        commands++;
        return local.run(file, args, options);
      },
    });
    expect(await missingTools(runner, plan)).toEqual([plan.sdk.sdkmanager, plan.sdk.avdmanager]);
    expect(commands).toBe(1);
    expect(await missingTools(runner, planFor(root, root, false))).toEqual([]);
  });
});
