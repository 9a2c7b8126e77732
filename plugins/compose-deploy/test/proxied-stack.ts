/**
 * A stack as users run it behind a reverse proxy: Debian's Caddy (its binary and libraries in an
 * image FROM scratch) publishes one loopback port and forwards to `web:8080`, resolving the name
 * through Compose's network on every connection and trying the next address on a refused one.
 * How long it tries a failed request again is the image's `retryWindow`: the tests use the 5 s
 * the docs recommend for Caddy; the bench bounds it as nginx's default is (`proxy_next_upstream
 * error timeout`: the other servers once each, at once, never waited on) with 300 ms, since a
 * proxy that holds requests for seconds would hide a recreate's gap. `web` is a static busybox httpd with a health check in the
 * compose file; `BOOT_SECONDS` makes it take that long to listen, as an app that loads before it
 * serves. Images are built locally (`pull: false`).
 */
import { randomBytes } from "node:crypto";
import { chmod, copyFile, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { findBinary, freePort, makeTempDir, requireServer, run } from "@hangar/testbed";
import { projectIds, removeProject } from "./stack.ts";

const docker = (...args: string[]) =>
  run("docker", args, { timeoutMs: 120_000, env: { ...process.env, DOCKER_BUILDKIT: "0" } });

const WEB_START = `#!/bin/busybox sh
/bin/busybox --install -s /bin
echo "web $APP_VERSION booting for ${"$"}{APP_BOOT_SECONDS:-0}s"
sleep "${"$"}{APP_BOOT_SECONDS:-0}"
echo "web $APP_VERSION listening on :8080 (health ${"$"}{APP_HEALTH:-ok})"
exec httpd -f -p 8080 -h /www
`;
// A health file the test can break in one running container: the canary that turns bad.
const WEB_HEALTH = `#!/bin/busybox sh
[ "${"$"}{APP_HEALTH:-ok}" = ok ] && [ ! -e /tmp/sick ] || { echo "health check fails on purpose"; exit 1; }
exec wget -q -O /dev/null http://127.0.0.1:8080/health
`;
const WEB_STATUS = `#!/bin/busybox sh
printf 'Content-Type: text/plain\\r\\n\\r\\nweb %s\\n' "$APP_VERSION"
`;
const WEB_DOCKERFILE = `FROM scratch
COPY busybox /bin/busybox
COPY app/ /app/
COPY www/ /www/
COPY tmp/ /tmp/
ARG VERSION
ARG APP_HEALTH=ok
ENV APP_VERSION=$VERSION APP_HEALTH=$APP_HEALTH
ENTRYPOINT ["/bin/busybox", "sh", "/app/start.sh"]
`;

const caddyfile = (retryWindow: string) => `{
	admin off
	auto_https off
}
:80 {
	reverse_proxy web:8080 {
		lb_try_duration ${retryWindow}
		lb_try_interval 100ms
	}
}
`;

export const PROXIED_VERSIONS = { v1: {}, v2: {}, v3: { APP_HEALTH: "fail" } } as const;
export type ProxiedVersion = keyof typeof PROXIED_VERSIONS;

/** Debian's caddy, and the shared libraries it loads (from ldd), for an image FROM scratch. */
export async function caddyFiles(): Promise<string[] | undefined> {
  return requireServer("Debian's caddy for the proxy image", async () => {
    const binary = findBinary("the proxy image", "caddy", "caddy");
    const { stdout } = await run("ldd", [binary], { timeoutMs: 10_000 }).catch(() => ({ stdout: "" }));
    const libraries = [...stdout.matchAll(/(\/\S+)\s+\(0x/g)].map((match) => match[1] as string);
    return [binary, ...libraries];
  });
}

export interface ProxiedImages {
  prefix: string;
  remove(): Promise<void>;
}

async function copyInto(root: string, file: string): Promise<void> {
  const destination = path.join(root, file);
  await mkdir(path.dirname(destination), { recursive: true });
  await copyFile(file, destination);
}

/** Builds `<prefix>/proxy:1` and `<prefix>/web:<version>` locally. */
export async function buildProxiedImages(
  busybox: string,
  caddy: readonly string[],
  retryWindow = "5s",
): Promise<ProxiedImages> {
  const prefix = `hangar-proxied-${randomBytes(3).toString("hex")}`;
  const tags: string[] = [];
  const context = await makeTempDir("proxied-images");
  try {
    const proxy = path.join(context.path, "proxy");
    for (const file of caddy) await copyInto(proxy, file);
    for (const dir of ["data", "config"]) await mkdir(path.join(proxy, dir));
    await writeFile(path.join(proxy, "Caddyfile"), caddyfile(retryWindow));
    const [binary = "/usr/bin/caddy"] = caddy;
    await writeFile(
      path.join(proxy, "Dockerfile"),
      `FROM scratch
COPY / /
ENV XDG_DATA_HOME=/data XDG_CONFIG_HOME=/config HOME=/data
ENTRYPOINT ["${binary}", "run", "--config", "/Caddyfile", "--adapter", "caddyfile"]
`,
    );
    await docker("build", "-q", "-t", `${prefix}/proxy:1`, proxy);
    tags.push(`${prefix}/proxy:1`);

    const web = path.join(context.path, "web");
    await mkdir(path.join(web, "app"), { recursive: true });
    await mkdir(path.join(web, "www", "cgi-bin"), { recursive: true });
    await mkdir(path.join(web, "tmp"));
    await copyFile(busybox, path.join(web, "busybox"));
    await writeFile(path.join(web, "app", "start.sh"), WEB_START);
    await writeFile(path.join(web, "app", "health.sh"), WEB_HEALTH);
    await writeFile(path.join(web, "www", "health"), "ok\n");
    await writeFile(path.join(web, "www", "cgi-bin", "status"), WEB_STATUS);
    await chmod(path.join(web, "www", "cgi-bin", "status"), 0o755);
    await writeFile(path.join(web, "Dockerfile"), WEB_DOCKERFILE);
    for (const [version, args] of Object.entries(PROXIED_VERSIONS)) {
      const buildArgs = Object.entries({ VERSION: version, ...args }).flatMap(([name, value]) => [
        "--build-arg",
        `${name}=${value}`,
      ]);
      await docker("build", "-q", ...buildArgs, "-t", `${prefix}/web:${version}`, web);
      tags.push(`${prefix}/web:${version}`);
    }
  } finally {
    await context.remove();
  }
  return {
    prefix,
    async remove() {
      await docker("image", "rm", "--force", ...tags).catch(() => undefined);
    },
  };
}

/**
 * `web` runs two replicas; `proxy` publishes a fixed loopback port, so a rollout recreates it.
 * `init: true` passes `docker stop`'s SIGTERM on to httpd.
 */
export const PROXIED_COMPOSE = `services:
  proxy:
    image: \${IMAGES}/proxy:1
    init: true
    ports:
      - "127.0.0.1:\${PROXY_PORT}:80"
  web:
    image: \${IMAGES}/web:\${IMAGE_TAG}
    init: true
    scale: 2
    environment:
      APP_BOOT_SECONDS: \${BOOT_SECONDS:-0}
    healthcheck:
      test: ["CMD", "/bin/busybox", "sh", "/app/health.sh"]
      interval: 1s
      timeout: 10s
      retries: 2
      start_period: \${START_PERIOD:-0s}
`;

export async function writeProxiedStack(workspace: string, file = "deploy/compose.yml"): Promise<string> {
  await mkdir(path.dirname(path.join(workspace, file)), { recursive: true });
  await writeFile(path.join(workspace, file), PROXIED_COMPOSE);
  return file;
}

export async function proxyPort(): Promise<number> {
  return freePort();
}

/**
 * The `env` setting for a version of the proxied stack; `bootSeconds` before `web` listens, and a
 * health check start period that covers it (failed checks while it boots do not count).
 */
export function proxiedEnv(
  images: ProxiedImages,
  port: number,
  version: ProxiedVersion,
  bootSeconds = 0,
): string {
  return JSON.stringify({
    IMAGES: images.prefix,
    IMAGE_TAG: version,
    PROXY_PORT: String(port),
    BOOT_SECONDS: String(bootSeconds),
    START_PERIOD: `${bootSeconds * 3}s`,
  });
}

export async function proxiedAnswer(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/cgi-bin/status`, {
    signal: AbortSignal.timeout(5_000),
  });
  return `${response.status} ${(await response.text()).trim()}`;
}

/** A steady load through the proxy: `rate` requests a second until stopped; each failure is kept. */
export interface Load {
  stop(): Promise<{ sent: number; failed: number; failures: string[]; answers: Set<string> }>;
}

export function steadyLoad(port: number, rate = 20): Load {
  let running = true;
  let sent = 0;
  const failures: string[] = [];
  const answers = new Set<string>();
  const inFlight = new Set<Promise<void>>();
  const one = async () => {
    sent++;
    try {
      const response = await fetch(`http://127.0.0.1:${port}/cgi-bin/status`, {
        signal: AbortSignal.timeout(10_000),
      });
      const text = (await response.text()).trim();
      if (response.status === 200) answers.add(text);
      else failures.push(`${response.status} ${text.slice(0, 80)}`);
    } catch (error) {
      failures.push((error as Error).message);
    }
  };
  const loop = (async () => {
    const started = Date.now();
    while (running) {
      const request = one();
      inFlight.add(request);
      void request.finally(() => inFlight.delete(request));
      await sleep(Math.max(0, started + (sent * 1000) / rate - Date.now()));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      await Promise.all(inFlight);
      return { sent, failed: failures.length, failures, answers };
    },
  };
}

/** The ids of a service's running containers. */
export const serviceIds = (project: string, service: string): Promise<string[]> =>
  projectIds(project, { service });

/** Removes a project's containers and its network. */
export const removeProxiedProject = removeProject;
