import { type CapturedRun, runCaptured } from "@hangar/kit";
import {
  droneEnv as buildEnv,
  createTlsCertificate,
  type ProxmoxStandIn,
  type ProxmoxStandInOptions,
  perTest,
  readStepOutputs,
  startProxmoxStandIn,
  type TestHooks,
  type TlsCertificate,
  type WorkspaceOptions,
  waitUntil,
} from "@hangar/testbed";
import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";
import { proxmoxVm } from "../src/plugin.ts";

/** The step's settings and build over the defaults below; `undefined` leaves one out. */
export type Overrides = Record<string, string | undefined>;

/** A Drone push build of acme/calchat, the plugin pointed at the stand-in with its token. */
export function droneEnv(pve: ProxmoxStandIn, overrides: Overrides = {}): Record<string, string> {
  const env = buildEnv(
    {
      repo: "acme/calchat",
      build: 42,
      link: "https://drone.example.com/acme/calchat/42",
      sha: "0123456789abcdef0123456789abcdef01234567",
    },
    {
      // DRONE_BRANCH alone, so that a test's DRONE_BRANCH is the build's branch.
      DRONE_BRANCH: "main",
      PLUGIN_URL: pve.url,
      PLUGIN_INSECURE: pve.url.startsWith("http://") ? "true" : "false",
      PLUGIN_TOKEN_ID: pve.tokenId,
      PLUGIN_TOKEN_SECRET: pve.tokenSecret,
      PLUGIN_TEMPLATE: "9000",
    },
  );
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

export const runProxmoxVm = (env: Record<string, string>, workspace: string): Promise<CapturedRun> =>
  runCaptured(proxmoxVm, env, workspace);

/** The plugin in this process with a cancel signal the test controls. */
const runCancellable = (
  env: Record<string, string>,
  workspace: string,
  signal: AbortSignal,
): Promise<CapturedRun> => runCaptured(proxmoxVm, env, workspace, { signal, cancelGraceMs: 8000 });

/** What a test's stand-in and workspace give it: the plugin run against them, settings on top. */
function runsOn(bed: { readonly pve: ProxmoxStandIn; readonly workspace: { readonly dir: string } }) {
  return {
    run: (overrides: Overrides = {}) => runProxmoxVm(droneEnv(bed.pve, overrides), bed.workspace.dir),
    /**
     * The same, cancelled (the runner's SIGTERM) once `ready` holds; `cancelledAt` says when, for
     * how long the step took to stop.
     */
    async runCancelledWhen(overrides: Overrides, what: string, ready: () => boolean) {
      const cancel = new AbortController();
      const running = runCancellable(droneEnv(bed.pve, overrides), bed.workspace.dir, cancel.signal);
      await waitUntil(what, ready, { timeoutMs: 60_000, intervalMs: 20 });
      const cancelledAt = Date.now();
      cancel.abort(new Error("the step was cancelled"));
      return { ...(await running), cancelledAt };
    },
  };
}

/**
 * The Proxmox stand-in and a workspace for each test (or, with `hooks: { beforeEach: beforeAll,
 * afterEach: afterAll }`, for the whole file); `options` is read when the stand-in starts.
 */
export function perTestPve(
  options: () => ProxmoxStandInOptions = () => FAST,
  {
    start = startProxmoxStandIn,
    hooks = { beforeEach, afterEach },
    workspace,
  }: { start?: typeof startProxmoxStandIn; hooks?: TestHooks; workspace?: WorkspaceOptions } = {},
) {
  let pve: ProxmoxStandIn;
  const bed = perTest({
    purpose: "proxmox-vm",
    workspace,
    hooks,
    start: (other?: () => Promise<ProxmoxStandIn>) => (other ? other() : start(options())),
  });
  hooks.beforeEach(async () => {
    pve = await bed.start();
  });
  const self = {
    get pve() {
      return pve;
    },
    workspace: bed.workspace,
    /** Stops the test's stand-in and goes on with `other` (stopped after the test in its turn). */
    async replace(other: () => Promise<ProxmoxStandIn>) {
      await pve.stop();
      pve = await bed.start(other);
    },
  };
  return Object.assign(self, runsOn(self));
}

/** The same over HTTPS, for the whole file: the stand-in's certificate is one the test made. */
export function tlsPve() {
  let certificate: TlsCertificate;
  beforeAll(async () => {
    certificate = await createTlsCertificate();
  });
  afterAll(() => certificate.remove());
  const bed = perTestPve(() => ({ ...FAST, tls: certificate }), {
    hooks: { beforeEach: beforeAll, afterEach: afterAll },
  });
  return {
    ...runsOn(bed),
    get pve() {
      return bed.pve;
    },
    workspace: bed.workspace,
    get certificate() {
      return certificate;
    },
  };
}

/** The pipeline's clean-up step (`when: status: [success, failure]`) after the build of `env` failed. */
export const cleanupStep = (env: Record<string, string>) => ({
  ...env,
  PLUGIN_ACTION: "destroy",
  DRONE_BUILD_STATUS: "failure",
});

/** What the steps left for later steps in `workspace`. */
export const outputs = readStepOutputs;

/** The clones (not templates) the stand-in holds. */
export const clones = (pve: ProxmoxStandIn) => pve.vms().filter((vm) => !vm.template);

/** Fast tasks for most tests; the bench uses realistic ones. */
export const FAST = {
  taskMs: { qmclone: 60, qmstart: 30, qmstop: 20, qmdestroy: 20 },
  agentDelayMs: 50,
} as const;

/**
 * The description proxmox-vm gives a VM it made: its marker names the repository and build,
 * the time of the clone (Proxmox's clock, ms ago) and the name of its count run.
 */
export function madeBy(repo: string, build: number, group: string, agoMs = 0): string {
  const created = Math.floor((Date.now() - agoMs) / 1000);
  return `Made by hangar (proxmox-vm) for ${repo} build ${build}\nhangar: repo=${repo} build=${build} created=${created} group=${group}`;
}
