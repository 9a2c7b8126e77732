import { type PlanContext, type SettingsOf, settings as s } from "@hangar/kit";

/**
 * Every setting of image-publish. Where the image goes is named as plugins/docker names it
 * (`repo`, `registry`, `username`, `password`, `insecure`, `tags`), so a docker step changes its
 * image and the settings of how the image is made (`base`, `context` … instead of a Dockerfile).
 */

export const LATEST = ["auto", "force", "skip"] as const;
export const TAG_TYPES = ["annotated", "lightweight"] as const;

export const imagePublishSettings = {
  repo: s.string()({
    description: "The image without a tag, registry host included: `gitea.example.com/calchat/server`.",
    required: true,
  }),
  registry: s.string()({
    description: "The registry host to log in to (`host` or `host:port`).",
    defaultText: "`repo`'s host",
  }),
  username: s.string()({ description: "User name for the registry." }),
  password: s.secret({
    description:
      "Password or token for the registry (for Gitea: a token with `write:package`). Use `from_secret`.",
  }),
  insecure: s.boolean({
    description:
      "Speak plain http to the registry (and to the base's, when it is the same host). A registry on loopback speaks plain http anyway.",
    default: false,
  }),
  ca_cert: s.string()({
    description:
      "PEM certificate(s) of a private CA to trust for the registries (and Gitea), inline or a workspace path.",
  }),
  base: s.string()({
    description:
      "The image to build on, from any registry: an index (every platform it offers is built) or one platform's image. Either `base` or `sources`.",
    example: "node:24-bookworm-slim",
  }),
  sources: s.list()({
    description:
      "Images built elsewhere, merged into one index instead of building (each one platform's image, or an index to flatten; no platform twice). They must be in `repo`'s registry: their blobs are mounted, not copied through the step. Either `base` or `sources`.",
    example: "[gitea.example.com/calchat/server:1.2.3-amd64, gitea.example.com/calchat/server:1.2.3-arm64]",
  }),
  base_username: s.string()({ description: "User name for the base's registry, when it needs one." }),
  base_password: s.secret({ description: "Password or token for the base's registry. Use `from_secret`." }),
  context: s.string()({
    description:
      "Workspace folder whose files go into the image (a `.dockerignore` in it is honoured). Symbolic links are kept as links.",
    default: ".",
  }),
  workdir: s.string()({
    description: "Where the context's files land in the image; also its working directory.",
    default: "/app",
  }),
  entrypoint: s.list()({
    description: "The image's ENTRYPOINT (replaces the base's; its CMD is dropped unless `cmd` is set).",
    example: "[node, server.js]",
  }),
  cmd: s.list()({ description: "The image's CMD.", defaultText: "the base's" }),
  env: s.map({
    description: "Environment variables set in the image, over the base's.",
    example: "{ NODE_ENV: production }",
  }),
  user: s.string()({
    description:
      "User the image runs as (`1000`, `1000:1000`, `node`). With numbers, the context's files are also owned by it; with a name they stay root's (read-only to the user).",
    defaultText: "the base's",
  }),
  labels: s.map({
    description:
      "Labels of the image. `org.opencontainers.image.{source,revision,created,version}` are added from the build.",
  }),
  platforms: s.list()({
    description: "Platforms to build, as `linux/amd64`, `linux/arm64`, `linux/arm/v7`.",
    defaultText: "every platform the base offers",
  }),
  allow_native: s.boolean({
    description:
      "Publish a context holding native code (`*.node` add-ons, ELF files) for platforms it was not built for.",
    default: false,
  }),
  tags: s.list()({
    description:
      "Tags to push, templates allowed. `latest` among them still moves only forward (see `latest`). Default: on a tag `vX.Y.Z`, `X.Y.Z`, `X.Y`, `X` and `latest`; on another event `<branch>` and `sha-<short>`.",
    template: "text",
    example: '["{{ branch }}", "build-{{ build.number }}"]',
  }),
  latest: s.enum(LATEST)({
    description:
      "Whether `latest`, `X.Y` and `X` move: `auto` only for an annotated tag of a release version greater than the one they point to now; `force` always; `skip` never.",
    default: "auto",
  }),
  tag_type: s.enum(TAG_TYPES)({
    description: "Whether the build's git tag is annotated.",
    defaultText:
      "`git cat-file -t` in the workspace; a tag not there is asked of Gitea (`gitea_url`), else counts as lightweight",
  }),
  gitea_url: s.string()({
    description:
      "Gitea's address (`https://gitea.example.com`), asked whether the build's tag is annotated when the clone holds no tag object.",
  }),
  gitea_token: s.secret({ description: "A Gitea token that may read the repository. Use `from_secret`." }),
  timeout: s.duration({ min: 1000 })({
    description:
      "Longest time one registry call may take. A call the registry answers 429 or 5xx is tried up to 4 times, waiting 0.5 s, 1 s, 2 s between.",
    default: 120_000,
  }),
};

export type ImagePublishSchema = typeof imagePublishSettings;

export type Settings = SettingsOf<ImagePublishSchema>;
export type Context = PlanContext<ImagePublishSchema>;
