import type { PlanContext, SettingsOf } from "@hangar/kit";
import { hostKeySettings, jumpHostSettings, settings as s } from "@hangar/kit";
import * as z from "zod/mini";

/** The settings as plan.ts and check.ts read them, and the context they are read in. */
export type Settings = SettingsOf<ComposeDeploySchema>;
export type Context = PlanContext<ComposeDeploySchema>;

/**
 * Every setting of compose-deploy. The connection settings keep appleboy/drone-ssh's names
 * (`host`, `username`, `key`, `key_path`, `fingerprint`, `proxy_*` …) so a step that glued
 * drone-scp and drone-ssh together moves over by renaming little; host keys are verified by default.
 */

const envName = z
  .string()
  .check(z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: "is not an environment variable name" }));
const serviceName = z
  .string()
  .check(z.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, { error: "is not a compose service name" }));

export const STRATEGIES = ["rolling", "parallel"] as const;
export const VERIFY_FROM = ["remote", "plugin"] as const;
export const UPDATES = ["recreate", "rollout"] as const;

export const composeDeploySettings = {
  // ── connection ───────────────────────────────────────────────────────────────────────────────
  host: s.list()({
    description:
      "Host(s) to deploy to; `host:port` (or `[v6]:port`) overrides `port` for one host. Several hosts are deployed by `strategy`.",
    required: true,
    env: ["SSH_HOST"],
    example: "[vps1.example.com, vps2.example.com:2222]",
  }),
  port: s.integer({ min: 1, max: 65535 })({
    description: "SSH port, for hosts given without one.",
    default: 22,
    env: ["SSH_PORT"],
  }),
  username: s.string()({
    description: "User to log in as; it must be allowed to run `docker`.",
    required: true,
    aliases: ["user"],
    env: ["SSH_USERNAME"],
  }),
  key: s.secret({
    description: "Private key (OpenSSH or PEM), inline. Use `from_secret`.",
    aliases: ["ssh_key"],
    env: ["SSH_KEY"],
  }),
  key_path: s.string()({
    description: "Path of the private key file, absolute or relative to the workspace, instead of `key`.",
    aliases: ["ssh_key_path"],
  }),
  password: s.secret({
    description: "Password for password login, when the host allows it. Prefer `key`.",
    env: ["SSH_PASSWORD"],
  }),
  passphrase: s.secret({ description: "Passphrase of an encrypted `key`." }),
  ...hostKeySettings({ host: "the hosts", example: "vps.example.com", risk: "the deploy" }),
  timeout: s.duration({ min: 1000, max: 600_000 })({
    description:
      "How long to wait for each SSH connection (TCP, handshake, login), and for each try of `verify_url`.",
    default: 30_000,
  }),
  command_timeout: s.duration({ min: 1000, max: 7_200_000 })({
    description: "Deadline for each remote command (a `pull` of large images is one command).",
    default: 600_000,
  }),
  ...jumpHostSettings,

  // ── stack ────────────────────────────────────────────────────────────────────────────────────
  project: s.string(
    z.string().check(
      z.regex(/^[a-z0-9][a-z0-9_-]*$/, {
        error: "must be a compose project name: lower-case letters, digits, `-` and `_`",
      }),
    ),
  )({
    description: "Compose project name.",
    defaultText: "the repository name",
  }),
  target: s.string(
    z.string().check(z.regex(/^\/[^\0\n]*[^/]$/, { error: "must be an absolute directory path" })),
  )({
    description:
      "Directory on the host that holds `releases/` and the `current` link; the SSH user must be able to write it.",
    defaultText: "`/opt/<project>`",
  }),
  compose_files: s.list()({
    description:
      "Compose files from the workspace, in `-f` order. They keep their paths inside the release directory.",
    default: ["docker-compose.yml"],
    example: "[deploy/compose.yml, deploy/compose.prod.yml]",
  }),
  env_files: s.list()({
    description:
      "More workspace files to ship with the compose files (files named by `env_file:`), keeping their paths.",
  }),
  env: s.map({
    description:
      // biome-ignore lint/suspicious/noTemplateCurlyInString: compose's placeholder syntax, not JavaScript's
      "Variables for the release's `.env` (next to the first compose file, passed as `--env-file`), for `${VAR}` in the compose files.",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Drone's substitution, not JavaScript's
    example: "{ IMAGE_TAG: ${DRONE_COMMIT_SHA:0:8} }",
  }),
  env_secrets: s.list(envName)({
    description:
      "Names of variables of the step's `environment:` whose values go into `.env` too; they are masked in every line printed.",
    example: "[MONGO_PASSWORD]",
  }),
  services: s.list(serviceName)({
    description: "Deploy, wait for and roll back only these services.",
    defaultText: "every service",
  }),
  pull: s.boolean({ description: "Pull the images before `up`.", default: true }),
  remove_orphans: s.boolean({
    description: "Remove containers of services no longer in the compose files.",
    default: true,
  }),
  registry: s.string()({
    description:
      "Registry to log in to on the host before pulling (`git.example.com`); with `registry_username` alone, Docker Hub.",
  }),
  registry_username: s.string()({ description: "User for `registry`." }),
  registry_password: s.secret({
    description:
      "Password or token for `registry`; sent to `docker login --password-stdin` over the SSH channel, never on a command line. The login lives in a per-deploy Docker config that is removed afterwards.",
  }),

  // ── proof ────────────────────────────────────────────────────────────────────────────────────
  wait: s.boolean({
    description:
      "Wait until every deployed service runs, and is healthy where it has a health check; a container that exits or turns unhealthy fails the deploy at once.",
    default: true,
  }),
  wait_timeout: s.duration({ min: 1000, max: 3_600_000 })({
    description: "How long to wait for the services.",
    default: 120_000,
  }),
  verify_url: s.string(z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }))({
    description: "URL that must answer `verify_status` after the services are up.",
    example: "https://calchat.example.com/api/health",
  }),
  verify_status: s.integer({ min: 100, max: 599 })({
    description: "HTTP status `verify_url` must answer.",
    default: 200,
  }),
  verify_retries: s.integer({ min: 1, max: 1000 })({
    description: "Tries of `verify_url` before the deploy counts as failed.",
    default: 12,
  }),
  verify_interval: s.duration({ min: 100, max: 600_000 })({
    description: "Pause between tries of `verify_url`.",
    default: 5000,
  }),
  verify_from: s.enum(VERIFY_FROM)({
    description:
      "`remote`: fetch `verify_url` on the host, through the SSH connection, so an internal address such as `http://127.0.0.1:8080` works; `plugin`: fetch it from the runner.",
    default: "remote",
  }),

  // ── lifecycle ────────────────────────────────────────────────────────────────────────────────
  rollback: s.boolean({
    description:
      "When `wait` or `verify_url` fails, bring the previous release back up and wait for it; the step fails either way.",
    default: true,
  }),
  keep_releases: s.integer({ min: 2, max: 100 })({
    description:
      "Release directories kept on each host after a good deploy (the current and previous among them).",
    default: 5,
  }),
  prune: s.boolean({
    description: "Remove dangling images (`docker image prune -f`) after a good deploy.",
    default: false,
  }),
  lock_timeout: s.duration({ min: 1000, max: 86_400_000 })({
    description:
      "Deploys to one `target` take turns: a lock on the host, held on the deploy's own SSH connection (so a killed deploy releases it), covers upload, `up`, proof, switch and rollback. How long a deploy waits for another build's deploy to finish; the log says which build holds the lock and since when.",
    default: 600_000,
  }),
  force: s.boolean({
    description:
      "Deploy even when `current` on the host names a newer build. Without it, an older build is skipped (exit 0, and the log says so), except on Drone's `promote` and `rollback` events, which redeploy an older build on purpose.",
    default: false,
  }),
  update: s.enum(UPDATES)({
    description:
      "How a service's containers are replaced on a host. `recreate`: `up -d`, each container stopped, then its successor started (requests fail in between). `rollout`: the new containers start beside the old ones, are proven healthy, and the old ones are retired after `drain`; for services with a `healthcheck:`, no `container_name`, no fixed host `ports:` and no `network_mode: host` (the others are recreated, and `dry_run` says which and why).",
    default: "recreate",
  }),
  drain: s.duration({ min: 0, max: 600_000 })({
    description:
      "With `update: rollout`: how long the old and the new containers serve side by side once the new ones are healthy, so a proxy that discovers containers late (Traefik's Docker provider, a DNS cache) routes to the new ones before the old ones stop.",
    default: 5000,
  }),
  canary: s.duration({ min: 1000, max: 3_600_000 })({
    description:
      "With `update: rollout`: first one new container of each rolled-out service serves beside the old ones for this long, its health check (and `verify_url`, when it names the service) probed every `verify_interval`; a failed probe removes it and fails the step, else the rest follow. The card says how long it ran and how many probes passed.",
    example: "2m",
  }),
  strategy: s.enum(STRATEGIES)({
    description:
      "With several hosts: `rolling` deploys one after the other and stops at the first that fails; `parallel` deploys all at once.",
    default: "rolling",
  }),
};

export type ComposeDeploySchema = typeof composeDeploySettings;
