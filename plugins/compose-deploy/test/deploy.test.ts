import { lstat, readdir, readlink, stat } from "node:fs/promises";
import path from "node:path";
import { readStepOutputs, type Sshd, testbed } from "@hangar/testbed";
import { describe, expect, it } from "vitest";
import { acceptedLogins, droneEnv, runComposeDeploy, sshSettings, tempDir } from "./helpers.ts";
import {
  containerEnv,
  runningImages,
  stackBed,
  stackEnv,
  stackPorts,
  staticBusybox,
  type Version,
  webAnswer,
} from "./stack.ts";

const REGISTRY_PASSWORD = "reg-Pa55'word$(id)";
const DB_PASSWORD = `db s3cret 'quoted' "double" $HOME \\back`;

const docker = await testbed.docker();
const sshd = docker ? await testbed.sshd() : undefined;
const registry = sshd ? await testbed.registry() : undefined;
const busybox = registry ? await staticBusybox() : undefined;

describe.skipIf(!busybox)("compose-deploy against sshd, Docker Engine, docker-compose and a registry", () => {
  const server = sshd as Sshd;
  const project = `shop-${process.pid}`;
  const projects = [project, `${project}-first`];
  const stack = stackBed("deploy", { registry, busybox, stop: [registry, sshd] }, { projects });
  const { workspace, target } = stack;

  function deploy(build: number, version: Version, extra: Record<string, string> = {}) {
    return runComposeDeploy(
      droneEnv({
        ...sshSettings(server),
        DRONE_BUILD_NUMBER: String(build),
        DRONE_COMMIT_SHA: `${String(build).padStart(8, "0")}aaaabbbbccccddddeeeeffff00001111`,
        ...stack.settings(project, version, REGISTRY_PASSWORD),
        PLUGIN_ENV_SECRETS: "DB_PASSWORD",
        DB_PASSWORD,
        PLUGIN_VERIFY_INTERVAL: "300ms",
        PLUGIN_WAIT_TIMEOUT: "60s",
        ...extra,
      }),
      workspace.dir,
    );
  }

  const release = (build: number) => `${build}-${String(build).padStart(8, "0")}`;
  const link = async (name: string) => readlink(path.join(target.dir, name));
  const releases = async () => (await readdir(path.join(target.dir, "releases"))).sort();

  it("deploys a two-service stack from the registry: healthy, verified, secrets kept out of the log", async () => {
    const logins = acceptedLogins(server);
    const result = await deploy(41, "v1");
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain("compose on the host: docker-compose v1");
    expect(result.stdout).toContain("first deploy to this host");
    expect(result.stdout).toMatch(/✔ web: running, healthy/);
    expect(result.stdout).toMatch(/✔ api: running, healthy/);
    expect(result.stdout).toContain(`✔ http://127.0.0.1:${stack.ports.web}/cgi-bin/status answered 200`);
    expect(result.stdout).toContain(`✔ deployed ${project} release ${release(41)}`);
    // One SSH connection for probing, uploading, compose and the verify request.
    expect(acceptedLogins(server) - logins).toBe(1);

    expect(await webAnswer(stack.ports)).toBe("200 web v1");
    expect(await runningImages(project)).toEqual({
      web: `${stack.images.prefix}/web:v1`,
      api: `${stack.images.prefix}/api:v1`,
    });
    expect(await link("current")).toBe(`releases/${release(41)}`);

    // The .env is readable by its owner only, and compose read the secret back unchanged.
    const dotenv = path.join(target.dir, "releases", release(41), "deploy", ".env");
    expect((await stat(dotenv)).mode & 0o777).toBe(0o600);
    expect(await containerEnv(project, "api")).toContain(`DB_PASSWORD=${DB_PASSWORD}`);

    for (const secret of [REGISTRY_PASSWORD, DB_PASSWORD, server.privateKey.split("\n")[1] ?? "x"]) {
      expect(result.output).not.toContain(secret);
    }
    const outputs = await readStepOutputs(workspace.dir);
    expect(outputs).toMatchObject({
      COMPOSE_DEPLOY_HOSTS: `${server.host}:${server.port}`,
      COMPOSE_DEPLOY_PROJECT: project,
      COMPOSE_DEPLOY_RELEASE_DIR: path.join(target.dir, "releases", release(41)),
      COMPOSE_DEPLOY_VERIFIED_URL: `http://127.0.0.1:${stack.ports.web}/cgi-bin/status`,
    });
    // The registry login lived in a Docker config of the deploy's own, removed afterwards.
    expect((await readdir(target.dir)).filter((name) => name.startsWith(".docker-"))).toEqual([]);
  }, 120_000);

  it("redeploys a new image tag: converges, keeps the old release, prunes beyond keep_releases", async () => {
    const second = await deploy(42, "v2");
    expect(second.code, second.output).toBe(0);
    expect(await webAnswer(stack.ports)).toBe("200 web v2");
    expect(await runningImages(project)).toEqual({
      web: `${stack.images.prefix}/web:v2`,
      api: `${stack.images.prefix}/api:v2`,
    });
    expect(await link("current")).toBe(`releases/${release(42)}`);
    expect(await link("previous")).toBe(`releases/${release(41)}`);
    expect(await releases()).toEqual([release(41), release(42)]);

    const third = await deploy(43, "v2", { PLUGIN_KEEP_RELEASES: "2" });
    expect(third.code, third.output).toBe(0);
    expect(third.stdout).toContain(`removed old release(s): ${release(41)}`);
    expect(await releases()).toEqual([release(42), release(43)]);
    expect(await link("previous")).toBe(`releases/${release(42)}`);
  }, 120_000);

  it("rolls back when the new version's health check fails, and says so", async () => {
    const run = await deploy(44, "unhealthy");
    expect(run.code, run.output).toBe(1);
    expect(run.stderr).toContain(`release ${release(44)} failed: not healthy`);
    expect(run.stderr).toContain("its health check fails");
    // The failing services' state and the end of their logs are in the log.
    expect(run.stdout).toMatch(/state of (web, api|api, web)/);
    expect(run.stdout).toContain("health fail");
    // The app logged its database password; the log shows it masked.
    expect(run.stdout).toContain("db password ****");
    expect(run.output).not.toContain(DB_PASSWORD);
    expect(run.stderr).toContain(`rolled back to release ${release(43)}, which is running and healthy`);
    expect(await webAnswer(stack.ports)).toBe("200 web v2");
    expect(await link("current")).toBe(`releases/${release(43)}`);
    const outputs = await readStepOutputs(workspace.dir);
    expect(outputs.COMPOSE_DEPLOY_ROLLED_BACK).toBe("true");
  }, 120_000);

  it("rolls back when the verify URL answers 500", async () => {
    const run = await deploy(45, "status500", { PLUGIN_VERIFY_RETRIES: "3" });
    expect(run.code, run.output).toBe(1);
    expect(run.stdout).toContain("try 3/3");
    expect(run.stderr).toContain("did not answer 200 in 3 tries 300ms apart (last: 500: web status500)");
    expect(run.stderr).toContain(`rolled back to release ${release(43)}, which is running and healthy`);
    expect(await webAnswer(stack.ports)).toBe("200 web v2");
    for (const secret of [REGISTRY_PASSWORD, DB_PASSWORD]) expect(run.output).not.toContain(secret);
  }, 120_000);

  it("deploys the current release again: converges, and its rollback target is the one before", async () => {
    // The verify URL fetched from the runner this time, not through the SSH connection.
    const run = await deploy(43, "v2", { PLUGIN_KEEP_RELEASES: "2", PLUGIN_VERIFY_FROM: "plugin" });
    expect(run.code, run.output).toBe(0);
    expect(run.stdout).toContain(`✔ http://127.0.0.1:${stack.ports.web}/cgi-bin/status answered 200`);
    expect(run.stdout).toContain(`current release: ${release(43)} (this one, deployed again)`);
    expect(await link("current")).toBe(`releases/${release(43)}`);
    expect(await link("previous")).toBe(`releases/${release(42)}`);
    expect((await lstat(path.join(target.dir, "releases", release(43)))).isDirectory()).toBe(true);
  }, 120_000);

  it("a failed first deploy has nothing to roll back to: says so and removes what it started", async () => {
    const first = await tempDir("first");
    try {
      const run = await deploy(1, "unhealthy", {
        PLUGIN_PROJECT: `${project}-first`,
        PLUGIN_TARGET: first.dir,
        PLUGIN_ENV: stackEnv(stack.images, await stackPorts(), "unhealthy"),
        PLUGIN_VERIFY_URL: "",
      });
      expect(run.code, run.output).toBe(1);
      expect(run.stderr).toContain("first deploy to the host, so there was nothing to roll back to");
      expect(await runningImages(`${project}-first`)).toEqual({});
    } finally {
      await first.remove();
    }
  }, 120_000);
});
