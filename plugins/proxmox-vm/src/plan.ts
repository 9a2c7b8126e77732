import {
  caCertProblem,
  contextVars,
  errorMessage,
  readCaCert,
  renderTemplate,
  type SettingProblem,
  slug,
} from "@hangar/kit";
import { type Owner, REPO } from "./ownership.ts";
import type { Auth } from "./proxmox-client.ts";
import type { Context, Settings } from "./settings.ts";
import { normaliseFingerprint, type TlsTrust } from "./tls.ts";

/** What a later step of this build finds in `.hangar/outputs.json` about the VMs. */
export interface VmRecord {
  vmid: number;
  name: string;
  node: string;
  ip?: string;
}

export interface VmPlan {
  action: Settings["action"];
  baseUrl: string;
  auth: Auth;
  tls: TlsTrust;
  node?: string | undefined;
  template?: string | undefined;
  /** create: every VM's name; destroy/start/stop by name: the one name. */
  names: string[];
  vmid?: number | undefined;
  /** destroy/start/stop with neither vmid nor name: what the create step recorded. */
  recorded?: VmRecord[] | undefined;
  full: boolean;
  storage?: string | undefined;
  pool?: string | undefined;
  /** One config call after the clone: sizing, tags and cloud-init, `sshkeys` already percent-encoded. */
  config: Record<string, string | number | undefined>;
  /** The repository and build the VMs belong to: the marker create writes and the others require. */
  owner: Owner;
  waitIp: boolean;
  waitSsh: boolean;
  sshPort: number;
  /** Read the guest's SSH host key through the agent, for the next step to pin. */
  hostKey: boolean;
  keepOnFailure: boolean;
  timeoutMs: number;
  ttlMs: number;
}

/** Carries the owner: two repositories of one name (acme/web, other/web) never share a VM name. */
export const DEFAULT_NAME = "ci-{{ repo.owner }}-{{ repo.name }}-{{ build.number }}";
/** Room for the `-N` of a `count` run within a DNS label's 63. */
const COUNT_BASE_MAX = 60;
const TAG = /^[a-z0-9_][a-z0-9_\-+.]*$/;
const TOKEN_ID = /^[^\s@!=]+@[^\s@!=]+![A-Za-z][A-Za-z0-9._-]*$/;
/** The two ways to log in: a name and its secret, each required with the other. */
const LOGINS = {
  token: {
    id: "token_id",
    secret: "token_secret",
    pattern: TOKEN_ID,
    shape: "must be USER@REALM!TOKENID, e.g. drone@pve!ci",
  },
  password: {
    id: "username",
    secret: "password",
    pattern: /@/,
    shape: "must name the realm: USER@REALM, e.g. ci@pve",
  },
} as const;
const PUBLIC_KEY = /^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp\d+|sk-[a-z0-9@.-]+) [A-Za-z0-9+/=]+( .*)?$/;
const IPCONFIG =
  /^(ip=(dhcp|\d{1,3}(\.\d{1,3}){3}\/\d{1,2})|gw=\d{1,3}(\.\d{1,3}){3}|ip6=(dhcp|auto|[0-9a-fA-F:]+\/\d{1,3})|gw6=[0-9a-fA-F:]+)(,(ip=(dhcp|\d{1,3}(\.\d{1,3}){3}\/\d{1,2})|gw=\d{1,3}(\.\d{1,3}){3}|ip6=(dhcp|auto|[0-9a-fA-F:]+\/\d{1,3})|gw6=[0-9a-fA-F:]+))*$/;

/** Everything wrong with the settings, found before any request. */
export async function checkSettings(
  settings: Partial<Settings>,
  context: Context,
): Promise<SettingProblem[]> {
  const { problem } = context;
  const problems: SettingProblem[] = [];
  const action = settings.action ?? "create";
  const token = settings.token_id !== undefined || settings.token_secret !== undefined;
  const login = settings.username !== undefined || settings.password !== undefined;
  if (token && login)
    problems.push(
      problem(
        "token_id",
        "E_SETTING_CONFLICT",
        "give either token_id + token_secret or username + password, not both",
      ),
    );
  else if (!token && !login)
    problems.push(
      problem(
        "token_id",
        "E_SETTING_REQUIRED",
        "is required (with token_secret), or give username + password",
      ),
    );
  else {
    const pair = token ? LOGINS.token : LOGINS.password;
    const id = settings[pair.id];
    if (id === undefined)
      problems.push(problem(pair.id, "E_SETTING_REQUIRED", `is required with ${pair.secret}`));
    else if (!pair.pattern.test(id)) problems.push(problem(pair.id, "E_SETTING_INVALID", pair.shape, id));
    if (settings[pair.secret] === undefined)
      problems.push(problem(pair.secret, "E_SETTING_REQUIRED", `is required with ${pair.id}`));
  }
  for (const name of ["token_secret", "password"] as const) {
    const value = settings[name];
    if (value !== undefined && !/^[\x21-\x7e]+$/.test(value))
      problems.push(
        problem(
          name,
          "E_SETTING_INVALID",
          "holds a space, a line break or another character a header cannot carry (saved with a trailing newline?)",
        ),
      );
  }
  if (settings.url !== undefined && !settings.url.startsWith("https://") && !settings.insecure)
    problems.push(
      problem(
        "url",
        "E_SETTING_INVALID",
        "must be https:// (plain http only with insecure: true)",
        settings.url,
      ),
    );
  if (settings.fingerprint !== undefined && !normaliseFingerprint(settings.fingerprint))
    problems.push(
      problem(
        "fingerprint",
        "E_SETTING_INVALID",
        "must be a SHA-256 fingerprint: 32 hex bytes, e.g. AB:CD:… as the GUI shows it",
        settings.fingerprint,
      ),
    );
  if (settings.ca_cert !== undefined) {
    const caProblem = await caCertProblem(problem, context.build.workspace, settings.ca_cert);
    if (caProblem) problems.push(caProblem);
  }
  if (action === "create" && settings.template === undefined)
    problems.push(
      problem(
        "template",
        "E_SETTING_REQUIRED",
        "is required for action create: the template's VM id or name",
      ),
    );
  if (settings.vmid !== undefined && (settings.count ?? 1) > 1)
    problems.push(
      problem(
        "vmid",
        "E_SETTING_CONFLICT",
        `names one VM, but count is ${settings.count}; leave vmid out to allocate ids`,
        String(settings.vmid),
      ),
    );
  if (settings.vmid !== undefined && settings.name !== undefined && action !== "create")
    problems.push(
      problem("name", "E_SETTING_CONFLICT", `give vmid or name for ${action}, not both`, settings.name),
    );
  const badTags = (settings.tags ?? []).filter((tag) => !TAG.test(tag.toLowerCase()));
  if (badTags.length > 0)
    problems.push(
      problem(
        "tags",
        "E_SETTING_INVALID",
        `${badTags.map((tag) => `"${tag}"`).join(", ")}: a tag is letters, digits and _ - + . (no spaces or ;)`,
      ),
    );
  const badKeys = (settings.sshkeys ?? []).filter((key) => !PUBLIC_KEY.test(key.trim()));
  if (badKeys.length > 0)
    problems.push(
      problem(
        "sshkeys",
        "E_SETTING_INVALID",
        `${badKeys.length} item(s) are not OpenSSH public keys ("ssh-ed25519 AAAA… comment"); a private key does not belong here`,
      ),
    );
  if (settings.ipconfig0 !== undefined && !IPCONFIG.test(settings.ipconfig0))
    problems.push(
      problem(
        "ipconfig0",
        "E_SETTING_INVALID",
        "must be like ip=dhcp or ip=10.0.0.5/24,gw=10.0.0.1",
        settings.ipconfig0,
      ),
    );
  if (settings.name !== undefined && settings.name.length + ((settings.count ?? 1) > 1 ? 3 : 0) > 63)
    problems.push(
      problem(
        "name",
        "E_SETTING_INVALID",
        "is longer than a DNS name allows (63, with the -N suffix)",
        settings.name,
      ),
    );
  if (action === "create" && settings.name === undefined) {
    try {
      renderTemplate(DEFAULT_NAME, contextVars(context.build), "name");
    } catch (error) {
      problems.push(
        problem(
          "name",
          "E_SETTING_REQUIRED",
          `is required: the default ${DEFAULT_NAME} cannot be rendered (${errorMessage(error)})`,
        ),
      );
    }
  }
  const byMarker = action === "create" || (action !== "reap" && settings.vmid === undefined);
  if (byMarker && !REPO.test(context.build.repo.fullName))
    problems.push(
      problem(
        action === "create" ? "template" : "name",
        "E_SETTING_REQUIRED",
        `${action}${action === "create" ? "" : " without vmid"} needs the build's repository (DRONE_REPO, owner/name): hangar marks its VMs with it and touches no other repository's (got "${context.build.repo.fullName}")`,
      ),
    );
  if (settings.wait_ssh && settings.wait_ip === false)
    problems.push(
      problem(
        "wait_ssh",
        "E_SETTING_CONFLICT",
        "needs wait_ip: the address SSH is awaited on is the one the guest agent reports",
      ),
    );
  if (settings.host_key && settings.wait_ip === false)
    problems.push(
      problem(
        "host_key",
        "E_SETTING_CONFLICT",
        "needs wait_ip: the host key is read through the guest agent once it answers",
      ),
    );
  if (["start", "stop"].includes(action) && settings.vmid === undefined && settings.name === undefined) {
    const recorded = recordedVms(context.outputs);
    if (recorded.length === 0)
      problems.push(
        problem(
          "vmid",
          "E_SETTING_REQUIRED",
          `${action} needs vmid or name (no create step of this build recorded VMs)`,
        ),
      );
  }
  return problems;
}

/**
 * The VMs a create step of this build recorded (`PROXMOX_VM_VMS`), from the outputs the kit
 * checked to come from this build.
 */
export function recordedVms(outputs: Readonly<Record<string, string>>): VmRecord[] {
  const raw = outputs.PROXMOX_VM_VMS;
  if (!raw) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  return parsed
    .filter((each): each is VmRecord => typeof each?.vmid === "number" && typeof each?.node === "string")
    .map((each) => ({ vmid: each.vmid, name: String(each.name ?? ""), node: each.node }));
}

export async function planVms(settings: Settings, context: Context): Promise<VmPlan> {
  const { build, log } = context;
  const action = settings.action;
  const rendered =
    action === "create" && settings.name === undefined
      ? renderTemplate(DEFAULT_NAME, contextVars(build), "name")
      : undefined;
  const base =
    settings.name ??
    (rendered !== undefined && settings.count > 1 ? slug(rendered, COUNT_BASE_MAX) : rendered);
  const names =
    base === undefined
      ? []
      : settings.count > 1 && action === "create"
        ? Array.from({ length: settings.count }, (_, i) => `${base}-${i + 1}`)
        : [base];
  const recorded =
    action !== "create" && action !== "reap" && settings.vmid === undefined && base === undefined
      ? recordedVms(context.outputs)
      : undefined;
  const fingerprint = settings.fingerprint ? normaliseFingerprint(settings.fingerprint) : undefined;
  if (settings.insecure && !fingerprint)
    log.warn(
      "insecure is on: the API's certificate is not checked, so the token could go to an impostor; prefer fingerprint or ca_cert",
    );
  const tags = [...new Set(["hangar", ...settings.tags.map((tag) => tag.toLowerCase())])];
  return {
    action,
    baseUrl: settings.url.replace(/\/+$/, "").replace(/\/api2\/json$/, ""),
    auth:
      settings.token_id !== undefined
        ? { kind: "token", tokenId: settings.token_id, secret: settings.token_secret ?? "" }
        : { kind: "password", username: settings.username ?? "", password: settings.password ?? "" },
    tls: {
      ca: settings.ca_cert ? await readCaCert(build.workspace, settings.ca_cert) : undefined,
      fingerprint,
      insecure: settings.insecure,
    },
    node: settings.node,
    template: settings.template,
    names,
    vmid: settings.vmid,
    recorded,
    full: settings.full_clone,
    storage: settings.storage,
    pool: settings.pool,
    config: {
      cores: settings.cores,
      memory: settings.memory,
      ciuser: settings.ciuser,
      // Proxmox decodes sshkeys once more after the form: percent-encode it first (spaces as %20).
      sshkeys: settings.sshkeys?.length
        ? encodeURIComponent(settings.sshkeys.map((key) => key.trim()).join("\n"))
        : undefined,
      ipconfig0: settings.ipconfig0,
      tags: tags.join(";"),
    },
    owner: {
      repo: build.repo.fullName,
      build: String(build.build.number ?? 0),
      link: build.build.link || undefined,
    },
    waitIp: settings.wait_ip,
    waitSsh: settings.wait_ssh,
    sshPort: settings.ssh_port,
    hostKey: settings.host_key,
    keepOnFailure: settings.keep_on_failure,
    timeoutMs: settings.timeout,
    ttlMs: settings.ttl,
  };
}

export function describePlan(plan: VmPlan): string {
  const auth =
    plan.auth.kind === "token" ? `API token ${plan.auth.tokenId}` : `password login as ${plan.auth.username}`;
  const tls = plan.tls.fingerprint
    ? `certificate pinned (${plan.tls.fingerprint})`
    : plan.tls.ca
      ? "verified against ca_cert"
      : plan.tls.insecure
        ? "certificate NOT verified (insecure)"
        : "verified against the system CAs";
  const lines = [`${plan.action} on ${plan.baseUrl} (${auth}; ${tls})`];
  if (plan.action === "create") {
    lines.push(
      `template: ${plan.template} (${plan.full ? "full clone" : "linked clone"}${plan.storage ? ` to ${plan.storage}` : ""})`,
      `node:     ${plan.node ?? "the template's"}`,
      `vms:      ${plan.names.join(", ")} (id ${plan.vmid ?? "allocated"})`,
      `config:   ${Object.entries(plan.config)
        .filter(([key, value]) => value !== undefined && key !== "sshkeys")
        .map(([key, value]) => `${key}=${value}`)
        .join(" ")}${plan.config.sshkeys ? " + ssh keys" : ""}`,
      `wait:     ${plan.waitIp ? `address from the guest agent${plan.waitSsh ? `, then SSH on port ${plan.sshPort}` : ""}${plan.hostKey ? ", then its SSH host key (agent file-read)" : ""}` : "nothing after the start"}, within ${Math.round(plan.timeoutMs / 1000)}s`,
      `failure:  ${plan.keepOnFailure ? "VMs kept (keep_on_failure)" : "every VM this run made is destroyed"}`,
    );
  } else if (plan.action === "reap")
    lines.push(
      `reap:     hangar VMs (tag and marker) older than ${Math.round(plan.ttlMs / 60_000)} min by the Proxmox clock (templates, and VMs without the marker, never)`,
    );
  else
    lines.push(
      `vms:      ${plan.vmid !== undefined ? `id ${plan.vmid}` : plan.names.length ? `named ${plan.names[0]} (and the -N siblings of its count run), of ${plan.owner.repo} only` : `recorded by an earlier step of this build: ${plan.recorded?.map((vm) => vm.vmid).join(", ") || "none"}, of ${plan.owner.repo} only`}`,
    );
  return lines.join("\n");
}
