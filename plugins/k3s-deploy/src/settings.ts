import { type PlanContext, type SettingsOf, settings as s } from "@hangar/kit";
import * as z from "zod/mini";

/** The settings as plan.ts and check.ts read them, and the context they are read in. */
export type Settings = SettingsOf<K3sDeploySchema>;
export type Context = PlanContext<K3sDeploySchema>;

/**
 * Every setting of k3s-deploy. Access is a kubeconfig, or a server with a token; the target is a
 * namespace (per branch with `preview-{{ branch }}`); what is applied comes from manifest files.
 */

export const ACTIONS = ["deploy", "delete"] as const;
// `true` and `false` too: the other plugins' dry_run is a boolean, and HANGAR_DRY_RUN may be set
// for a whole pipeline; `true` means `client`, as kubectl's old `--dry-run=true` did.
export const DRY_RUN = ["client", "server", "true", "false"] as const;

// The client sends no token over plain http, so neither does the setting accept it.
const httpsUrl = z.url({ protocol: /^https$/, error: "must be an https:// URL" });
const imageOverride = z.string().check(
  z.regex(/^[^=\s]+=[^=\s]+$/, {
    error: "must be name=image:tag, e.g. calchat-server=registry/calchat/server:1.2",
  }),
);

export const k3sDeploySettings = {
  kubeconfig: s.secret({
    description:
      "A kubeconfig (YAML, or the same base64-encoded) with the cluster and its credentials. Use `from_secret`.",
    env: ["KUBECONFIG_DATA"],
  }),
  context: s.string()({ description: "The kubeconfig context to use.", defaultText: "its current-context" }),
  server: s.string(httpsUrl)({ description: "The API server's URL, with `token` instead of a kubeconfig." }),
  token: s.secret({ description: "A bearer token (service account) for `server`. Use `from_secret`." }),
  ca_cert: s.string()({
    description:
      "PEM certificate (or the same base64-encoded, or a workspace file) of the CA that signed `server`'s certificate.",
  }),
  insecure: s.boolean({
    description: "Accept any certificate from the API server. Prints a warning; prefer `ca_cert`.",
    default: false,
  }),
  namespace: s.string()({
    description:
      "The namespace to deploy into. Placeholders become a valid DNS label of at most 63 characters (longer names end in a stable hash).",
    required: true,
    template: "name",
    example: '"preview-{{ branch }}"',
  }),
  create_namespace: s.boolean({ description: "Create the namespace when it does not exist.", default: true }),
  labels: s.map({ description: "Labels added to every object, besides hangar's own.", default: {} }),
  annotations: s.map({ description: "Annotations added to every object.", default: {} }),
  manifests: s.list()({
    description: "Manifest files, globs or directories (every .yaml/.yml/.json in it); multi-document YAML.",
    example: "[deploy/k8s/]",
  }),
  vars: s.map({
    description:
      "Values for `{{ name }}` placeholders in the manifests, besides the build's (`branch`, `namespace` …).",
    default: {},
  }),
  images: s.list(imageOverride)({
    description:
      "Image overrides `name=image:tag`, applied to every container whose image name (with or without registry) is `name`.",
    default: [],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Drone substitutes it, as a user writes it
    example: '["calchat-server=git.example.com/calchat/server:${DRONE_COMMIT_SHA:0:8}"]',
  }),
  secrets: s.string()({
    description:
      "Secrets to create: a map of Secret name to the list of the step's environment variables whose values become its data. Values are never printed.",
    expand: false,
    example: "{ calchat-db: [MONGO_PASSWORD] }",
  }),
  action: s.enum(ACTIONS)({
    description: "`deploy` applies the manifests; `delete` removes the namespace and waits until it is gone.",
    default: "deploy",
  }),
  force: s.boolean({
    description:
      "Deploy even when a newer build is live in the namespace (an older build is otherwise skipped); with `action: delete`, also delete a namespace that hangar did not create.",
    default: false,
  }),
  allow_cluster_scoped: s.boolean({
    description:
      "Allow cluster-scoped objects in the manifests (ClusterRole, ClusterRoleBinding, CRDs, PersistentVolumes, webhooks …). Off, a deploy changes only its namespace.",
    default: false,
  }),
  field_manager: s.string()({ description: "The server-side apply field manager.", default: "hangar" }),
  prune: s.boolean({
    description: "Delete objects of this deployment (by its label) that are no longer in the manifests.",
    default: true,
  }),
  wait: s.boolean({
    description: "Wait until every workload is rolled out (or a Job complete).",
    default: true,
  }),
  timeout: s.duration({ min: 1000 })({
    description:
      "Deadline for each API request, and for the rollout (or the deletion) wait; a cancel stops either at once.",
    default: 300_000,
  }),
  url: s.string()({
    description: "The preview's URL, published as an output; may use `{{ namespace }}`.",
    template: "text",
    example: '"https://{{ namespace }}.preview.example.com"',
  }),
  dry_run: s.enum(DRY_RUN)({
    description:
      "`client` renders and checks the manifests and prints the plan, touching nothing; `server` sends everything with the API's dry run (nothing is stored). `true` is `client`, `false` a real run.",
    env: ["HANGAR_DRY_RUN"],
  }),
};

export type K3sDeploySchema = typeof k3sDeploySettings;
