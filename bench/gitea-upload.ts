/**
 * gitea-release uploading a 1 GiB asset to the Gitea stand-in on loopback, against curl uploading
 * the same file to the same server (`curl -F attachment=@file`), interleaved.
 *
 * - Peak RSS of the plugin process (getrusage's maxrss, written at exit by a preloaded module):
 *   the upload streams from disk, so it must not grow with the file (target ≤ 150 MB).
 * - Throughput of the upload request as the server timed it (arrival to answer), plugin vs curl
 *   (target ≥ 0.8 of curl's). The whole-process wall times are in the note.
 */
import { randomFillSync } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { droneEnv, type GiteaStandIn, startGiteaStandIn } from "../shared/testbed/src/index.ts";
import type { Bench, BenchContext, Row } from "./lib.ts";
import { bundlePath, formatBytes, median, peakRssProbe, peakRssRow, run, tail } from "./lib.ts";

const SIZE = 1024 ** 3;
/** A second, small asset: the peak RSS must not depend on the file's size. */
const SMALL = 64 * 1024 ** 2;
const RUNS = 3;
const RSS_TARGET = 150e6;
const THROUGHPUT_TARGET = 0.8;

/** Writes `SIZE` bytes of incompressible data (one random MiB repeated). */
async function makeAsset(path: string, size: number): Promise<void> {
  const block = randomFillSync(Buffer.alloc(1024 * 1024));
  const handle = await open(path, "w");
  try {
    for (let written = 0; written < size; written += block.length) await handle.write(block);
  } finally {
    await handle.close();
  }
}

/** How long the server took for the last upload of app.bin (first byte in to answer out), ms. */
function lastUploadMs(gitea: GiteaStandIn, name: string): number {
  const uploads = gitea
    .requests()
    .filter(
      (r) =>
        r.operationId === "repoCreateReleaseAttachment" && new URLSearchParams(r.search).get("name") === name,
    );
  const last = uploads.at(-1);
  if (last?.status !== 201) throw new Error(`the upload failed: ${JSON.stringify(last)}`);
  return last.ms;
}

const mbps = (ms: number) => `${(SIZE / 1e6 / (ms / 1000)).toFixed(0)} MB/s`;

export const giteaUpload: Bench = {
  name: "gitea-upload",
  title: `gitea-release: 1 GiB asset to the Gitea stand-in vs curl -F, peak RSS ≤ ${formatBytes(RSS_TARGET)}, throughput ≥ ${THROUGHPUT_TARGET}× curl`,
  async run(ctx: BenchContext): Promise<Row[]> {
    const bundle = bundlePath(ctx.root, "gitea-release");
    const subject = "gitea-release upload";
    if (!existsSync(bundle)) {
      return [
        {
          subject,
          measured: "-",
          baseline: "-",
          target: "-",
          verdict: "SKIP",
          note: "no gitea-release bundle",
        },
      ];
    }
    const dir = await mkdtemp(join(tmpdir(), "hangar-bench-gitea-"));
    const workspace = join(dir, "workspace");
    try {
      const probe = await peakRssProbe(dir);
      await mkdir(join(workspace, "dist"), { recursive: true });
      ctx.progress("gitea-upload: writing a 1 GiB asset …");
      await makeAsset(join(workspace, "dist", "app.bin"), SIZE);
      await mkdir(join(workspace, "small"));
      await makeAsset(join(workspace, "small", "app.bin"), SMALL);

      const plugin = { rss: [] as number[], upload: [] as number[], wall: [] as number[], smallRss: 0 };
      const curl = { upload: [] as number[], wall: [] as number[] };
      for (let index = 1; index <= RUNS; index++) {
        const gitea = await startGiteaStandIn({
          owner: "acme",
          repo: "app",
          releases: [{ tag: "curl", draft: true }],
        });
        try {
          ctx.progress(`gitea-upload: run ${index}/${RUNS}: plugin …`);
          const env = {
            PATH: process.env.PATH ?? "/usr/bin:/bin",
            HOME: dir,
            // No commit: the stand-in holds no repository for the tag to point at.
            ...droneEnv({
              repo: "acme/app",
              event: "tag",
              tag: `v1.0.${index}`,
              repoLink: `${gitea.url}/acme/app`,
              sha: "",
            }),
            PLUGIN_API_KEY: gitea.token,
            PLUGIN_FILES: "dist/app.bin",
            // The checksum pass reads the whole file too: its memory counts.
            PLUGIN_CHECKSUM: "sha256",
          };
          const ran = await run(process.execPath, ["--import", probe.module, bundle], {
            env,
            cwd: workspace,
            timeoutMs: 300_000,
          });
          if (ran.code !== 0) throw new Error(`the plugin failed: ${tail(ran.stderr || ran.stdout)}`);
          plugin.upload.push(lastUploadMs(gitea, "app.bin"));
          plugin.wall.push(ran.millis);
          plugin.rss.push(await probe.read());
          if (index === 1) {
            const small = await run(process.execPath, ["--import", probe.module, bundle], {
              env: { ...env, DRONE_TAG: "small", PLUGIN_FILES: "small/app.bin" },
              cwd: workspace,
              timeoutMs: 60_000,
            });
            if (small.code !== 0) throw new Error(`the plugin failed: ${tail(small.stderr || small.stdout)}`);
            plugin.smallRss = await probe.read();
          }

          ctx.progress(`gitea-upload: run ${index}/${RUNS}: curl …`);
          const id = gitea.release("curl")?.id;
          const curled = await run(
            "curl",
            [
              "--silent",
              "--show-error",
              "--fail",
              "--output",
              "/dev/null",
              "--header",
              `Authorization: token ${gitea.token}`,
              "--form",
              `attachment=@${join(workspace, "dist", "app.bin")}`,
              `${gitea.apiUrl}/repos/acme/app/releases/${id}/assets?name=app-${index}.bin`,
            ],
            { timeoutMs: 300_000 },
          );
          if (curled.code !== 0) throw new Error(`curl failed: ${tail(curled.stderr)}`);
          curl.upload.push(lastUploadMs(gitea, `app-${index}.bin`));
          curl.wall.push(curled.millis);
        } finally {
          await gitea.stop();
        }
      }

      const rss = Math.max(...plugin.rss);
      const pluginMs = median(plugin.upload);
      const curlMs = median(curl.upload);
      const throughput = curlMs / pluginMs;
      return [
        peakRssRow(
          "gitea-release peak RSS (1 GiB asset)",
          rss,
          SIZE,
          RSS_TARGET,
          `max of ${RUNS} runs, sha256 checksum included; with a 64 MiB asset ${formatBytes(plugin.smallRss)}; baseline is the file's size`,
        ),
        {
          subject: "gitea-release upload throughput",
          measured: mbps(pluginMs),
          baseline: `curl ${mbps(curlMs)}`,
          ratio: throughput,
          target: `≥ ${THROUGHPUT_TARGET}× curl`,
          verdict: throughput >= THROUGHPUT_TARGET ? "PASS" : "OVER",
          note: `median of ${RUNS}; whole process: plugin ${(median(plugin.wall) / 1000).toFixed(2)} s, curl ${(median(curl.wall) / 1000).toFixed(2)} s`,
        },
      ];
    } catch (error) {
      return [
        {
          subject,
          measured: "-",
          baseline: "-",
          target: "-",
          verdict: "FAIL",
          note: error instanceof Error ? error.message : String(error),
        },
      ];
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
