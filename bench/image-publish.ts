/**
 * image-publish making and pushing a 200 MB context (text-like files, as node_modules are) onto a
 * small two-platform base in the test bed's registry on loopback, against pushing the same layer
 * with a plain HTTP client (fetch: one POST, one streamed PUT), interleaved.
 *
 * - Peak RSS of the plugin process (getrusage's maxrss, written at exit by a preloaded module):
 *   the layer is written to a file as the context is read and streamed up, so memory must not
 *   grow with the context (target ≤ 150 MB).
 * - Upload throughput: the plugin's own rate (its summary) against fetch's (target ≥ 0.8×).
 * - The whole publish (tar + gzip -9 of 200 MB, then the push) against the plain push, as a ratio.
 */
import { randomBytes } from "node:crypto";
import { createWriteStream, existsSync } from "node:fs";
import { mkdir, mkdtemp, open, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { layerFromTar, pushIndex, RegistryClient, tarEntries } from "../shared/oci/src/index.ts";
import { droneEnv, startRegistry } from "../shared/testbed/src/index.ts";
import {
  type Bench,
  type BenchContext,
  bundlePath,
  formatBytes,
  median,
  peakRssProbe,
  peakRssRow,
  type Row,
  run,
  tail,
  type Verdict,
} from "./lib.ts";

const SIZE = 200e6;
const FILES = 8;
const RSS_TARGET = 150e6;
const THROUGHPUT_TARGET = 0.8;

/** Lines of random words: compresses about as well as JavaScript does (2–3×), unlike random bytes. */
function textBlock(): Buffer {
  const words = Array.from({ length: 4096 }, () =>
    randomBytes(1 + ((randomBytes(1)[0] ?? 0) % 6)).toString("hex"),
  );
  const lines: string[] = [];
  for (let size = 0; size < 1024 * 1024; ) {
    const picks = randomBytes(24);
    const line = `${Array.from({ length: 12 }, (_, i) => words[picks.readUInt16LE(i * 2) % 4096]).join(" ")};\n`;
    lines.push(line);
    size += line.length;
  }
  return Buffer.from(lines.join(""));
}

async function makeContext(dir: string): Promise<void> {
  const blocks = Array.from({ length: 4 }, textBlock);
  for (let f = 0; f < FILES; f++) {
    const handle = await open(join(dir, `part-${f}.js`), "w");
    try {
      for (let written = 0, i = f; written < SIZE / FILES; i++) {
        const block = blocks[i % blocks.length] as Buffer;
        await handle.write(block);
        written += block.length;
      }
    } finally {
      await handle.close();
    }
  }
}

/** One POST and one streamed PUT with fetch; prints the milliseconds. */
const PLAIN_PUSH = `import { createReadStream, statSync } from "node:fs";
import { Readable } from "node:stream";
const [registry, repository, file, digest] = process.argv.slice(2);
const started = performance.now();
const post = await fetch(\`\${registry}/v2/\${repository}/blobs/uploads/\`, { method: "POST" });
const url = new URL(post.headers.get("location"), registry);
url.searchParams.set("digest", digest);
const put = await fetch(url, {
  method: "PUT",
  body: Readable.toWeb(createReadStream(file)),
  duplex: "half",
  headers: { "content-type": "application/octet-stream", "content-length": String(statSync(file).size) },
});
if (put.status !== 201) throw new Error(\`PUT answered \${put.status}\`);
console.log(performance.now() - started);
`;

/** "83.2 MiB/s" as bytes per second. */
function rateOf(text: string): number {
  const m = / at ([\d.]+) (B|KiB|MiB|GiB)\/s/.exec(text);
  if (!m) throw new Error(`no upload rate in: ${tail(text)}`);
  return Number(m[1]) * 1024 ** ["B", "KiB", "MiB", "GiB"].indexOf(m[2] as string);
}

const mbps = (bytesPerSecond: number) => `${(bytesPerSecond / 1e6).toFixed(0)} MB/s`;

export const imagePublishBench: Bench = {
  name: "image-publish",
  title: `image-publish: 200 MB context to the test bed's registry vs a plain fetch push of the layer, peak RSS ≤ ${formatBytes(RSS_TARGET)}, upload ≥ ${THROUGHPUT_TARGET}× fetch`,
  async run(ctx: BenchContext): Promise<Row[]> {
    const bundle = bundlePath(ctx.root, "image-publish");
    const unmeasured = (verdict: Verdict, note: string): Row[] => [
      { subject: "image-publish publish", measured: "-", baseline: "-", target: "-", verdict, note },
    ];
    if (!existsSync(bundle)) return unmeasured("SKIP", "no image-publish bundle");
    const registry = await startRegistry().catch(() => undefined);
    if (!registry) return unmeasured("SKIP", "no container registry (docker-registry) on this machine");
    const dir = await mkdtemp(join(tmpdir(), "hangar-bench-image-"));
    const workspace = join(dir, "workspace");
    const plainScript = join(dir, "plain-push.mjs");
    const layerFile = join(dir, "layer.tar.gz");
    const runs = Math.max(1, Math.min(ctx.runs, 3));
    try {
      const probe = await peakRssProbe(dir);
      await writeFile(plainScript, PLAIN_PUSH);
      await mkdir(join(workspace, "app"), { recursive: true });
      ctx.progress("image-publish: writing a 200 MB context …");
      await makeContext(join(workspace, "app"));
      const base = layerFromTar(tarEntries([{ path: "etc/arch", data: Buffer.from("base\n") }]));
      const image = (architecture: string) => ({
        platform: { os: "linux", architecture },
        layers: [base],
        config: { architecture, os: "linux", rootfs: { type: "layers", diff_ids: [base.diffId] } },
      });
      await pushIndex(new RegistryClient({ host: registry.host }), "base/node", "24", [
        image("amd64"),
        image("arm64"),
      ]);

      const plugin = { wall: [] as number[], rate: [] as number[], rss: [] as number[] };
      const plain = { wall: [] as number[], rate: [] as number[] };
      let layerSize = 0;
      for (let index = 1; index <= runs; index++) {
        ctx.progress(`image-publish: run ${index}/${runs}: plugin …`);
        const ran = await run(process.execPath, ["--import", probe.module, bundle], {
          env: {
            PATH: process.env.PATH ?? "/usr/bin:/bin",
            HOME: dir,
            ...droneEnv({ repo: "acme/app", branch: "main" }),
            SOURCE_DATE_EPOCH: "1700000000",
            // A fresh repository each run: the layer goes up every time.
            PLUGIN_REPO: `${registry.host}/bench/app-${index}`,
            PLUGIN_BASE: `${registry.host}/base/node:24`,
            PLUGIN_CONTEXT: "app",
          },
          cwd: workspace,
          timeoutMs: 900_000,
        });
        const output = ran.stdout + ran.stderr;
        if (ran.code !== 0) throw new Error(`the plugin failed: ${tail(output)}`);
        plugin.wall.push(ran.millis);
        plugin.rate.push(rateOf(output));
        plugin.rss.push(await probe.read());
        const digest = /layer (sha256:[0-9a-f]{64})/.exec(output)?.[1];
        if (!digest) throw new Error(`no layer digest in: ${tail(output)}`);
        if (index === 1) {
          const blob = await fetch(`${registry.url}/v2/bench/app-1/blobs/${digest}`);
          if (!blob.ok || !blob.body) throw new Error(`GET the layer answered ${blob.status}`);
          await pipeline(Readable.fromWeb(blob.body as never), createWriteStream(layerFile));
          layerSize = (await stat(layerFile)).size;
        }

        ctx.progress(`image-publish: run ${index}/${runs}: fetch …`);
        const pushed = await run(
          process.execPath,
          [plainScript, registry.url, `bench/plain-${index}`, layerFile, digest],
          { timeoutMs: 300_000 },
        );
        if (pushed.code !== 0) throw new Error(`the plain push failed: ${tail(pushed.stderr)}`);
        plain.wall.push(pushed.millis);
        plain.rate.push(layerSize / (Number(pushed.stdout.trim()) / 1000));
      }

      const rss = Math.max(...plugin.rss);
      const uploadRatio = median(plugin.rate) / median(plain.rate);
      const wallRatio = median(plugin.wall) / median(plain.wall);
      const layer = `layer ${formatBytes(layerSize)} gzip'd`;
      return [
        peakRssRow(
          "image-publish peak RSS (200 MB context)",
          rss,
          SIZE,
          RSS_TARGET,
          `max of ${runs} runs; baseline is the context's size; ${layer}`,
        ),
        {
          subject: "image-publish layer upload",
          measured: mbps(median(plugin.rate)),
          baseline: `fetch ${mbps(median(plain.rate))}`,
          ratio: uploadRatio,
          target: `≥ ${THROUGHPUT_TARGET}× fetch`,
          verdict: uploadRatio >= THROUGHPUT_TARGET ? "PASS" : "OVER",
          note: `median of ${runs}; the plugin's rate is its summary's (the layer and two configs)`,
        },
        {
          subject: "image-publish whole publish",
          measured: `${(median(plugin.wall) / 1000).toFixed(2)} s`,
          baseline: `fetch push ${(median(plain.wall) / 1000).toFixed(2)} s`,
          ratio: wallRatio,
          target: "-",
          verdict: "INFO",
          note: "the publish also reads 200 MB and gzips it (-9) into the layer; the plain push sends the finished layer",
        },
      ];
    } catch (error) {
      return unmeasured("FAIL", error instanceof Error ? error.message : String(error));
    } finally {
      await registry.stop();
      await rm(dir, { recursive: true, force: true });
    }
  },
};
