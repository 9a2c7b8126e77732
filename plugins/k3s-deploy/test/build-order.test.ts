// biome-ignore-all lint/suspicious/noExplicitAny: the tests read stored objects; each assertion checks the shape it reads
import { readFile } from "node:fs/promises";
import path from "node:path";
import { readStepOutputs } from "@hangar/testbed";
import { describe, expect, it } from "vitest";
import { CONFIG, droneEnv, perTestCluster, runK3sDeploy, WEB } from "./helpers.ts";

/** Builds of one branch deployed out of order, one after the other and at once. */

const bed = perTestCluster(
  { stepMs: 20 },
  { files: { "deploy/k8s/web.yaml": WEB, "deploy/k8s/config.yaml": CONFIG } },
);
const { workspace } = bed;

const NS = "preview-feature-login";
const sha = (build: number) => String(build).repeat(40).slice(0, 40);
const build = (number: number, extra: Record<string, string> = {}) =>
  droneEnv({
    PLUGIN_KUBECONFIG: bed.k.kubeconfig(),
    PLUGIN_MANIFESTS: "deploy/k8s/",
    PLUGIN_IMAGES: `calchat-server=registry.example.com/calchat/server:v${number}`,
    DRONE_BUILD_NUMBER: String(number),
    DRONE_COMMIT_SHA: sha(number),
    DRONE_CARD_PATH: path.join(workspace.dir, `card-${number}.json`),
    ...extra,
  });

/** What runs: the Deployment's image and the build every object carries. */
function live() {
  const deployment = bed.k.get("apps/v1", "Deployment", NS, "calchat-server") as any;
  const builds = [
    deployment,
    bed.k.get("v1", "Service", NS, "calchat-server"),
    bed.k.get("v1", "ConfigMap", NS, "calchat-config"),
  ].map((object: any) => object?.metadata?.annotations?.["hangar.dev/build"]);
  return { image: deployment?.spec.template.spec.containers[0].image, builds };
}

describe("k3s-deploy: an older build never replaces a newer one", () => {
  it("skips an older build after a newer one, with exit 0, and says what runs", async () => {
    const first = await runK3sDeploy(build(9), workspace.dir);
    expect(first.code, first.output).toBe(0);
    const older = await runK3sDeploy(build(7), workspace.dir);
    expect(older.code, older.output).toBe(0);
    expect(older.output).toContain(`skipped: build 9 is deployed in ${NS}, this is build 7`);
    expect(live()).toEqual({ image: "registry.example.com/calchat/server:v9", builds: ["9", "9", "9"] });
    expect(bed.k.requests().filter((r) => r.method === "PATCH" && r.seq > 0).length).toBe(4);
    const outputs = await readStepOutputs(workspace.dir);
    expect(outputs).toMatchObject({ K3S_DEPLOY_BUILD: "9", K3S_DEPLOY_COMMIT: sha(9) });
    const card = JSON.parse(await readFile(path.join(workspace.dir, "card-7.json"), "utf8"));
    expect(card.data.title).toContain("Skipped: build 9 runs");
  });

  it.each(["promote", "rollback"])("lets a %s of an older build replace a newer one", async (event) => {
    expect((await runK3sDeploy(build(9), workspace.dir)).code).toBe(0);
    const promoted = await runK3sDeploy(build(7, { DRONE_BUILD_EVENT: event }), workspace.dir);
    expect(promoted.code, promoted.output).toBe(0);
    expect(promoted.output).toContain(
      `build 9 is live in ${NS}; the build event is ${event}, so build 7 replaces it`,
    );
    expect(live()).toEqual({ image: "registry.example.com/calchat/server:v7", builds: ["7", "7", "7"] });
    expect(await readStepOutputs(workspace.dir)).toMatchObject({
      K3S_DEPLOY_BUILD: "7",
      K3S_DEPLOY_COMMIT: sha(7),
    });
  });

  it("force: true deploys an older build too", async () => {
    expect((await runK3sDeploy(build(9), workspace.dir)).code).toBe(0);
    expect((await runK3sDeploy(build(7, { PLUGIN_FORCE: "true" }), workspace.dir)).code).toBe(0);
    expect(live().image).toBe("registry.example.com/calchat/server:v7");
  });

  it.each([0, 15, 40, 120])(
    "ends with the newer build when two deploy at once (older starts %i ms after the newer, and before it)",
    async (offset) => {
      expect((await runK3sDeploy(build(1), workspace.dir)).code).toBe(0);
      const later = (ms: number, number: number) =>
        new Promise((resolve) => setTimeout(resolve, ms)).then(() =>
          runK3sDeploy(build(number), workspace.dir),
        );
      const [newer, older] = await Promise.all([later(0, 3), later(offset, 2)]);
      expect(newer.code, newer.output).toBe(0);
      expect(older.code, older.output).toBe(0);
      expect(live()).toEqual({ image: "registry.example.com/calchat/server:v3", builds: ["3", "3", "3"] });

      const [first, second] = await Promise.all([later(offset, 5), later(0, 4)]);
      expect(first.code, first.output).toBe(0);
      expect(second.code, second.output).toBe(0);
      expect(live()).toEqual({ image: "registry.example.com/calchat/server:v5", builds: ["5", "5", "5"] });
    },
  );
});
