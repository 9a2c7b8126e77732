import { looksLikePem, type Masker, readWorkspaceFile, textOrFile } from "@hangar/kit";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";

/**
 * How the plugin reaches the cluster: a kubeconfig (YAML or base64), or a server URL with a
 * token and the CA that signed the server's certificate. Every credential in it is registered
 * with the log's masker before anything can print it.
 */

export type Access =
  | { kind: "kubeconfig"; yaml: string; context?: string | undefined; server: string }
  | { kind: "token"; server: string; token: string; ca?: string | undefined; insecure: boolean };

const BASE64 = /^[A-Za-z0-9+/=\s]+$/;

/**
 * A kubeconfig's text is read by check and plan several times (problems, server, credentials,
 * file references): parsed once, and each caller gets its own copy, since one of them edits it.
 */
let lastParsed: { text: string; value: unknown } | undefined;

function parseKubeconfig(text: string): unknown {
  if (lastParsed?.text !== text) lastParsed = { text, value: parseYaml(text) };
  return structuredClone(lastParsed.value);
}

/** A kubeconfig as given: YAML as it is, base64 decoded. */
export function kubeconfigText(value: string): string {
  const trimmed = value.trim();
  if (!trimmed.includes(":") && BASE64.test(trimmed)) return Buffer.from(trimmed, "base64").toString("utf8");
  return value;
}

interface KubeconfigShape {
  clusters?: { name?: string; cluster?: { server?: string } }[];
  users?: { name?: string; user?: Record<string, unknown> }[];
  contexts?: { name?: string; context?: { cluster?: string; user?: string } }[];
  "current-context"?: string;
}

/** What is wrong with a kubeconfig, without quoting it (it holds credentials). */
export function kubeconfigProblem(text: string, context: string | undefined): string | undefined {
  let parsed: KubeconfigShape;
  try {
    parsed = parseKubeconfig(text) as KubeconfigShape;
  } catch {
    return "is neither kubeconfig YAML nor base64 of it";
  }
  if (!parsed || typeof parsed !== "object" || !Array.isArray(parsed.clusters))
    return "is neither kubeconfig YAML nor base64 of it (no clusters)";
  const name = context ?? parsed["current-context"];
  const found = parsed.contexts?.find((each) => each.name === name);
  if (!found) {
    const known = (parsed.contexts ?? []).map((each) => each.name).join(", ");
    return context
      ? `has no context "${context}" (it has: ${known || "none"})`
      : "names no current-context; set `context`";
  }
  const cluster = parsed.clusters.find((each) => each.name === found.context?.cluster);
  if (!cluster?.cluster?.server) return `context "${name}" names no cluster with a server`;
  return undefined;
}

/** The server a kubeconfig context points at (for the log; holds no credentials). */
export function kubeconfigServer(text: string, context: string | undefined): string {
  const parsed = parseKubeconfig(text) as KubeconfigShape;
  const name = context ?? parsed["current-context"];
  const found = parsed.contexts?.find((each) => each.name === name);
  return parsed.clusters?.find((each) => each.name === found?.context?.cluster)?.cluster?.server ?? "";
}

const CREDENTIALS = ["token", "password", "client-key-data", "client-certificate-data"];

/** Registers every credential a kubeconfig holds, so none can reach the log in any encoding. */
export function maskKubeconfig(text: string, masker: Masker): void {
  const parsed = parseKubeconfig(text) as KubeconfigShape;
  for (const user of parsed.users ?? []) {
    for (const key of CREDENTIALS) {
      const value = user.user?.[key];
      if (typeof value === "string") {
        masker.add(value);
        if (key.endsWith("-data")) masker.add(Buffer.from(value, "base64").toString("utf8"));
      }
    }
  }
}

/** `ca_cert` as PEM: inline PEM, base64 of PEM, or a workspace file. */
export async function caCertificate(workspace: string, value: string): Promise<string> {
  const read = await textOrFile(workspace, value, {
    setting: "ca_cert",
    inline: (text) => looksLikePem(text) || BASE64.test(text.trim()),
  });
  if (looksLikePem(read.text)) return read.text;
  const decoded = Buffer.from(read.text.trim(), "base64").toString("utf8");
  if (looksLikePem(decoded)) return decoded;
  throw new Error("holds no PEM certificate (inline, base64 or a workspace file)");
}

/** Kubeconfig keys that name a file, and the key that holds the same inline. */
const FILE_KEYS: [section: "clusters" | "users", inner: "cluster" | "user", file: string, inline: string][] =
  [
    ["clusters", "cluster", "certificate-authority", "certificate-authority-data"],
    ["users", "user", "client-certificate", "client-certificate-data"],
    ["users", "user", "client-key", "client-key-data"],
    ["users", "user", "tokenFile", "token"],
  ];

/**
 * A kubeconfig's file references (`certificate-authority: ca.crt`, `tokenFile` …) are read
 * through the kit's workspace reader and inlined: a path outside the workspace, or a link out
 * of it, is refused, never read (a `tokenFile: /proc/self/environ` would send the runner's
 * environment as the token).
 */
export async function inlineKubeconfigFiles(workspace: string, text: string): Promise<string> {
  const parsed = parseKubeconfig(text) as Record<
    string,
    { [key: string]: Record<string, unknown> }[] | undefined
  >;
  let changed = false;
  for (const [section, inner, fileKey, inlineKey] of FILE_KEYS) {
    for (const entry of parsed?.[section] ?? []) {
      const holder = entry?.[inner];
      const file = holder?.[fileKey];
      if (!holder || typeof file !== "string") continue;
      const content = await readWorkspaceFile(workspace, file, {
        setting: "kubeconfig",
        maxBytes: 1024 * 1024,
      });
      holder[inlineKey] = inlineKey === "token" ? content.trim() : Buffer.from(content).toString("base64");
      delete holder[fileKey];
      changed = true;
    }
  }
  return changed ? stringifyYaml(parsed) : text;
}
