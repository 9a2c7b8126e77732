import { readFile, readlink } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { run } from "@hangar/testbed";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { droneEnv, runComposeDeploy, startComposeDeploy, tempDir } from "./helpers.ts";
import { proxiedBed, proxiedTools, releaseOf } from "./proxied-bed.ts";
import {
  type ProxiedVersion,
  proxiedAnswer,
  proxiedEnv,
  serviceIds,
  steadyLoad,
  writeProxiedStack,
} from "./proxied-stack.ts";

describe("update: rollout and promotion, planned", () => {
  let workspace: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    workspace = await tempDir("rollout-plan");
    await writeProxiedStack(workspace.dir);
  });
  afterAll(async () => workspace?.remove());

  const env = (extra: Record<string, string>) =>
    droneEnv({
      PLUGIN_HOST: "127.0.0.1:2222",
      PLUGIN_USERNAME: "deploy",
      PLUGIN_PASSWORD: "unused",
      PLUGIN_INSECURE_IGNORE_HOST_KEY: "true",
      PLUGIN_COMPOSE_FILES: "deploy/compose.yml",
      PLUGIN_UPDATE: "rollout",
      PLUGIN_DRY_RUN: "true",
      ...extra,
    });

  it("dry_run names each service's way: web rolled out, the proxy with its fixed host port recreated", async () => {
    const run = await runComposeDeploy(env({}), workspace.dir);
    expect(run.code, run.output).toBe(0);
    expect(run.stdout).toContain("update:    rollout:");
    expect(run.stdout).toContain("drain of 5s");
    expect(run.stdout).toMatch(
      /proxy: recreate \(it publishes a fixed host port \(127\.0\.0\.1:\$\{PROXY_PORT\}:80\)/,
    );
    expect(run.stdout).toContain("web: rollout (health check, no fixed name or host port)");
  });

  it("refuses to roll out a service named in `services` that cannot run twice", async () => {
    const run = await runComposeDeploy(env({ PLUGIN_SERVICES: "proxy,web" }), workspace.dir);
    expect(run.code, run.output).not.toBe(0);
    expect(run.output).toContain("names proxy, which `update: rollout` cannot roll out");
    expect(run.output).toContain("fixed host port");
  });

  // `drone build promote acme/shop 7 production`
  const PROMOTION = { DRONE_BUILD_EVENT: "promote", DRONE_DEPLOY_TO: "production" };
  it("a promotion names the promoted build and its target, and deploys it even over a newer build", async () => {
    const run = await runComposeDeploy(
      env({ ...PROMOTION, DRONE_BUILD_PARENT: "7", DRONE_BUILD_NUMBER: "9", PLUGIN_UPDATE: "recreate" }),
      workspace.dir,
    );
    expect(run.code, run.output).toBe(0);
    expect(run.stdout).toContain("promotion: build 7 promoted to production as build 9");
    expect(run.stdout).toContain("deploy even over a newer build (force or a promote/rollback event)");
  });
});

const tools = await proxiedTools();

describe.skipIf(!tools)("update: rollout through a real proxy under a steady load", () => {
  const project = `proxied-${process.pid}`;
  const bed = proxiedBed("rollout", project, tools);
  const env = (build: number, version: ProxiedVersion, extra: Record<string, string> = {}) =>
    bed.env(build, proxiedEnv(bed.images, bed.port, version), {
      PLUGIN_VERIFY_URL: "http://web:8080/cgi-bin/status",
      PLUGIN_VERIFY_INTERVAL: "300ms",
      PLUGIN_VERIFY_RETRIES: "5",
      ...extra,
    });
  const deploy = (build: number, version: ProxiedVersion, extra: Record<string, string> = {}) =>
    runComposeDeploy(env(build, version, extra), bed.workspace.dir);

  it("v1 → v2: 0 failed requests, v2 answers, the old containers are gone, `current` switched", async () => {
    const first = await deploy(1, "v1");
    expect(first.code, first.output).toBe(0);
    expect(await proxiedAnswer(bed.port)).toBe("200 web v1");
    const v1 = await serviceIds(project, "web");
    expect(v1).toHaveLength(2);

    const load = steadyLoad(bed.port);
    const second = await deploy(2, "v2");
    const seen = await load.stop();
    expect(second.code, second.output).toBe(0);
    expect(second.stdout).toContain("web: starting 2 new container(s) beside the 2 running");
    expect(second.stdout).toContain("web: 2 new container(s) healthy, 2 old one(s) stopped and removed");
    // verify_url names the service: it is asked of each new container at its own address (the
    // subnet is whichever Docker's address pools gave the stack's network).
    const proofs =
      second.stdout.match(/✔ http:\/\/\d+\.\d+\.\d+\.\d+:8080\/cgi-bin\/status answered 200/g) ?? [];
    expect(new Set(proofs).size, second.stdout).toBe(2);
    expect(seen.sent).toBeGreaterThan(20);
    expect(seen.failures).toEqual([]);
    expect(seen.answers).toEqual(new Set(["web v1", "web v2"]));

    expect(await proxiedAnswer(bed.port)).toBe("200 web v2");
    const v2 = await serviceIds(project, "web");
    expect(v2).toHaveLength(2);
    expect(v2.filter((id) => v1.includes(id))).toEqual([]);
    expect(await readlink(path.join(bed.target.dir, "current"))).toBe(`releases/${releaseOf(2)}`);
  }, 180_000);

  it("an unhealthy v3: 0 failed requests, v2 serves on untouched, the step fails with the new containers' state and log", async () => {
    const v2 = await serviceIds(project, "web");
    const load = steadyLoad(bed.port);
    const third = await deploy(3, "v3");
    const seen = await load.stop();
    expect(third.code, third.output).toBe(1);
    expect(third.stderr).toMatch(/web: not healthy: .*its health check fails/);
    expect(third.stderr).toMatch(/health unhealthy/);
    expect(third.stderr).toContain("web v3 listening on :8080 (health fail)");
    expect(third.stderr).toContain(
      "the new web container(s) were removed; the old ones kept serving, untouched",
    );
    expect(seen.failures).toEqual([]);
    expect(seen.answers.has("web v2")).toBe(true);

    expect(await proxiedAnswer(bed.port)).toBe("200 web v2");
    expect((await serviceIds(project, "web")).sort()).toEqual([...v2].sort());
    expect(await readlink(path.join(bed.target.dir, "current"))).toBe(`releases/${releaseOf(2)}`);
  }, 180_000);

  it("a canary that turns unhealthy half way is retired: 0 failed requests, v2 serves on, the step says what failed", async () => {
    const v2 = await serviceIds(project, "web");
    const load = steadyLoad(bed.port);
    const deploying = startComposeDeploy(
      env(4, "v1", { PLUGIN_CANARY: "20s", PLUGIN_VERIFY_INTERVAL: "500ms" }),
      bed.workspace.dir,
    );
    // Half way: once the canary is proven and watched, its health check breaks.
    await deploying.waitFor("the canary is healthy; probing it every 500ms for 20s");
    const canary = (await serviceIds(project, "web")).find((id) => !v2.includes(id));
    expect(canary).toBeDefined();
    await sleep(3_000);
    await run("docker", ["exec", canary as string, "/bin/busybox", "touch", "/tmp/sick"], {
      timeoutMs: 30_000,
    });
    const fourth = await deploying.done;
    const seen = await load.stop();
    expect(fourth.code, fourth.output).toBe(1);
    expect(fourth.stdout).toContain("web: a canary beside the 2 running, watched for 20s");
    expect(fourth.stderr).toMatch(/web: the canary failed probe \d+: .*its health check fails/);
    expect(fourth.stderr).toContain(
      "the canary web container(s) were removed; the old ones kept serving, untouched",
    );
    expect(seen.failures).toEqual([]);
    expect(await proxiedAnswer(bed.port)).toBe("200 web v2");
    expect((await serviceIds(project, "web")).sort()).toEqual([...v2].sort());
    expect(await readlink(path.join(bed.target.dir, "current"))).toBe(`releases/${releaseOf(2)}`);
  }, 240_000);

  it("a canary that stays healthy: the rest follow, and the card says how long it ran and the probes it passed", async () => {
    const card = path.join(bed.workspace.dir, "card.json");
    const fifth = await deploy(5, "v1", {
      PLUGIN_CANARY: "3s",
      PLUGIN_VERIFY_INTERVAL: "500ms",
      DRONE_CARD_PATH: card,
    });
    expect(fifth.code, fifth.output).toBe(0);
    expect(fifth.stdout).toContain("web: starting 1 new container(s) beside the 2 running");
    expect(await readFile(card, "utf8")).toMatch(/web: the canary ran 3s, [1-9]\d* probe\(s\) passed/);
    expect(await proxiedAnswer(bed.port)).toBe("200 web v1");
    expect(await serviceIds(project, "web")).toHaveLength(2);
  }, 240_000);
});
