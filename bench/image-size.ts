/**
 * Image sizes: each plugin's own layer, the one images/publish.ts pushes on top of the Node base
 * (shared/oci/src/layer.ts: the plugin's dist/ as /opt/hangar, a gzip'd tar); for emulator-e2e also its
 * runtime layer below it (images/emulator-e2e/runtime.ts), in a row of its own, since the target is
 * the bundle layer's. Compressed is what a
 * registry stores and a pull downloads for a second plugin; uncompressed is the tar's size, what it
 * takes on disk. Built here from plugins/<name>/dist, so no Docker is needed. When Docker has the base
 * (the label org.opencontainers.image.base.name of hangar/<plugin>:dev), its size is shown for scale.
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { hasRuntime, runtimeLayer } from "../images/emulator-e2e/runtime.ts";
import { folderLayer } from "../shared/oci/src/layer.ts";
import { type Bench, type BenchContext, formatBytes, type Row, run, verdict } from "./lib.ts";

export const TARGET_COMPRESSED_BYTES = 2e6;
const BASE_LABEL = "org.opencontainers.image.base.name";
const TAG = process.env.HANGAR_IMAGE_TAG ?? "dev";

async function docker(args: string[]): Promise<string | undefined> {
  const r = await run("docker", args, { timeoutMs: 30_000 }).catch(() => undefined);
  return r?.code === 0 ? r.stdout.trim() : undefined;
}

/** Bytes of the bundle's code and of its source maps. */
function distBytes(dist: string): { code: number; maps: number } {
  let code = 0;
  let maps = 0;
  for (const name of readdirSync(dist)) {
    const size = statSync(join(dist, name)).size;
    if (name.endsWith(".map")) maps += size;
    else code += size;
  }
  return { code, maps };
}

export const imageSize: Bench = {
  name: "image-size",
  title: `Image layers: each plugin's bundle layer as a registry stores it (gzip), target ≤ ${formatBytes(TARGET_COMPRESSED_BYTES)} compressed (the bundle layer; a runtime layer below it is shown apart)`,
  async run(ctx: BenchContext): Promise<Row[]> {
    const rows: Row[] = [];
    const first = ctx.plugins[0];
    const baseName =
      first &&
      (await docker([
        "image",
        "inspect",
        "-f",
        `{{index .Config.Labels "${BASE_LABEL}"}}`,
        `hangar/${first}:${TAG}`,
      ]));
    const baseSize = baseName && (await docker(["image", "inspect", "-f", "{{.Size}}", baseName]));
    if (baseName && baseSize) {
      rows.push({
        subject: `base ${baseName}`,
        measured: `${formatBytes(Number(baseSize))} uncompressed`,
        baseline: "-",
        target: "-",
        verdict: "INFO",
        note: "shared by every plugin image, pulled once",
      });
    }
    for (const plugin of ctx.plugins) {
      ctx.progress(`image-size: ${plugin}`);
      const dist = join(ctx.root, "plugins", plugin, "dist");
      const layer = folderLayer(dist, "opt/hangar");
      const { code, maps } = distBytes(dist);
      rows.push({
        subject: plugin,
        measured: `${formatBytes(layer.bytes.length)} gz`,
        baseline: `${formatBytes(layer.uncompressedSize)} tar`,
        ratio: layer.bytes.length / TARGET_COMPRESSED_BYTES,
        target: `≤ ${formatBytes(TARGET_COMPRESSED_BYTES)} gz`,
        verdict: verdict(layer.bytes.length, TARGET_COMPRESSED_BYTES),
        note: `bundle layer: code ${formatBytes(code)} + source maps ${formatBytes(maps)}; ratio = share of the target`,
      });
      if (hasRuntime(plugin)) {
        // Staged once per lockfile in ~/.cache/hangar (npm ci the first time), the layer kept gzip'd there.
        ctx.progress(`image-size: ${plugin} runtime layer`);
        const runtime = runtimeLayer((line) => ctx.progress(`image-size: ${plugin}: ${line}`));
        rows.push({
          subject: `${plugin} runtime`,
          measured: `${formatBytes(runtime.bytes.length)} gz`,
          baseline: `${formatBytes(runtime.uncompressedSize)} tar`,
          target: "-",
          verdict: "INFO",
          note: "Appium 3 + UiAutomator2 driver + WebdriverIO (images/emulator-e2e/package-lock.json), a layer below the bundle's; changes with the lockfile only, so an update downloads the bundle layer alone; the 2 MB target is the bundle layer's",
        });
      }
    }
    return rows;
  },
};
