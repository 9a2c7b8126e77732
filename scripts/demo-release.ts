/**
 * Where the demo's builds leave what they release: the image step's registry and the download
 * site's store. The registry is the test bed's, behind a front that logs in the way Gitea's does
 * (Bearer token for Basic credentials), with a small two-platform base (linux/amd64, linux/arm64)
 * pushed first in place of node:24-bookworm-slim, which the demo cannot pull. The store is a real
 * S3 implementation on loopback behind release-site's strict front (SigV4 checked, anonymous
 * writes refused), and what the demo shows of it is read anonymously as downloaders would.
 */
import { createHash } from "node:crypto";
import { type LocalBuildResult, type Registry, readStepOutputs, startS3Store } from "@hangar/testbed";
import { startTokenRegistry } from "../images/test/token-registry.ts";
import { pushTwoPlatformBase } from "../plugins/image-publish/test/helpers.ts";
import { RegistryClient } from "../shared/oci/src/index.ts";

const TOKEN = "registry-demo-token";
const INDEX_TYPES =
  "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json";

/** An image index as the registry holds it: its digest and one `os/architecture` per manifest. */
export interface PushedIndex {
  digest: string;
  platforms: string[];
}

export interface ReleaseLab {
  /** REGISTRY (the front), NODE_BASE, S3_ENDPOINT, S3_BUCKET, DOWNLOADS_URL: the pipeline's `${…}`. */
  variables: Record<string, string>;
  secrets: Record<string, string>;
  /** `host/path` of an image pushed straight to the registry, as the front names it. */
  viaFront(reference: string): string;
  /** The index a tag names, read from the registry itself. */
  index(repository: string, tag: string): Promise<PushedIndex | undefined>;
  /** A file of the download site, as a downloader gets it (undefined when not there). */
  download(key: string): Promise<string | undefined>;
  stop(): Promise<void>;
}

export async function startReleaseLab(registry: Registry): Promise<ReleaseLab> {
  await pushTwoPlatformBase(new RegistryClient({ host: registry.host }), "base/node", "24");
  const front = await startTokenRegistry(registry.url, "ci", TOKEN);
  const store = await startS3Store().catch(async (error: unknown) => {
    await front.close();
    throw error;
  });
  return {
    variables: {
      REGISTRY: front.host,
      NODE_BASE: `${front.host}/base/node:24`,
      S3_ENDPOINT: store.endpoint,
      S3_BUCKET: store.bucket,
      DOWNLOADS_URL: store.publicUrl,
    },
    secrets: { registry_token: TOKEN, s3_access_key: store.accessKey, s3_secret_key: store.secretKey },
    viaFront: (reference) => reference.replace(registry.host, front.host),
    async index(repository, tag) {
      const answer = await fetch(`${registry.url}/v2/${repository}/manifests/${tag}`, {
        headers: { Accept: INDEX_TYPES },
        signal: AbortSignal.timeout(10_000),
      });
      if (!answer.ok) return undefined;
      const body = (await answer.json()) as {
        manifests?: { platform?: { os: string; architecture: string } }[];
      };
      return {
        digest: answer.headers.get("docker-content-digest") ?? "",
        platforms: (body.manifests ?? []).map((m) => `${m.platform?.os}/${m.platform?.architecture}`),
      };
    },
    async download(key) {
      const got = await store.get(key).catch(() => undefined);
      return got?.status === 200 ? got.body.toString("utf8") : undefined;
    },
    async stop() {
      await store.stop();
      await front.close();
    },
  };
}

type Expect = (what: string, good: boolean) => void;

/** The index the image step pushed: every tag names it, the step's output too, both platforms in it. */
export async function showImage(
  lab: ReleaseLab,
  build: LocalBuildResult,
  tags: readonly string[],
  expect: Expect,
): Promise<void> {
  const outputs = await readStepOutputs(build.workspace);
  const indexes = await Promise.all(tags.map((tag) => lab.index("calchat/server", tag)));
  const [index] = indexes;
  console.log(`  the image step's index, ${outputs.IMAGE_PUBLISH_REFS ?? "(no IMAGE_PUBLISH_REFS)"}:`);
  for (const platform of index?.platforms ?? []) console.log(`    │ ${platform}`);
  expect(
    `calchat/server:${tags.join(", :")} → one index ${index?.digest.slice(0, 19) ?? "(none)"}… for ${index?.platforms.join(" and ") ?? "no platform"}`,
    index !== undefined &&
      index.digest === outputs.IMAGE_PUBLISH_DIGEST &&
      indexes.every((other) => other?.digest === index.digest) &&
      ["linux/amd64", "linux/arm64"].every((platform) => index.platforms.includes(platform)),
  );
}

/** The channel's latest.json (whole) and a few lines of the page, as a downloader gets them. */
export async function showDownloads(
  lab: ReleaseLab,
  channel: string,
  version: string,
  apk: Uint8Array,
  expect: Expect,
): Promise<void> {
  const text = (await lab.download(`calchat/${channel}/latest.json`)) ?? "{}";
  const latest = JSON.parse(text) as { version?: string; files?: { name: string; sha256: string }[] };
  console.log(`  ${lab.variables.DOWNLOADS_URL}/calchat/${channel}/latest.json:`);
  for (const line of JSON.stringify(latest, null, 2).split("\n")) console.log(`    │ ${line}`);
  const sha = createHash("sha256").update(apk).digest("hex");
  expect(
    `${channel}/latest.json names ${version}, with the APK's SHA-256 as built`,
    latest.version === version && latest.files?.some((file) => file.sha256 === sha) === true,
  );
  const page = pageText((await lab.download("calchat/index.html")) ?? "");
  // The page's head, then the channel's section: what a visitor scrolls to.
  const section = Math.max(2, page.indexOf(`${channel} latest.json`));
  console.log(`  ${lab.variables.DOWNLOADS_URL}/calchat/index.html (its head and ${channel}):`);
  for (const line of [...page.slice(0, 2), ...page.slice(section, section + 8)]) console.log(`    │ ${line}`);
  expect(
    `the download page lists ${version}`,
    page.some((line) => line.includes(version)),
  );
}

/** The text of an HTML page, one line per block, for a few lines of it in a terminal. */
export function pageText(html: string): string[] {
  return html
    .replace(/<(script|style)[\s\S]*?<\/\1>/g, "")
    .replace(/<\/(h\d|p|li|tr|div|section|header)>|<br\s*\/?>/g, "\n")
    .replace(/<\/t[dh]>/g, "  ")
    .replace(/<[^>]+>/g, "")
    .replace(/&amp;/g, "&")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .split("\n")
    .map((line) => line.replace(/\s+/g, " ").trim())
    .filter(Boolean)
    .filter((line, at, lines) => line !== lines[at - 1]);
}
