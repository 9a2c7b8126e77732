import { type PlanContext, type SettingsOf, settings as s } from "@hangar/kit";
import * as z from "zod/mini";

/** Every setting of proxmox-vm. The names are the interface the pipelines use; keep them. */

export const ACTIONS = ["create", "destroy", "reap", "start", "stop"] as const;

const url = z.url({
  protocol: /^https?$/,
  error: "must be an https:// URL such as https://pve.example.com:8006",
});

export const proxmoxVmSettings = {
  url: s.string(url)({
    description: "The Proxmox VE API's address, e.g. `https://pve.example.com:8006`.",
    env: ["PROXMOX_URL"],
    required: true,
  }),
  token_id: s.string()({
    description: "API token id, `USER@REALM!TOKENID` (e.g. `drone@pve!ci`). Give it with `token_secret`.",
    env: ["PROXMOX_TOKEN_ID"],
  }),
  token_secret: s.secret({
    description: "The API token's secret (a UUID). Use `from_secret`.",
    env: ["PROXMOX_TOKEN_SECRET"],
  }),
  username: s.string()({
    description: "User for a password login (`ci@pve`), instead of a token. Give it with `password`.",
  }),
  password: s.secret({ description: "The user's password. Use `from_secret`." }),
  node: s.string()({ description: "Node the VMs run on.", defaultText: "the template's node" }),
  action: s.enum(ACTIONS)({
    description:
      "`create` VMs from `template`; `destroy` them (by `vmid`, by `name`, or the ones an earlier `create` step of this build recorded; by name or record only VMs hangar made for this repository); `reap` every hangar VM older than `ttl`; `start` or `stop` them.",
    default: "create",
  }),
  template: s.string()({
    description: "The template to clone: its VM id or its name. Required for `create`.",
  }),
  name: s.string()({
    description:
      "VM name; with `count` > 1 each VM gets `-1`, `-2`, … appended. Placeholders such as `{{ build.number }}` are rendered DNS-safe. For `destroy`, `start` and `stop`: that exact name (and the VMs of its `count` run), of this repository only.",
    defaultText: "`ci-{{ repo.owner }}-{{ repo.name }}-{{ build.number }}` for `create`",
    template: "name",
  }),
  vmid: s.integer({ min: 100, max: 999_999_999 })({
    description: "VM id to create (count 1 only), or to destroy, start or stop.",
    defaultText: "allocated: the next free id, safely against other builds doing the same",
  }),
  count: s.integer({ min: 1, max: 20 })({ description: "How many VMs to create, in parallel.", default: 1 }),
  full_clone: s.boolean({
    description:
      "A full copy of the disks instead of a linked clone (slower; needed when the source is not a template).",
    default: false,
  }),
  storage: s.string()({ description: "Storage for a full clone's disks.", defaultText: "the template's" }),
  pool: s.string()({ description: "Resource pool to add the VMs to." }),
  cores: s.integer({ min: 1, max: 512 })({ description: "CPU cores.", defaultText: "the template's" }),
  memory: s.integer({ min: 16 })({ description: "Memory in MiB.", defaultText: "the template's" }),
  ciuser: s.string()({ description: "cloud-init user.", defaultText: "the template's" }),
  sshkeys: s.list()({
    description: "Public SSH keys cloud-init installs for `ciuser`.",
    example: '["ssh-ed25519 AAAAC3Nza… ci@drone"]',
  }),
  ipconfig0: s.string()({
    description: "cloud-init network of net0: `ip=dhcp`, or `ip=10.0.0.5/24,gw=10.0.0.1`.",
    default: "ip=dhcp",
  }),
  tags: s.list()({
    description:
      "Tags for the VMs (lower-case); `hangar` is always added, which is what `reap` looks for (with hangar's marker in the description).",
    default: [],
  }),
  wait_ip: s.boolean({
    description: "Wait until the QEMU guest agent reports the VM's IPv4 address on net0.",
    default: true,
  }),
  wait_ssh: s.boolean({
    description:
      "Also wait until the VM's sshd answers at that address (its SSH banner, on `ssh_port`), for a next step that logs in.",
    default: false,
  }),
  ssh_port: s.integer({ min: 1, max: 65_535 })({
    description: "The port `wait_ssh` waits on: where the template's sshd listens.",
    default: 22,
  }),
  host_key: s.boolean({
    description:
      "Read the VM's SSH host key through the guest agent (`/etc/ssh/ssh_host_ed25519_key.pub`) and publish it with its fingerprint, so the step that logs in can pin it (`fingerprint: $${PROXMOX_VM_HOST_KEY_FINGERPRINT}`). Needs `VM.GuestAgent.FileRead` (`VM.Monitor` before Proxmox VE 9).",
    default: false,
  }),
  timeout: s.duration({ min: 1000 })({
    description:
      "Bounds the whole step: every API call, task, lock and address wait. On `create`, what was made is destroyed when it runs out.",
    default: 600_000,
  }),
  ttl: s.duration({ min: 60_000 })({
    description: "`reap` only: destroy hangar VMs created longer ago than this, by the Proxmox node's clock.",
    default: 86_400_000,
  }),
  keep_on_failure: s.boolean({
    description: "Leave the VMs of a failed `create` in place for a look (otherwise they are destroyed).",
    default: false,
  }),
  ca_cert: s.string()({
    description:
      "PEM certificate(s) to trust for the API (Proxmox's `pve-root-ca.pem`), inline or a workspace path.",
  }),
  fingerprint: s.string()({
    description:
      "SHA-256 fingerprint of the API's certificate as the GUI shows it (`AB:CD:…`, node → Certificates): pins that certificate.",
  }),
  insecure: s.boolean({
    description:
      "Accept any certificate (and plain http). Prints a warning; prefer `fingerprint` or `ca_cert`.",
    default: false,
  }),
};

export type ProxmoxVmSchema = typeof proxmoxVmSettings;
export type Settings = SettingsOf<ProxmoxVmSchema>;
export type Context = PlanContext<ProxmoxVmSchema>;
