/**
 * The test stack: two services (`web`, `api`) from images in the test bed's registry, each a
 * static busybox serving HTTP on the port in $PORT, with a Docker health check. Versions differ
 * by what is baked into the image: `v1` and `v2` are good, `unhealthy` fails its health check,
 * `status500` is healthy but its /cgi-bin/status answers 500.
 */
import { randomBytes } from "node:crypto";
import { chmod, copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  findBinary,
  freePort,
  makeTempDir,
  type Registry,
  requireServer,
  run,
  tempWorkspace,
  type Workspace,
} from "@hangar/testbed";
import { afterAll, beforeAll } from "vitest";

export const VERSIONS = {
  v1: {},
  v2: {},
  unhealthy: { APP_HEALTH: "fail" },
  status500: { APP_STATUS: "500" },
} as const;
export type Version = keyof typeof VERSIONS;

const START = `#!/bin/busybox sh
/bin/busybox --install -s /bin
echo "$ROLE $APP_VERSION listening on 127.0.0.1:$PORT (health ${"$"}{APP_HEALTH:-ok}, status ${"$"}{APP_STATUS:-200})"
# An app that logs its secret, as apps do: the plugin shows these logs when a deploy fails.
[ -z "${"$"}{DB_PASSWORD:-}" ] || echo "db password $DB_PASSWORD"
exec httpd -f -p "127.0.0.1:$PORT" -h /www
`;
const HEALTH = `#!/bin/busybox sh
[ "${"$"}{APP_HEALTH:-ok}" = ok ] || { echo "health check fails on purpose"; exit 1; }
exec wget -q -O /dev/null "http://127.0.0.1:$PORT/health"
`;
const STATUS = `#!/bin/busybox sh
code="${"$"}{APP_STATUS:-200}"
case "$code" in 200) reason=OK ;; *) reason="Internal Server Error" ;; esac
printf 'Status: %s %s\\r\\nContent-Type: text/plain\\r\\n\\r\\n%s %s\\n' "$code" "$reason" "$ROLE" "$APP_VERSION"
`;
const DOCKERFILE = `FROM scratch
COPY busybox /bin/busybox
COPY app/ /app/
COPY www/ /www/
ARG VERSION
ARG APP_HEALTH=ok
ARG APP_STATUS=200
ENV APP_VERSION=$VERSION APP_HEALTH=$APP_HEALTH APP_STATUS=$APP_STATUS ROLE=app PORT=8080
HEALTHCHECK --interval=1s --timeout=3s --retries=2 CMD ["/bin/busybox", "sh", "/app/health.sh"]
ENTRYPOINT ["/bin/busybox", "sh", "/app/start.sh"]
`;

/** Debian's busybox-static: one static binary, so a test image needs no base image. */
export async function staticBusybox(): Promise<string | undefined> {
  return requireServer("a static busybox for the test images", async () => {
    const binary = findBinary("test images", "busybox", "busybox-static");
    const bytes = await readFile(binary);
    if (bytes.includes("/lib64/ld-linux") || bytes.includes("/lib/ld-linux")) {
      throw new Error(`${binary} is linked dynamically; install busybox-static`);
    }
    return binary;
  });
}

export interface TestImages {
  /** `127.0.0.1:PORT/hangar-test-<id>`: the prefix of `web` and `api`. */
  prefix: string;
  tags: readonly string[];
  remove(): Promise<void>;
}

const docker = (...args: string[]) =>
  run("docker", args, { timeoutMs: 120_000, env: { ...process.env, DOCKER_BUILDKIT: "0" } });

/** Builds every version of web and api, pushes them, and drops them locally so a deploy really pulls. */
export async function pushTestImages(registry: Registry, busybox: string): Promise<TestImages> {
  const prefix = `${registry.host}/hangar-test-${randomBytes(3).toString("hex")}`;
  const context = await makeTempDir("compose-images");
  const tags: string[] = [];
  try {
    await mkdir(path.join(context.path, "app"));
    await mkdir(path.join(context.path, "www", "cgi-bin"), { recursive: true });
    await copyFile(busybox, path.join(context.path, "busybox"));
    await writeFile(path.join(context.path, "app", "start.sh"), START);
    await writeFile(path.join(context.path, "app", "health.sh"), HEALTH);
    await writeFile(path.join(context.path, "www", "health"), "ok\n");
    await writeFile(path.join(context.path, "www", "cgi-bin", "status"), STATUS);
    await chmod(path.join(context.path, "www", "cgi-bin", "status"), 0o755);
    await writeFile(path.join(context.path, "Dockerfile"), DOCKERFILE);
    for (const [version, args] of Object.entries(VERSIONS)) {
      const buildArgs = Object.entries({ VERSION: version, ...args }).flatMap(([name, value]) => [
        "--build-arg",
        `${name}=${value}`,
      ]);
      const web = `${prefix}/web:${version}`;
      const api = `${prefix}/api:${version}`;
      await docker("build", "-q", ...buildArgs, "-t", web, context.path);
      await docker("tag", web, api);
      tags.push(web, api);
    }
    for (const tag of tags) await docker("push", tag);
    await docker("image", "rm", ...tags);
  } finally {
    await context.remove();
  }
  return {
    prefix,
    tags,
    async remove() {
      await docker("image", "rm", "--force", ...tags).catch(() => undefined);
    },
  };
}

/**
 * The compose file of the test stack; `${IMAGE_TAG}` and the ports come from the plugin's `.env`.
 * `init: true`: httpd as pid 1 would ignore SIGTERM, and each recreate would wait 10 s for the kill.
 */
export const COMPOSE_FILE = `services:
  web:
    image: \${IMAGES}/web:\${IMAGE_TAG}
    network_mode: host
    init: true
    environment:
      ROLE: web
      PORT: \${WEB_PORT}
  api:
    image: \${IMAGES}/api:\${IMAGE_TAG}
    network_mode: host
    init: true
    environment:
      ROLE: api
      PORT: \${API_PORT}
      DB_PASSWORD: \${DB_PASSWORD:-}
`;

export interface StackPorts {
  web: number;
  api: number;
}

export async function stackPorts(): Promise<StackPorts> {
  return { web: await freePort(), api: await freePort() };
}

/** The `env` setting for a version of the stack. */
export function stackEnv(images: TestImages, ports: StackPorts, version: Version): string {
  return JSON.stringify({
    IMAGES: images.prefix,
    IMAGE_TAG: version,
    WEB_PORT: String(ports.web),
    API_PORT: String(ports.api),
  });
}

export async function writeStack(workspace: string, file = "deploy/compose.yml"): Promise<string> {
  await mkdir(path.dirname(path.join(workspace, file)), { recursive: true });
  await writeFile(path.join(workspace, file), COMPOSE_FILE);
  return file;
}

/** What the web service answers right now, from the test (not through the plugin). */
export async function webAnswer(ports: StackPorts): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${ports.web}/cgi-bin/status`, {
    signal: AbortSignal.timeout(5_000),
  });
  return `${response.status} ${(await response.text()).trim()}`;
}

/** The ids of a project's containers (of one service), running ones unless `all`. */
export async function projectIds(
  project: string,
  options: { service?: string; all?: boolean } = {},
): Promise<string[]> {
  const service = options.service ? ["--filter", `label=com.docker.compose.service=${options.service}`] : [];
  const all = options.all ? ["-a"] : [];
  const { stdout } = await docker(
    "ps",
    ...all,
    "-q",
    "--no-trunc",
    "--filter",
    `label=com.docker.compose.project=${project}`,
    ...service,
  );
  return stdout.split(/\s+/).filter(Boolean);
}

/** Stops and removes a project's containers (and its default network and named volumes). */
export async function removeProject(project: string): Promise<void> {
  const ids = await projectIds(project, { all: true });
  if (ids.length > 0) await docker("rm", "--force", "--volumes", ...ids).catch(() => undefined);
  await docker("network", "rm", `${project}_default`).catch(() => undefined);
}

/** The images a project's containers run, by service. */
export async function runningImages(project: string): Promise<Record<string, string>> {
  const { stdout } = await docker(
    "ps",
    "--filter",
    `label=com.docker.compose.project=${project}`,
    "--format",
    '{{.Label "com.docker.compose.service"}} {{.Image}}',
  );
  return Object.fromEntries(
    stdout
      .split("\n")
      .filter(Boolean)
      .map((line) => line.split(" ") as [string, string]),
  );
}

/** The environment of a service's container, as Docker has it. */
export async function containerEnv(project: string, service: string): Promise<string[]> {
  const [id = ""] = await projectIds(project, { service });
  const inspected = await docker("inspect", "--format", "{{json .Config.Env}}", id);
  return JSON.parse(inspected.stdout) as string[];
}

/**
 * What a file of stack tests shares: the test images pushed to `servers.registry`, a workspace
 * holding the stack's compose file and a target folder; after the file's tests, the compose
 * projects named `projects` are removed with them, and the servers in `stop` are stopped.
 */
export function stackBed(
  purpose: string,
  servers: {
    registry: Registry | undefined;
    busybox: string | undefined;
    stop?: readonly ({ stop(): Promise<unknown> } | undefined)[];
  },
  options: { composeFile?: string; worldWritable?: boolean; projects?: string[] } = {},
) {
  const registry = () => servers.registry as Registry;
  let images: TestImages | undefined;
  let ports: StackPorts | undefined;
  let workspace: Workspace | undefined;
  let target: Workspace | undefined;
  const dirOf = (folder: () => Workspace | undefined) => ({
    get dir(): string {
      const made = folder();
      if (!made) throw new Error("the stack's folders exist only while the file's tests run");
      return made.dir;
    },
  });
  beforeAll(async () => {
    images = await pushTestImages(registry(), servers.busybox as string);
    workspace = await tempWorkspace(`compose-deploy-${purpose}-workspace`, {
      worldWritable: options.worldWritable,
    });
    target = await tempWorkspace(`compose-deploy-${purpose}-target`);
    ports = await stackPorts();
    await writeStack(workspace.dir, options.composeFile);
  }, 300_000);
  afterAll(async () => {
    for (const project of options.projects ?? []) await removeProject(project);
    await images?.remove();
    await workspace?.remove();
    await target?.remove();
    await Promise.all((servers.stop ?? []).map((server) => server?.stop()));
  });
  return {
    get images(): TestImages {
      if (!images) throw new Error("the test images are pushed only while the file's tests run");
      return images;
    },
    get ports(): StackPorts {
      if (!ports) throw new Error("the stack's ports are chosen only while the file's tests run");
      return ports;
    },
    workspace: dirOf(() => workspace),
    target: dirOf(() => target),
    /** The settings that deploy the stack's `version` as `project`, pulling as `ci` with `password`. */
    settings(project: string, version: Version, password: string): Record<string, string> {
      const chosen = this.ports;
      return {
        PLUGIN_PROJECT: project,
        PLUGIN_TARGET: dirOf(() => target).dir,
        PLUGIN_COMPOSE_FILES: "deploy/compose.yml",
        PLUGIN_ENV: stackEnv(this.images, chosen, version),
        PLUGIN_REGISTRY: registry().host,
        PLUGIN_REGISTRY_USERNAME: "ci",
        PLUGIN_REGISTRY_PASSWORD: password,
        PLUGIN_VERIFY_URL: `http://127.0.0.1:${chosen.web}/cgi-bin/status`,
      };
    },
  };
}
