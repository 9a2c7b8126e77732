import { type PlanContext, type SettingsOf, settings as s } from "@hangar/kit";
import * as z from "zod/mini";

/** The settings as plan.ts and inputs.ts read them, and the context they are read in. */
export type Settings = SettingsOf<ReleaseSiteSchema>;
export type Context = PlanContext<ReleaseSiteSchema>;

/**
 * Every setting of release-site. The store settings follow the names S3 tools use
 * (`endpoint`, `region`, `bucket`, `access_key`, `secret_key`, `path_style`), so one secret
 * serves this step and `aws s3`/`rclone` steps alike.
 */

export const ACTIONS = ["publish", "promote", "prune"] as const;
export const DEFAULT_CHANNELS = ["alpha", "beta", "stable"] as const;
export const LOCKS = ["auto", "conditional", "object"] as const;

const httpUrl = z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" });

export const releaseSiteSettings = {
  action: s.enum(ACTIONS)({
    description:
      "`publish` uploads `files` as `version` to `channel`; `promote` copies `version` from `from` to `channel` inside the store (no download); `prune` keeps the newest `keep` versions of `channel` (every channel when unset).",
    default: "publish",
  }),
  endpoint: s.string(httpUrl)({
    description:
      "The S3 API's address: `https://s3.example.com` (Garage, MinIO, Ceph), `https://<account>.r2.cloudflarestorage.com`, `https://s3.eu-central-1.amazonaws.com`.",
    required: true,
    env: ["S3_ENDPOINT", "AWS_ENDPOINT_URL"],
  }),
  region: s.string()({
    description:
      "The region signed into every request (Garage's is `garage`, MinIO's `us-east-1`, R2's `auto`).",
    default: "us-east-1",
    env: ["AWS_REGION"],
  }),
  bucket: s.string()({ description: "The bucket the site lives in.", required: true }),
  access_key: s.string()({
    description: "Access key id. Use `from_secret`.",
    required: true,
    env: ["AWS_ACCESS_KEY_ID"],
  }),
  secret_key: s.secret({
    description: "Secret access key. Use `from_secret`.",
    required: true,
    env: ["AWS_SECRET_ACCESS_KEY"],
  }),
  path_style: s.boolean({
    description:
      "Address the bucket in the path (`https://s3.example.com/<bucket>/…`) rather than as a host name (`https://<bucket>.s3.example.com/…`).",
    defaultText: "true, except for an `amazonaws.com` endpoint",
  }),
  ca_cert: s.string()({
    description: "PEM certificate(s) to trust for the store, inline or a workspace path.",
  }),
  prefix: s.string()({
    description: "Folder of the site in the bucket; everything this step writes or removes is under it.",
    defaultText: "the repository's name",
    template: "text",
  }),
  files: s.list()({
    description: "Workspace files to publish, as globs (`dist/*.apk`).",
    example: "[dist/*.apk]",
  }),
  version: s.string()({
    description: "The version published (a semantic version, `1.4.0`, `1.5.0-beta.2`).",
    defaultText: "the tag without a leading `v`; on other builds `0.0.0-<branch>.<build number>`",
    template: "text",
  }),
  channel: s.string()({
    description:
      "The channel: `auto` puts a release version in `stable`, `-beta…` and `-rc…` in `beta`, `-alpha…` and branch builds in `alpha`; or a channel's name.",
    default: "auto",
  }),
  channels: s.list()({
    description: "The channels the site has, in the order the page shows them.",
    default: [...DEFAULT_CHANNELS],
  }),
  keep: s.integer({ min: 1, max: 1000 })({
    description: "Versions `prune` keeps per channel (the one `latest.json` names is always kept).",
    default: 10,
  }),
  site_title: s.string()({
    description: "Title of the download page.",
    defaultText: "the repository's name",
    template: "text",
  }),
  public_url: s.string(httpUrl)({
    description:
      "Where the bucket is served to downloaders (a CDN or the store's web endpoint), for the links in the manifests.",
    defaultText: "the bucket's address on `endpoint`",
  }),
  notes: s.string()({
    description:
      "Release notes: a workspace file (Markdown or text), shown on the page and in `latest.json`.",
  }),
  from: s.string()({
    description: "`promote`: the channel the version is copied from.",
    defaultText: "the one channel that holds `version`",
  }),
  parallel: s.integer({ min: 1, max: 8 })({ description: "Files uploaded at once.", default: 2 }),
  lock: s.enum(LOCKS)({
    description:
      "How two builds writing the site at once keep each other's entry in `index.json`: `conditional` writes it If-Match its ETag (AWS, MinIO, Ceph, R2); `object` takes turns through a lock object, `index.json.lock`, that expires after 4 × `timeout` (at least 30 s), for stores that ignore conditional writes (Garage); `auto` finds out with a probe object first.",
    default: "auto",
  }),
  timeout: s.duration({ min: 1000 })({
    description:
      "Longest time one request to the store may take, its retries included; an upload part that takes longer fails the upload.",
    default: 60_000,
  }),
};

export type ReleaseSiteSchema = typeof releaseSiteSettings;
