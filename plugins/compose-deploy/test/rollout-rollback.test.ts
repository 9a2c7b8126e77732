/**
 * A rollback is a rollout of the previous release: when a later service of a rollout fails, the
 * services it already rolled forward come back the same way, beside the new containers, with no
 * failed request through the proxy. An `up` that fails half way leaves nothing behind, and
 * `--remove-orphans` is honoured when no service needed an `up` of its own.
 */
import { readlink } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runComposeDeploy } from "./helpers.ts";
import { proxiedBed, proxiedTools } from "./proxied-bed.ts";
import { PROXIED_COMPOSE, proxiedAnswer, serviceIds, steadyLoad } from "./proxied-stack.ts";
import { projectIds } from "./stack.ts";

// One `web` this time; `api` starts after it (depends_on), so a failing api finds web already
// rolled forward.
const WEB = `  web:\n    image: \${IMAGES}/web:\${IMAGE_TAG}\n    init: true\n`;
const COMPOSE = `${PROXIED_COMPOSE.replace("    scale: 2\n", "").replace("    healthcheck:\n", "    healthcheck: &health\n")}  api:
    image: \${IMAGES}/web:\${IMAGE_TAG}
    init: true
    depends_on: [web]
    environment:
      APP_HEALTH: \${API_HEALTH}
    healthcheck: *health
`;
// Docker creates web's new container and then cannot start it: `up` fails half way.
const UNSTARTABLE = COMPOSE.replace(
  WEB,
  `${WEB.replace("init: true", "init: false")}    entrypoint: ["/app/missing"]\n`,
);
// A service the next release drops: its container is an orphan then.
const WITH_EXTRA = `${COMPOSE}  extra:\n    image: \${IMAGES}/web:\${IMAGE_TAG}\n    init: true\n`;

const tools = await proxiedTools();

describe.skipIf(!tools)("update: rollout, rolled back", () => {
  const project = `rollback-${process.pid}`;
  const bed = proxiedBed("rollout-rollback", project, tools, COMPOSE);
  const deploy = (build: number, tag: string, apiHealth: string, extra: Record<string, string> = {}) =>
    runComposeDeploy(
      bed.env(
        build,
        JSON.stringify({
          IMAGES: bed.images.prefix,
          IMAGE_TAG: tag,
          PROXY_PORT: String(bed.port),
          API_HEALTH: apiHealth,
        }),
        extra,
      ),
      bed.workspace.dir,
    );
  const current = () => readlink(path.join(bed.target.dir, "current"));

  it("web rolled forward, api unhealthy: web is rolled back beside the new ones, 0 failed requests", async () => {
    const first = await deploy(1, "v1", "ok");
    expect(first.code, first.output).toBe(0);
    expect(await proxiedAnswer(bed.port)).toBe("200 web v1");

    const load = steadyLoad(bed.port);
    const second = await deploy(2, "v2", "fail");
    const seen = await load.stop();
    expect(second.code, second.output).toBe(1);
    expect(second.stdout).toContain("web: 1 new container(s) healthy, 1 old one(s) stopped and removed");
    expect(second.stderr).toMatch(/api: not healthy: .*its health check fails/);
    // The rollback rolls web out again, to release 1; api never left it.
    expect(second.stdout).toContain("rolling back to 1-00000001");
    expect(second.stdout).toContain("api: its 1 container(s) already run this release: left as they are");
    expect(second.stderr).toContain("rolled back to release 1-00000001, which is running and healthy again");
    expect(seen.failures).toEqual([]);
    expect(seen.answers).toEqual(new Set(["web v1", "web v2"]));
    expect(await proxiedAnswer(bed.port)).toBe("200 web v1");
    expect(await current()).toBe("releases/1-00000001");
  }, 240_000);

  it("an `up` that fails half way: the container it created is removed, the old one served on, 0 failed requests", async () => {
    const before = await serviceIds(project, "web");
    await bed.writeCompose("deploy/unstartable.yml", UNSTARTABLE);
    const load = steadyLoad(bed.port);
    const third = await deploy(3, "v2", "ok", { PLUGIN_COMPOSE_FILES: "deploy/unstartable.yml" });
    const seen = await load.stop();
    expect(third.code, third.output).toBe(1);
    expect(third.stderr).toMatch(/\/app\/missing/);
    expect(third.stderr).toContain(
      "the new web container(s) were removed; the old ones kept serving, untouched",
    );
    expect(seen.failures).toEqual([]);
    expect(await proxiedAnswer(bed.port)).toBe("200 web v1");
    // Not one created-but-never-started container is left: only the old one, running.
    expect(await projectIds(project, { service: "web", all: true })).toEqual(before);
    expect(await current()).toBe("releases/1-00000001");
  }, 240_000);

  it("`--remove-orphans` when every service already runs the release: the dropped service's container goes", async () => {
    await bed.writeCompose("deploy/extra.yml", WITH_EXTRA);
    const fourth = await deploy(4, "v1", "ok", { PLUGIN_COMPOSE_FILES: "deploy/extra.yml" });
    expect(fourth.code, fourth.output).toBe(0);
    expect(await serviceIds(project, "extra")).toHaveLength(1);
    const web = await serviceIds(project, "web");

    // web and api are named and unchanged: no `up` of theirs runs, yet the orphan is removed.
    const fifth = await deploy(5, "v1", "ok", { PLUGIN_SERVICES: "web,api" });
    expect(fifth.code, fifth.output).toBe(0);
    expect(fifth.stdout).toContain("web: its 1 container(s) already run this release: left as they are");
    expect(await serviceIds(project, "extra")).toEqual([]);
    expect(await serviceIds(project, "web")).toEqual(web);
    expect(await proxiedAnswer(bed.port)).toBe("200 web v1");
    expect(await current()).toBe("releases/5-00000005");
  }, 240_000);
});
