/**
 * release-site publishing a 1 GiB file to the test bed's S3 store (s3rver behind its front, on
 * loopback), against a plain multipart upload of the same file with the same client
 * (`@aws-sdk/lib-storage`'s Upload, the plugin's part size and queue), each in its own process.
 *
 * - Time: the whole publish (SHA-256 and ETag pass, upload, the check of the object after it,
 *   SHA256SUMS, latest.json, index.json, the page) against the bare upload (target ≤ 1.5×).
 * - Peak RSS of each process (getrusage's maxrss, written at exit by a preloaded module): the
 *   upload streams from disk, so the publish must hold little more than the bare Upload does
 *   (target ≤ 1.2×; the SDK's own floor, parts in flight included, is about 150 MB).
 *
 * The file is sparse (reads as zeros, costs no disk until the store writes its copy); both sides
 * read the same one. One run each, to stay within about two minutes.
 */

import { mkdir, mkdtemp, open, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startS3Store } from "../shared/testbed/src/index.ts";
import {
  type Bench,
  type BenchContext,
  bundlePath,
  formatBytes,
  peakRssProbe,
  type Row,
  run,
  tail,
} from "./lib.ts";

const SIZE = 1024 ** 3;
const PART = 8 * 1024 * 1024;
const TIME_TARGET = 1.5;
/** The plugin may hold little beyond what the SDK's Upload holds itself (its parts in flight). */
const RSS_TARGET = 1.2;

/** The baseline: one Upload of the file, nothing else. */
const baseline = (sdk: { client: string; storage: string }) => `
const { S3Client } = require(${JSON.stringify(sdk.client)});
const { Upload } = require(${JSON.stringify(sdk.storage)});
const { createReadStream } = require("node:fs");
const [endpoint, bucket, accessKeyId, secretAccessKey, key, file] = process.argv.slice(2);
const client = new S3Client({
  endpoint, region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId, secretAccessKey },
  requestChecksumCalculation: "WHEN_REQUIRED", responseChecksumValidation: "WHEN_REQUIRED",
});
new Upload({ client, partSize: ${PART}, queueSize: 2, params: { Bucket: bucket, Key: key, Body: createReadStream(file) } })
  .done()
  .then(() => client.destroy(), (error) => { console.error(error); process.exitCode = 1; });
`;

function failed(note: string, verdict: "SKIP" | "FAIL" = "FAIL"): Row[] {
  return [{ subject: "release-site publish", measured: "-", baseline: "-", target: "-", verdict, note }];
}

export const releaseSiteBench: Bench = {
  name: "release-site",
  title: `release-site: 1 GiB published to the S3 test store vs a plain multipart upload (same client), time ≤ ${TIME_TARGET}×, peak RSS ≤ ${RSS_TARGET}×`,
  async run(ctx: BenchContext): Promise<Row[]> {
    const bundle = bundlePath(ctx.root, "release-site");
    if (!ctx.plugins.includes("release-site")) return failed("no release-site bundle", "SKIP");
    // The plugin's own copy of the SDK, so the baseline runs the very same client.
    const plugin = createRequire(join(ctx.root, "plugins", "release-site", "package.json"));
    const sdk = {
      client: plugin.resolve("@aws-sdk/client-s3"),
      storage: plugin.resolve("@aws-sdk/lib-storage"),
    };
    const dir = await mkdtemp(join(tmpdir(), "hangar-bench-release-site-"));
    const workspace = join(dir, "workspace");
    const file = join(workspace, "dist", "app.bin");
    const script = join(dir, "upload.cjs");
    const store = await startS3Store();
    try {
      const probe = await peakRssProbe(dir);
      await writeFile(script, baseline(sdk));
      await mkdir(join(workspace, "dist"), { recursive: true });
      const handle = await open(file, "w");
      await handle.truncate(SIZE);
      await handle.close();
      const rss = () => probe.read();

      ctx.progress("release-site: publishing 1 GiB …");
      const published = await run(process.execPath, ["--import", probe.module, bundle], {
        cwd: workspace,
        timeoutMs: 420_000,
        env: {
          PATH: process.env.PATH ?? "/usr/bin:/bin",
          HOME: dir,
          CI: "true",
          DRONE: "true",
          DRONE_REPO: "acme/app",
          DRONE_REPO_OWNER: "acme",
          DRONE_REPO_NAME: "app",
          DRONE_BUILD_NUMBER: "1",
          DRONE_BUILD_EVENT: "tag",
          DRONE_TAG: "v1.0.0",
          DRONE_COMMIT_SHA: "0".repeat(40),
          PLUGIN_ENDPOINT: store.endpoint,
          PLUGIN_BUCKET: store.bucket,
          PLUGIN_ACCESS_KEY: store.accessKey,
          PLUGIN_SECRET_KEY: store.secretKey,
          PLUGIN_FILES: "dist/app.bin",
        },
      });
      if (published.code !== 0)
        return failed(`the plugin failed: ${tail(published.stderr || published.stdout)}`);
      const publishedRss = await rss();

      ctx.progress("release-site: plain multipart upload of 1 GiB …");
      const plain = await run(
        process.execPath,
        [
          "--import",
          probe.module,
          script,
          store.endpoint,
          store.bucket,
          store.accessKey,
          store.secretKey,
          "plain/app.bin",
          file,
        ],
        { timeoutMs: 420_000 },
      );
      if (plain.code !== 0) return failed(`the plain upload failed: ${tail(plain.stderr)}`);
      const plainRss = await rss();

      const ratio = published.millis / plain.millis;
      const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
      return [
        {
          subject: "release-site publish time (1 GiB)",
          measured: seconds(published.millis),
          baseline: `Upload ${seconds(plain.millis)}`,
          ratio,
          target: `≤ ${TIME_TARGET}×`,
          verdict: ratio <= TIME_TARGET ? "PASS" : "OVER",
          note: "whole process each; the publish also hashes the file first and checks the object after",
        },
        {
          subject: "release-site peak RSS (1 GiB)",
          measured: formatBytes(publishedRss),
          baseline: `Upload ${formatBytes(plainRss)}`,
          ratio: publishedRss / plainRss,
          target: `≤ ${RSS_TARGET}×`,
          verdict: publishedRss / plainRss <= RSS_TARGET ? "PASS" : "OVER",
          note: "8 MiB parts, 2 at a time, on both sides",
        },
      ];
    } catch (error) {
      return failed(error instanceof Error ? error.message : String(error));
    } finally {
      await store.stop();
      await rm(dir, { recursive: true, force: true });
    }
  },
};
