/**
 * Image sizes: the base image, and each plugin image's own layers (everything on top of its base),
 * which is all a user downloads for a second plugin. The base is the one recorded in the plugin
 * image's label org.opencontainers.image.base.name (images/build.sh sets it). Sizes are uncompressed,
 * as `docker images` shows them; "gzip≈" estimates the download (the layer's files, gzipped).
 */
import { spawn } from "node:child_process";
import { createGzip } from "node:zlib";
import { type Bench, type BenchContext, formatBytes, type Row, run, tail, verdict } from "./lib.ts";

const TARGET_BYTES = 2e6;
const BASE_LABEL = "org.opencontainers.image.base.name";
const TAG = process.env.HANGAR_IMAGE_TAG ?? "dev";

interface ImageInfo {
  Id: string;
  Size: number;
  RootFS: { Layers?: string[] };
  Config: { Labels?: Record<string, string> | null; Env?: string[] | null };
}

async function docker(args: string[]): Promise<string | undefined> {
  const r = await run("docker", args, { timeoutMs: 30_000 }).catch(() => undefined);
  return r?.code === 0 ? r.stdout : undefined;
}

async function inspect(image: string): Promise<ImageInfo | undefined> {
  const out = await docker(["image", "inspect", image]);
  return out === undefined ? undefined : (JSON.parse(out) as ImageInfo[])[0];
}

/** gzip size of a directory copied out of an image (the COPY layer holds exactly that). */
async function gzippedDir(image: string, path: string): Promise<number | undefined> {
  const id = (await docker(["create", image]))?.trim();
  if (!id) return undefined;
  try {
    return await new Promise<number | undefined>((resolve) => {
      const cp = spawn("docker", ["cp", `${id}:${path}`, "-"], { stdio: ["ignore", "pipe", "ignore"] });
      let bytes = 0;
      const gzip = createGzip({ level: 6 });
      gzip.on("data", (b: Buffer) => {
        bytes += b.length;
      });
      gzip.on("end", () => resolve(bytes));
      cp.on("error", () => resolve(undefined));
      cp.on("close", (code) => {
        if (code !== 0) resolve(undefined);
      });
      cp.stdout.pipe(gzip);
    });
  } finally {
    await docker(["rm", id]);
  }
}

function nodeVersion(info: ImageInfo): string | undefined {
  const label = info.Config.Labels?.["io.hangar.node.version"];
  const env = info.Config.Env?.find((e) => e.startsWith("NODE_VERSION="))?.slice("NODE_VERSION=".length);
  return label ?? env;
}

export const imageSize: Bench = {
  name: "image-size",
  title: `Image sizes: base, and each plugin's own layers on top of it, target ≤ ${formatBytes(TARGET_BYTES)}`,
  async run(ctx: BenchContext): Promise<Row[]> {
    const skip = (subject: string, note: string): Row => ({
      subject,
      measured: "-",
      baseline: "-",
      target: "-",
      verdict: "SKIP",
      note,
    });
    const version = await run("docker", ["version", "--format", "{{.Server.Version}}"], {
      timeoutMs: 10_000,
    }).catch((e: unknown) => ({ code: 1, stdout: "", stderr: String(e) }));
    if (version.code !== 0) return [skip("docker", `docker not available: ${tail(version.stderr, 1)}`)];

    const rows: Row[] = [];
    const bases = new Map<string, ImageInfo | undefined>();
    for (const plugin of ctx.plugins) {
      const image = `hangar/${plugin}:${TAG}`;
      ctx.progress(`image-size: ${image}`);
      const info = await inspect(image);
      if (!info) {
        rows.push(skip(image, "no such image (pnpm images builds it)"));
        continue;
      }
      const baseName = info.Config.Labels?.[BASE_LABEL];
      if (!baseName) {
        rows.push(skip(image, `no ${BASE_LABEL} label: not built by images/build.sh`));
        continue;
      }
      if (!bases.has(baseName)) {
        const base = await inspect(baseName);
        bases.set(baseName, base);
        rows.push(
          base
            ? {
                subject: `base ${baseName}`,
                measured: formatBytes(base.Size),
                baseline: "-",
                target: "-",
                verdict: "INFO",
                note: `${base.RootFS.Layers?.length ?? 0} layer(s), Node ${nodeVersion(base) ?? "?"}`,
              }
            : skip(`base ${baseName}`, "base image not present locally"),
        );
      }
      const base = bases.get(baseName);
      if (!base) continue;
      const baseLayers = base.RootFS.Layers ?? [];
      const layers = info.RootFS.Layers ?? [];
      if (!baseLayers.every((layer, i) => layers[i] === layer)) {
        rows.push(skip(image, `its layers do not start with ${baseName}'s: rebuilt base? run pnpm images`));
        continue;
      }
      const own = info.Size - base.Size;
      const gz = await gzippedDir(image, "/opt/hangar");
      rows.push({
        subject: plugin,
        measured: formatBytes(own),
        baseline: formatBytes(base.Size),
        target: `≤ ${formatBytes(TARGET_BYTES)}`,
        verdict: verdict(own, TARGET_BYTES),
        note: [
          `${layers.length - baseLayers.length} own layer(s)`,
          gz === undefined ? undefined : `gzip≈${formatBytes(gz)}`,
          `${((own / base.Size) * 100).toFixed(1)}% of the base`,
        ]
          .filter(Boolean)
          .join(", "),
      });
    }
    return rows;
  },
};
