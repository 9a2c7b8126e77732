/**
 * Deploy wall time: compose-deploy's bundle (`node index.mjs`, as its image runs it) against the
 * same deploy done by hand the way pipelines glue it together, one `ssh`/`scp` command per step:
 * mkdir, scp the compose file and .env, docker login, pull, up, wait for the health checks, curl
 * the status URL, switch the `current` link. Both deploy the test stack (two services from a
 * registry on loopback, with health checks) to the test bed's sshd, alternating two image tags so
 * each deploy really recreates the containers; the runs are interleaved. The second row counts
 * the SSH logins each way opens per deploy, from the sshd's log.
 *
 * Needs what compose-deploy's tests need (sshd, Docker Engine, docker-compose, docker-registry,
 * busybox-static); a missing piece makes the rows SKIP.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  ensureDockerEngine,
  findBinary,
  makeTempDir,
  type Registry,
  type Sshd,
  startRegistry,
  startSshd,
} from "@hangar/testbed";
import {
  buildProxiedImages,
  caddyFiles,
  type ProxiedVersion,
  proxiedEnv,
  proxyPort,
  removeProxiedProject,
  steadyLoad,
  writeProxiedStack,
} from "../plugins/compose-deploy/test/proxied-stack.ts";
import {
  pushTestImages,
  removeProject,
  stackEnv,
  stackPorts,
  writeStack,
} from "../plugins/compose-deploy/test/stack.ts";
import { type Bench, type BenchContext, bundlePath, median, type Row, run, tail, verdict } from "./lib.ts";

const TARGET_RATIO = 1.2;
const TARGET_CONNECTIONS = 1;
const PLUGIN = "compose-deploy";
/** Each deploy takes seconds; a handful of interleaved rounds is enough for a median. */
const MAX_RUNS = 4;

/** The deploy as people write it with drone-ssh/drone-scp or a shell step: one login per command. */
const BY_HAND = String.raw`set -euo pipefail
ssh() { command ssh "${"$"}{SSH_ARGS[@]}" "$@"; }
SSH_ARGS=(-F /dev/null -p "$PORT" -i "$KEY" -o UserKnownHostsFile="$KNOWN_HOSTS" -o StrictHostKeyChecking=yes -o BatchMode=yes -o LogLevel=ERROR "$USER_AT")
rel="$TARGET/releases/$RELEASE"
ssh "mkdir -p '$rel/deploy'"
scp -q -F /dev/null -P "$PORT" -i "$KEY" -o UserKnownHostsFile="$KNOWN_HOSTS" -o StrictHostKeyChecking=yes -o BatchMode=yes \
  "$WORKSPACE/deploy/compose.yml" "$WORKSPACE/deploy/.env" "$USER_AT:$rel/deploy/"
export DOCKER_CONFIG="$TARGET/.docker"
printf '%s\n' "$REGISTRY_PASSWORD" | ssh "DOCKER_CONFIG='$DOCKER_CONFIG' docker login --username ci --password-stdin '$REGISTRY' >/dev/null"
compose="docker-compose -p '$PROJECT' -f '$rel/deploy/compose.yml' --env-file '$rel/deploy/.env'"
ssh "DOCKER_CONFIG='$DOCKER_CONFIG' $compose pull -q"
ssh "$compose up -d --remove-orphans"
ssh "ids=\$($compose ps -q) && for i in \$(seq 240); do
  s=\$(docker inspect -f '{{.State.Health.Status}}' \$ids) || exit 1
  case \"\$s\" in *unhealthy*) exit 1 ;; *starting*) sleep 0.5 ;; *) exit 0 ;; esac
done; exit 1"
ssh "for i in \$(seq 12); do [ \"\$(curl -s -o /dev/null -w '%{http_code}' '$VERIFY_URL')\" = 200 ] && exit 0; sleep 5; done; exit 1"
ssh "ln -sfn 'releases/$RELEASE' '$TARGET/current'"
`;

interface Subject {
  name: string;
  times: number[];
  logins: number[];
  deploy(round: number): Promise<{ ok: boolean; detail: string }>;
}

const logins = (sshd: Sshd) => sshd.logs().match(/Accepted publickey for /g)?.length ?? 0;
const ms = (n: number) => `${(n / 1000).toFixed(2)} s`;

/**
 * What both rows need of the test bed: docker-compose, a static busybox, Docker Engine and an
 * sshd, then `more` of their own. A missing piece is the note of a SKIP row.
 */
async function testBed<T>(
  name: string,
  more: (busybox: string) => Promise<T>,
): Promise<{ sshd: Sshd; more: T; workspace: TempDir; target: TempDir } | string> {
  let sshd: Sshd | undefined;
  try {
    findBinary("bench", "docker-compose", "docker-compose");
    const busybox = findBinary("bench", "busybox", "busybox-static");
    await ensureDockerEngine();
    sshd = await startSshd();
    const made = await more(busybox);
    const folders = {
      workspace: await makeTempDir(`${name}-workspace`),
      target: await makeTempDir(`${name}-target`),
    };
    return { sshd, more: made, ...folders };
  } catch (error) {
    await sshd?.stop();
    return `test bed not available: ${error instanceof Error ? error.message.split("\n")[0] : error}`;
  }
}

type TempDir = Awaited<ReturnType<typeof makeTempDir>>;

/** The bundle's environment for a deploy of `build` of acme/shop to the test bed's sshd. */
function bundleEnv(
  server: Sshd,
  home: string,
  build: number,
  commit: string,
  settings: Record<string, string>,
): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    DRONE: "true",
    DRONE_REPO: "acme/shop",
    DRONE_BUILD_NUMBER: String(build),
    DRONE_COMMIT_SHA: commit,
    PLUGIN_HOST: `${server.host}:${server.port}`,
    PLUGIN_USERNAME: server.username,
    PLUGIN_KEY: server.privateKey,
    PLUGIN_FINGERPRINT: server.hostKeyFingerprint,
    PLUGIN_COMPOSE_FILES: "deploy/compose.yml",
    ...settings,
  };
}

export const composeDeploy: Bench = {
  name: "compose-deploy",
  title: `Deploy wall time: compose-deploy vs the same steps by hand with ssh + scp, target ≤ ${TARGET_RATIO}×; SSH connections per host, target ${TARGET_CONNECTIONS}`,
  async run(ctx: BenchContext): Promise<Row[]> {
    const skip = (note: string): Row[] => [
      { subject: PLUGIN, measured: "-", baseline: "-", target: `≤ ${TARGET_RATIO}×`, verdict: "SKIP", note },
    ];
    if (!ctx.plugins.includes(PLUGIN)) return skip(`no bundle plugins/${PLUGIN}/dist/index.mjs`);
    let registry: Registry | undefined;
    const bed = await testBed("bench-deploy", async (busybox) => {
      registry = await startRegistry();
      ctx.progress("compose-deploy: building and pushing the test images");
      return pushTestImages(registry, busybox);
    });
    if (typeof bed === "string") {
      await registry?.stop();
      return skip(bed);
    }
    const { sshd: server, more: stack, workspace, target } = bed;
    const projects = { plugin: `bench-plugin-${process.pid}`, hand: `bench-hand-${process.pid}` };
    try {
      await writeStack(workspace.path);
      const host = (registry as Registry | undefined)?.host ?? "";
      const portsFor = { plugin: await stackPorts(), hand: await stackPorts() };
      const version = (round: number) => (round % 2 === 0 ? "v1" : "v2");

      const plugin: Subject = {
        name: PLUGIN,
        times: [],
        logins: [],
        deploy: async (round) => {
          const env = bundleEnv(
            server,
            workspace.path,
            round + 1,
            "5e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d",
            {
              PLUGIN_PROJECT: projects.plugin,
              PLUGIN_TARGET: join(target.path, "plugin"),
              PLUGIN_ENV: stackEnv(stack, portsFor.plugin, version(round)),
              PLUGIN_REGISTRY: host,
              PLUGIN_REGISTRY_USERNAME: "ci",
              PLUGIN_REGISTRY_PASSWORD: "bench-password",
              PLUGIN_VERIFY_URL: `http://127.0.0.1:${portsFor.plugin.web}/cgi-bin/status`,
            },
          );
          const r = await run(process.execPath, [bundlePath(ctx.root, PLUGIN)], {
            env,
            cwd: workspace.path,
            timeoutMs: 180_000,
          });
          return { ok: r.code === 0, detail: tail(r.stderr || r.stdout) };
        },
      };

      const hand: Subject = {
        name: "by hand: ssh + scp",
        times: [],
        logins: [],
        deploy: async (round) => {
          const env = JSON.parse(stackEnv(stack, portsFor.hand, version(round))) as Record<string, string>;
          await writeFile(
            join(workspace.path, "deploy", ".env"),
            Object.entries(env)
              .map(([name, value]) => `${name}=${value}\n`)
              .join(""),
          );
          const r = await run("bash", ["-c", BY_HAND], {
            env: {
              PATH: process.env.PATH ?? "/usr/bin:/bin",
              HOME: workspace.path,
              PORT: String(server.port),
              KEY: server.privateKeyPath,
              KNOWN_HOSTS: server.knownHostsPath,
              USER_AT: `${server.username}@${server.host}`,
              TARGET: join(target.path, "hand"),
              RELEASE: `${round + 1}-5e1d0c9b`,
              WORKSPACE: workspace.path,
              REGISTRY: host,
              REGISTRY_PASSWORD: "bench-password",
              PROJECT: projects.hand,
              VERIFY_URL: `http://127.0.0.1:${portsFor.hand.web}/cgi-bin/status`,
            },
            timeoutMs: 180_000,
          });
          return { ok: r.code === 0, detail: tail(r.stderr || r.stdout) };
        },
      };

      const runs = Math.min(ctx.runs, MAX_RUNS);
      const subjects = [plugin, hand];
      // Round 0 warms up both (first pull, first container start) and is not counted.
      for (let round = 0; round <= runs; round++) {
        for (let i = 0; i < subjects.length; i++) {
          const subject = subjects[(round + i) % subjects.length] as Subject;
          ctx.progress(`compose-deploy: round ${round}/${runs}, ${subject.name}`);
          const before = logins(server);
          const started = performance.now();
          const result = await subject.deploy(round);
          const millis = performance.now() - started;
          if (!result.ok) {
            return [
              {
                subject: subject.name,
                measured: "-",
                baseline: "-",
                target: `≤ ${TARGET_RATIO}×`,
                verdict: "FAIL",
                note: `deploy failed in round ${round}: ${result.detail}`,
              },
            ];
          }
          if (round === 0) continue;
          subject.times.push(millis);
          subject.logins.push(logins(server) - before);
        }
      }

      const base = median(hand.times);
      const measured = median(plugin.times);
      const ratio = measured / base;
      const pluginLogins = Math.max(...plugin.logins);
      const handLogins = median(hand.logins);
      return [
        {
          subject: hand.name,
          measured: ms(base),
          baseline: "-",
          target: "-",
          verdict: "INFO",
          note: `${runs} deploys, ${handLogins} SSH logins each; docker-compose v1, 2 services with health checks`,
        },
        {
          subject: PLUGIN,
          measured: ms(measured),
          baseline: ms(base),
          ratio,
          target: `≤ ${TARGET_RATIO}×`,
          verdict: verdict(ratio, TARGET_RATIO),
          note: `min ${ms(Math.min(...plugin.times))}, by hand min ${ms(Math.min(...hand.times))}; node start and SSH login included`,
        },
        {
          subject: `${PLUGIN}: SSH connections per host`,
          measured: String(pluginLogins),
          baseline: String(handLogins),
          target: `${TARGET_CONNECTIONS}`,
          verdict: verdict(pluginLogins, TARGET_CONNECTIONS),
          note: "logins in the sshd's log per deploy (most seen in any run)",
        },
      ];
    } finally {
      await removeProject(projects.plugin).catch(() => undefined);
      await removeProject(projects.hand).catch(() => undefined);
      await stack.remove();
      await (registry as Registry | undefined)?.stop();
      await server.stop();
      await workspace.remove();
      await target.remove();
    }
  },
};

/**
 * Requests lost during a deploy, as users see them: a steady 20 requests/s through Debian's Caddy
 * in front of two busybox `web` containers, while the bundle deploys v1 → v2 with `update:
 * recreate` (compose's `up -d`) and with `update: rollout`, and (rollout) an unhealthy v3 that
 * must fail without losing a request. One deploy each after an uncounted first one.
 *
 * Both modes get the same stack and the same load. The proxy tries the next address of `web` on a
 * refused connection and tries a failed request again for at most 300 ms (nginx's default tries
 * each server once, at once): one that held requests for seconds would hide recreate's gap. `web` takes BOOT_SECONDS to
 * listen, as an app that loads before it serves; an httpd that listens at once would make the gap
 * shorter than any real app's.
 */
const BOOT_SECONDS = 3;
const RETRY_WINDOW = "300ms";
export const composeDeployUnderLoad: Bench = {
  name: "compose-deploy-load",
  title:
    "Failed requests through a proxy during a deploy under load (20 req/s): update recreate vs rollout, target 0 for rollout",
  async run(ctx: BenchContext): Promise<Row[]> {
    const skip = (note: string): Row[] => [
      { subject: `${PLUGIN}: rollout`, measured: "-", baseline: "-", target: "0", verdict: "SKIP", note },
    ];
    if (!ctx.plugins.includes(PLUGIN)) return skip(`no bundle plugins/${PLUGIN}/dist/index.mjs`);
    const bed = await testBed("bench-load", async (busybox) => {
      const caddy = await caddyFiles();
      if (!caddy) throw new Error("no caddy (apt-get install caddy)");
      ctx.progress("compose-deploy-load: building the proxy and web images");
      return buildProxiedImages(busybox, caddy, RETRY_WINDOW);
    });
    if (typeof bed === "string") return skip(bed);
    const { sshd: server, more: stack, workspace, target } = bed;
    const projects = { recreate: `bench-recreate-${process.pid}`, rollout: `bench-rollout-${process.pid}` };
    try {
      await writeProxiedStack(workspace.path);
      const deploy = async (
        mode: "recreate" | "rollout",
        build: number,
        version: ProxiedVersion,
        port: number,
      ) => {
        const started = performance.now();
        const commit = `${String(build).padStart(8, "0")}aaaabbbbccccddddeeeeffff00001111`;
        const r = await run(process.execPath, [bundlePath(ctx.root, PLUGIN)], {
          env: bundleEnv(server, workspace.path, build, commit, {
            PLUGIN_PROJECT: projects[mode],
            PLUGIN_TARGET: join(target.path, mode),
            PLUGIN_ENV: proxiedEnv(stack, port, version, BOOT_SECONDS),
            PLUGIN_PULL: "false",
            PLUGIN_UPDATE: mode,
            PLUGIN_WAIT_TIMEOUT: "60s",
          }),
          cwd: workspace.path,
          timeoutMs: 300_000,
        });
        return { ok: r.code === 0, millis: performance.now() - started, detail: tail(r.stderr || r.stdout) };
      };
      const underLoad = async (
        mode: "recreate" | "rollout",
        build: number,
        version: ProxiedVersion,
        port: number,
      ) => {
        const load = steadyLoad(port);
        const result = await deploy(mode, build, version, port);
        return { ...result, ...(await load.stop()) };
      };

      const rows: Row[] = [];
      const measured: Record<string, Awaited<ReturnType<typeof underLoad>>> = {};
      for (const mode of ["recreate", "rollout"] as const) {
        const port = await proxyPort();
        ctx.progress(`compose-deploy-load: ${mode}, first deploy (not counted)`);
        const first = await deploy(mode, 1, "v1", port);
        if (!first.ok)
          return [
            { ...skip("")[0], verdict: "FAIL", note: `${mode}: first deploy failed: ${first.detail}` } as Row,
          ];
        ctx.progress(`compose-deploy-load: ${mode}, v1 → v2 under load`);
        measured[mode] = await underLoad(mode, 2, "v2", port);
        if (!measured[mode].ok)
          return [
            {
              ...skip("")[0],
              verdict: "FAIL",
              note: `${mode}: deploy failed: ${measured[mode].detail}`,
            } as Row,
          ];
        if (mode === "rollout") {
          ctx.progress("compose-deploy-load: rollout of an unhealthy v3 under load");
          measured.failed = await underLoad(mode, 3, "v3", port);
          if (measured.failed.ok)
            return [{ ...skip("")[0], verdict: "FAIL", note: "the unhealthy v3 deployed" } as Row];
        }
      }
      const { recreate, rollout, failed } = measured;
      if (!recreate || !rollout || !failed) return skip("a deploy under load did not run");
      const lost = (m: { failed: number; sent: number }) => `${m.failed} of ${m.sent} requests`;
      const first = (m: { failures: string[] }) => (m.failures[0] ? `; first failure: ${m.failures[0]}` : "");
      rows.push(
        {
          subject: `${PLUGIN}: update recreate`,
          measured: lost(recreate),
          baseline: "-",
          target: "-",
          verdict: "INFO",
          note: `deploy took ${ms(recreate.millis)}; compose's up -d, 2 web containers (${BOOT_SECONDS} s to boot) behind Caddy${first(recreate)}`,
        },
        {
          subject: `${PLUGIN}: update rollout`,
          measured: lost(rollout),
          baseline: lost(recreate),
          target: "0 failed",
          verdict: verdict(rollout.failed, 0),
          note: `deploy took ${ms(rollout.millis)} (recreate ${ms(recreate.millis)}), drain 5s included${first(rollout)}`,
        },
        {
          subject: `${PLUGIN}: rollout of an unhealthy release`,
          measured: lost(failed),
          baseline: "-",
          target: "0 failed",
          verdict: verdict(failed.failed, 0),
          note: `the step failed after ${ms(failed.millis)}, the old containers served on${first(failed)}`,
        },
      );
      return rows;
    } finally {
      await removeProxiedProject(projects.recreate).catch(() => undefined);
      await removeProxiedProject(projects.rollout).catch(() => undefined);
      await stack.remove();
      await server.stop();
      await workspace.remove();
      await target.remove();
    }
  },
};
