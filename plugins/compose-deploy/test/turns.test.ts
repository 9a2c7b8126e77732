import { spawn } from "node:child_process";
import { mkdir, readdir, readFile, readlink, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { type Sshd, startHostileServer, testbed } from "@hangar/testbed";
import { describe, expect, it } from "vitest";
import { droneEnv, runComposeDeploy, sshSettings, startComposeDeploy, tempDir } from "./helpers.ts";
import { stackBed, staticBusybox, type Version, webAnswer } from "./stack.ts";

/**
 * Two builds deploying to one host at once, cancelled and killed deploys, and files that lead out
 * of the workspace: against the test bed's sshd, Docker Engine and registry. Each test starts from
 * what the one before it left on the host, as deploys of one project do.
 */

const REGISTRY_PASSWORD = "reg-turns-Pa55word";

const docker = await testbed.docker();
const sshd = docker ? await testbed.sshd() : undefined;
const registry = sshd ? await testbed.registry() : undefined;
const busybox = registry ? await staticBusybox() : undefined;

describe.skipIf(!busybox)(
  "compose-deploy: deploys take turns, never travel back, clean up after a cancel",
  () => {
    const server = sshd as Sshd;
    const project = `turns-${process.pid}`;
    const stack = stackBed("turns", { registry, busybox, stop: [registry, sshd] }, { projects: [project] });
    const { workspace, target } = stack;

    const sha = (build: number) => `${String(build).padStart(8, "0")}aaaabbbbccccddddeeeeffff00001111`;
    const release = (build: number) => `${build}-${String(build).padStart(8, "0")}`;
    function env(build: number, version: Version, extra: Record<string, string> = {}) {
      return droneEnv({
        ...sshSettings(server),
        DRONE_BUILD_NUMBER: String(build),
        DRONE_BUILD_LINK: `https://drone.example.com/acme/shop/${build}`,
        DRONE_COMMIT_SHA: sha(build),
        ...stack.settings(project, version, REGISTRY_PASSWORD),
        PLUGIN_VERIFY_INTERVAL: "300ms",
        PLUGIN_WAIT_TIMEOUT: "60s",
        ...extra,
      });
    }
    const current = () => readlink(path.join(target.dir, "current"));
    const dockerConfigs = async () =>
      (await readdir(target.dir)).filter((name) => name.startsWith(".docker-"));
    const outputs = async () =>
      JSON.parse(await readFile(path.join(workspace.dir, ".hangar", "outputs.json"), "utf8"));

    it("refuses compose files that lead out of the workspace, before connecting: nothing reaches the host", async () => {
      const linked = await tempDir("turns-linked");
      const outside = await tempDir("turns-outside");
      try {
        await mkdir(path.join(linked.dir, "deploy"));
        await writeFile(path.join(outside.dir, "secret.yml"), `password: ${REGISTRY_PASSWORD}-outside\n`);
        await symlink("/proc/self/environ", path.join(linked.dir, "compose.yml"));
        await symlink(path.join(outside.dir, "secret.yml"), path.join(linked.dir, "deploy", "compose.yml"));
        for (const file of ["compose.yml", "deploy/compose.yml"]) {
          const run = await runComposeDeploy(env(1, "v1", { PLUGIN_COMPOSE_FILES: file }), linked.dir);
          expect(run.code, run.output).toBe(2);
          expect(run.stderr).toContain(
            `compose_files: ${file} leads outside the workspace through a symlink`,
          );
          expect(run.output).not.toContain("connected to");
          expect(run.output).not.toContain("-outside");
        }
        expect(await readdir(target.dir)).toEqual([]);
      } finally {
        await linked.remove();
        await outside.remove();
      }
    });

    it("removes a registry login an earlier, killed deploy left on the host", async () => {
      await mkdir(path.join(target.dir, ".docker-9-00000009-deadbeef"));
      await writeFile(path.join(target.dir, ".docker-9-00000009-deadbeef", "config.json"), '{"auths":{}}');
      const run = await runComposeDeploy(env(10, "v1"), workspace.dir);
      expect(run.code, run.output).toBe(0);
      expect(run.stderr).toContain("removed 1 registry login(s) an earlier, interrupted deploy left");
      expect(await dockerConfigs()).toEqual([]);
      expect(await webAnswer(stack.ports)).toBe("200 web v1");
      expect(await current()).toBe(`releases/${release(10)}`);
      expect(await outputs()).toMatchObject({
        COMPOSE_DEPLOY_RUNNING_RELEASE: release(10),
        COMPOSE_DEPLOY_RUNNING_BUILD: "10",
        COMPOSE_DEPLOY_RUNNING_COMMIT: sha(10),
      });
      const manifest = JSON.parse(
        await readFile(path.join(target.dir, "releases", release(10), ".hangar-release.json"), "utf8"),
      );
      expect(manifest).toMatchObject({ build: 10, commit: sha(10), event: "push" });
    }, 180_000);

    it("newer build first: the older one waits for the lock, then is skipped; the newer one runs", async () => {
      const newer = startComposeDeploy(env(12, "v2"), workspace.dir);
      await newer.waitFor("holding the deploy lock");
      const older = startComposeDeploy(env(11, "v1"), workspace.dir);
      await older.waitFor("waiting up to 10m for the deploy lock");
      expect(older.output()).toMatch(
        /held by build 12 \(commit 00000012\), release 12-00000012 since 20\d\d-/,
      );
      const [newRun, oldRun] = [await newer.done, await older.done];
      expect(newRun.code, newRun.output).toBe(0);
      expect(oldRun.code, oldRun.output).toBe(0);
      expect(oldRun.output).toContain("skipped: build 12 is deployed, this is build 11");
      expect(oldRun.output).not.toContain("docker-compose -p");
      expect(await webAnswer(stack.ports)).toBe("200 web v2");
      expect(await current()).toBe(`releases/${release(12)}`);
      expect(await outputs()).toMatchObject({
        COMPOSE_DEPLOY_SKIPPED: "true",
        COMPOSE_DEPLOY_RUNNING_RELEASE: release(12),
        COMPOSE_DEPLOY_RUNNING_BUILD: "12",
      });
    }, 240_000);

    it("older build first: the newer one waits its turn and deploys over it", async () => {
      const older = startComposeDeploy(env(13, "v1"), workspace.dir);
      await older.waitFor("holding the deploy lock");
      const newer = startComposeDeploy(env(14, "v2"), workspace.dir);
      await newer.waitFor("held by build 13");
      const [oldRun, newRun] = [await older.done, await newer.done];
      expect(oldRun.code, oldRun.output).toBe(0);
      expect(newRun.code, newRun.output).toBe(0);
      // The newer build looked at the host only after the older one was done with it.
      expect(newRun.stdout).toContain(`current release: ${release(13)}`);
      expect(await webAnswer(stack.ports)).toBe("200 web v2");
      expect(await current()).toBe(`releases/${release(14)}`);
      expect(await outputs()).toMatchObject({ COMPOSE_DEPLOY_RUNNING_BUILD: "14" });
    }, 300_000);

    it("a promote deploys an older build on purpose", async () => {
      const run = await runComposeDeploy(env(11, "v1", { DRONE_BUILD_EVENT: "promote" }), workspace.dir);
      expect(run.code, run.output).toBe(0);
      expect(run.stderr).toContain("deploying build 11 over build 14, which is newer: a promote asks for it");
      expect(await webAnswer(stack.ports)).toBe("200 web v1");
      expect(await current()).toBe(`releases/${release(11)}`);
      expect(await outputs()).toMatchObject({ COMPOSE_DEPLOY_RUNNING_BUILD: "11" });
    }, 180_000);

    it("a deploy cancelled while waiting for health rolls back to the release that was current", async () => {
      const cancel = new AbortController();
      const broken = startComposeDeploy(env(15, "unhealthy"), workspace.dir, {
        signal: cancel.signal,
        cancelGraceMs: 60_000,
      });
      await broken.waitFor("to run and be healthy");
      cancel.abort(new Error("the step was cancelled"));
      const run = await broken.done;
      expect(run.code, run.output).not.toBe(0);
      expect(run.output).toContain(
        `cancelled: rolled back to release ${release(11)}, which is running and healthy`,
      );
      expect(await webAnswer(stack.ports)).toBe("200 web v1");
      expect(await current()).toBe(`releases/${release(11)}`);
      expect(await dockerConfigs()).toEqual([]);
      expect(await outputs()).toMatchObject({
        COMPOSE_DEPLOY_ROLLED_BACK: "true",
        COMPOSE_DEPLOY_RUNNING_RELEASE: release(11),
      });
    }, 180_000);

    it("a deploy killed with SIGKILL while holding the lock: the next one proceeds once its connection is gone", async () => {
      const child = spawn(process.execPath, [path.resolve(import.meta.dirname, "../src/index.ts")], {
        cwd: workspace.dir,
        env: { PATH: process.env.PATH ?? "", ...env(16, "v1") },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let childOutput = "";
      child.stdout.on("data", (chunk: Buffer) => (childOutput += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (childOutput += chunk.toString()));
      const exited = new Promise((resolve) => child.on("exit", resolve));
      // Killed once it holds the lock and is logged in to the registry: its login stays behind.
      const deadline = Date.now() + 120_000;
      while (!childOutput.includes("is in place")) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(childOutput);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      child.kill("SIGKILL");
      await exited;
      expect(await dockerConfigs()).toHaveLength(1);

      const run = await runComposeDeploy(env(17, "v2", { PLUGIN_LOCK_TIMEOUT: "60s" }), workspace.dir);
      expect(run.code, run.output).toBe(0);
      expect(run.stderr).toContain("removed 1 registry login(s)");
      expect(await dockerConfigs()).toEqual([]);
      expect(await webAnswer(stack.ports)).toBe("200 web v2");
      expect(await current()).toBe(`releases/${release(17)}`);
    }, 240_000);

    it("a verify URL that never answers, or never stops answering, ends within timeout", async () => {
      const hole = await startHostileServer({ mode: "black-hole" });
      const endless = await startHostileServer({ mode: "endless" });
      try {
        const silent = await runComposeDeploy(
          env(18, "v2", {
            PLUGIN_VERIFY_URL: `${hole.url}/health`,
            PLUGIN_TIMEOUT: "5s",
            PLUGIN_VERIFY_RETRIES: "2",
          }),
          workspace.dir,
        );
        expect(silent.code, silent.output).toBe(1);
        expect(silent.stdout).toContain(`try 2/2: ${hole.url}/health → no answer within 5s`);
        expect(silent.stderr).toContain(
          `rolled back to release ${release(17)}, but it is not healthy either`,
        );
        expect(hole.connections).toBeGreaterThanOrEqual(2);
        expect(hole.open).toBe(0);
        expect(await current()).toBe(`releases/${release(17)}`);

        // 200 with a body that never ends: the status is the answer, the body is not read on.
        const streaming = await runComposeDeploy(
          env(19, "v2", { PLUGIN_VERIFY_URL: endless.url, PLUGIN_TIMEOUT: "5s", PLUGIN_VERIFY_RETRIES: "1" }),
          workspace.dir,
        );
        expect(streaming.code, streaming.output).toBe(0);
        expect(streaming.stdout).toContain(`✔ ${endless.url} answered 200`);
        expect(await current()).toBe(`releases/${release(19)}`);
      } finally {
        await hole.stop();
        await endless.stop();
      }
    }, 240_000);
  },
);
