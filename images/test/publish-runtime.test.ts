/**
 * images/publish.ts for a plugin with a runtime (emulator-e2e: Appium, its UiAutomator2 driver and
 * WebdriverIO, images/emulator-e2e/runtime.ts) against the test bed's registry on loopback: every
 * platform's manifest is the base's layers + the runtime layer + the bundle layer, the runtime layer
 * the same blob for every platform and every release, the config sets APPIUM_HOME; another plugin in
 * the same run still gets the bundle layer alone. The amd64 image, pulled back, lists the driver as
 * installed for uid 1000.
 */
import { join } from "node:path";
import { type Registry, requireServer, run, testbed } from "@hangar/testbed";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../../scripts/build.ts";
import { folderLayer } from "../../shared/oci/src/layer.ts";
import { RegistryClient } from "../../shared/oci/src/registry.ts";
import { pushStandInBase } from "../base/push-index.ts";
import { RUNTIME_CREATED_BY, RUNTIME_ENV, runtimeLayer } from "../emulator-e2e/runtime.ts";

const PLUGIN = "emulator-e2e";
const OTHER = "notify-email";
const docker = await testbed.docker();
const registry: Registry | undefined = docker ? await testbed.registry() : undefined;

interface Layered {
  layers: string[];
  env: string[];
  history: string[];
  diffIds: number;
  baseLayers: number;
}

describe.skipIf(!registry)("images/publish.ts: emulator-e2e's runtime layer", { timeout: 900_000 }, () => {
  const client = () => new RegistryClient({ host: registry?.host ?? "" });
  const baseLayers: string[] = [];

  beforeAll(async () => {
    await requireServer("the two-platform stand-in base", () =>
      pushStandInBase(client(), "base/node", "24", (l) => console.log(`[base] ${l}`)),
    );
    const base = await client().getManifest("base/node", "24");
    for (const entry of base?.json.manifests ?? []) {
      const manifest = await client().getManifest("base/node", entry.digest);
      baseLayers.push(...(manifest?.json.layers ?? []).map((l: { digest: string }) => l.digest));
    }
  }, 1_800_000);
  afterAll(async () => {
    await registry?.stop();
  });

  async function platforms(repository: string, tag: string): Promise<Record<string, Layered>> {
    const c = client();
    const index = await c.getManifest(repository, tag);
    const result: Record<string, Layered> = {};
    for (const entry of index?.json.manifests ?? []) {
      const manifest = await c.getManifest(repository, entry.digest);
      const config = JSON.parse((await c.getBlob(repository, manifest?.json.config.digest)).toString("utf8"));
      const layers = manifest?.json.layers.map((l: { digest: string }) => l.digest) as string[];
      result[entry.platform.architecture] = {
        layers,
        env: config.config.Env ?? [],
        history: config.history.map((h: { created_by: string }) => h.created_by),
        diffIds: config.rootfs.diff_ids.length,
        baseLayers: layers.filter((l) => baseLayers.includes(l)).length,
      };
    }
    return result;
  }

  it("pushes base + runtime + bundle for every platform, and base + bundle for another plugin", async () => {
    const env = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? "/root",
      REGISTRY: registry?.host ?? "",
      IMAGE_PREFIX: "test/hangar",
      REGISTRY_USERNAME: "ci",
      REGISTRY_PASSWORD: "unused-by-this-registry",
      HANGAR_BASE_IMAGE: `${registry?.host}/base/node:24`,
      HANGAR_TAG_TYPE: "annotated",
    };
    const out = await run("node", [join(ROOT, "images", "publish.ts"), PLUGIN, OTHER], {
      env: { ...env, DRONE_TAG: "v2.0.0", SOURCE_DATE_EPOCH: "1735689600" },
      timeoutMs: 600_000,
    });
    expect(out.stdout).toMatch(/test\/hangar\/emulator-e2e \(layers sha256:[0-9a-f]{12} \+ sha256:/);

    const runtime = runtimeLayer();
    const bundle = folderLayer(join(ROOT, "plugins", PLUGIN, "dist"), "opt/hangar", 1735689600);
    const images = await platforms(`test/hangar/${PLUGIN}`, "2.0.0");
    expect(Object.keys(images).sort()).toEqual(["amd64", "arm64"]);
    for (const image of Object.values(images)) {
      expect(image.layers.slice(-2)).toEqual([runtime.digest, bundle.digest]);
      expect(image.layers).toHaveLength(image.baseLayers + 2);
      expect(image.diffIds).toBe(image.layers.length);
      expect(image.env).toContain(`APPIUM_HOME=${RUNTIME_ENV.APPIUM_HOME}`);
      expect(image.history.slice(-2)).toEqual([RUNTIME_CREATED_BY, "COPY dist/ /opt/hangar/"]);
    }
    const other = await platforms(`test/hangar/${OTHER}`, "2.0.0");
    for (const image of Object.values(other)) {
      expect(image.layers).toHaveLength(image.baseLayers + 1);
      expect(image.env.some((e) => e.startsWith("APPIUM_HOME="))).toBe(false);
    }

    // The next release: a new bundle layer, the same runtime layer (a user downloads the bundle alone).
    await run("node", [join(ROOT, "images", "publish.ts"), PLUGIN], {
      env: { ...env, DRONE_TAG: "v2.0.1", SOURCE_DATE_EPOCH: "1735776000" },
      timeoutMs: 600_000,
    });
    const next = await platforms(`test/hangar/${PLUGIN}`, "2.0.1");
    for (const [arch, image] of Object.entries(next)) {
      expect(image.layers.at(-2)).toBe(runtime.digest);
      expect(image.layers.at(-1)).not.toBe(images[arch]?.layers.at(-1));
    }

    // The amd64 image, pulled back: Appium lists the UiAutomator2 driver as installed, for uid 1000.
    const ref = `${registry?.host}/test/hangar/${PLUGIN}:2.0.0`;
    try {
      await run("docker", ["pull", "-q", ref], { timeoutMs: 300_000 });
      const listed = await run(
        "docker",
        ["run", "--rm", "--network", "none", "--entrypoint", "node", ref, ...APPIUM_LIST],
        { timeoutMs: 120_000 },
      );
      expect(Object.keys(JSON.parse(listed.stdout))).toEqual(["uiautomator2"]);
    } finally {
      await run("docker", ["image", "rm", "-f", ref]).catch(() => undefined);
    }
  });
});

const APPIUM_LIST = ["/opt/hangar/node_modules/appium/index.js", "driver", "list", "--installed", "--json"];
