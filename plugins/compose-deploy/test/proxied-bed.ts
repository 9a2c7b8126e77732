/**
 * What a file of tests through the proxied stack shares: the images, a workspace holding the
 * stack's compose file, a target folder and the proxy's port, made before the file's tests and
 * removed after them with the compose project; and the settings of a rollout deploy of a build.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { type Sshd, testbed, type Workspace } from "@hangar/testbed";
import { afterAll, beforeAll } from "vitest";
import { droneEnv, sshSettings, tempDir } from "./helpers.ts";
import {
  buildProxiedImages,
  caddyFiles,
  PROXIED_COMPOSE,
  type ProxiedImages,
  proxyPort,
  removeProxiedProject,
} from "./proxied-stack.ts";
import { staticBusybox } from "./stack.ts";

/** The commit of build `n` (`0000000naaaa…`), so its release is `n-0000000n`. */
export const commitOf = (build: number) =>
  `${String(build).padStart(8, "0")}aaaabbbbccccddddeeeeffff00001111`;
export const releaseOf = (build: number) => `${build}-${String(build).padStart(8, "0")}`;

export interface ProxiedBed {
  readonly images: ProxiedImages;
  readonly workspace: Workspace;
  readonly target: Workspace;
  readonly port: number;
  /** Writes a compose file into the workspace (relative to it). */
  writeCompose(file: string, content: string): Promise<void>;
  /** A `update: rollout` deploy of `build` of the project, `composeEnv` its `env` setting. */
  env(build: number, composeEnv: string, extra?: Record<string, string>): Record<string, string>;
}

export interface ProxiedTools {
  sshd: Sshd;
  busybox: string;
  caddy: string[];
}

/** Docker Engine, an sshd, a static busybox and Debian's Caddy; undefined when one is missing. */
export async function proxiedTools(): Promise<ProxiedTools | undefined> {
  const docker = await testbed.docker();
  const sshd = docker ? await testbed.sshd() : undefined;
  const busybox = sshd ? await staticBusybox() : undefined;
  const caddy = busybox ? await caddyFiles() : undefined;
  return sshd && busybox && caddy ? { sshd, busybox, caddy } : undefined;
}

export function proxiedBed(
  purpose: string,
  project: string,
  found: ProxiedTools | undefined,
  compose = PROXIED_COMPOSE,
): ProxiedBed {
  const tools = () => found as ProxiedTools;
  let made: { images: ProxiedImages; workspace: Workspace; target: Workspace; port: number } | undefined;
  const get = () => {
    if (!made) throw new Error("the proxied stack exists only while the file's tests run");
    return made;
  };
  const writeCompose = async (file: string, content: string) => {
    const absolute = path.join(get().workspace.dir, file);
    await mkdir(path.dirname(absolute), { recursive: true });
    await writeFile(absolute, content);
  };
  beforeAll(async () => {
    const { busybox, caddy } = tools();
    made = {
      images: await buildProxiedImages(busybox, caddy),
      workspace: await tempDir(purpose),
      target: await tempDir(`${purpose}-target`),
      port: await proxyPort(),
    };
    await writeCompose("deploy/compose.yml", compose);
  }, 180_000);
  afterAll(async () => {
    await removeProxiedProject(project);
    await made?.images.remove();
    await made?.workspace.remove();
    await made?.target.remove();
    await tools().sshd.stop();
  });
  return {
    get images() {
      return get().images;
    },
    get workspace() {
      return get().workspace;
    },
    get target() {
      return get().target;
    },
    get port() {
      return get().port;
    },
    writeCompose,
    env: (build, composeEnv, extra = {}) =>
      droneEnv({
        ...sshSettings(tools().sshd),
        DRONE_BUILD_NUMBER: String(build),
        DRONE_COMMIT_SHA: commitOf(build),
        PLUGIN_PROJECT: project,
        PLUGIN_TARGET: get().target.dir,
        PLUGIN_COMPOSE_FILES: "deploy/compose.yml",
        PLUGIN_ENV: composeEnv,
        PLUGIN_PULL: "false",
        PLUGIN_UPDATE: "rollout",
        PLUGIN_DRAIN: "1s",
        PLUGIN_WAIT_TIMEOUT: "30s",
        ...extra,
      }),
  };
}
