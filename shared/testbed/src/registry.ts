import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { findBinary } from "./binaries.ts";
import { abandonStart, type Daemon, daemonInDir, spawnDaemon } from "./daemon.ts";
import { startOnFreePort } from "./free-port-daemon.ts";
import { LOOPBACK } from "./ports.ts";
import { makeTempDir } from "./temp-dir.ts";

export interface RegistryOptions {
  /** Deadline for GET /v2/ to answer 200 (default 15 s). */
  startTimeoutMs?: number;
}

export interface Registry {
  /** "127.0.0.1:PORT", the prefix of image references (Docker treats 127.0.0.0/8 as insecure registries). */
  readonly host: string;
  readonly port: number;
  /** "http://127.0.0.1:PORT" */
  readonly url: string;
  /** Where the blobs and manifests are stored. */
  readonly storageDir: string;
  /** The repositories it holds (GET /v2/_catalog). */
  catalog(): Promise<string[]>;
  /** What the registry printed so far. */
  logs(): string;
  stop(): Promise<void>;
}

function config(storage: string, port: number): string {
  return [
    "version: 0.1",
    "log:",
    "  level: info",
    "  accesslog:",
    "    disabled: true",
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${JSON.stringify(storage)}`,
    "  delete:",
    "    enabled: true",
    "http:",
    `  addr: ${LOOPBACK}:${port}`,
    `  secret: ${randomBytes(16).toString("hex")}`,
    "",
  ].join("\n");
}

async function answers(url: string): Promise<boolean> {
  const response = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(2_000) });
  await response.body?.cancel();
  if (response.status !== 200) throw new Error(`GET /v2/ answered ${response.status}`);
  return true;
}

/** Runs the distribution registry (Debian's docker-registry) on 127.0.0.1 with temporary storage. */
export async function startRegistry(options: RegistryOptions = {}): Promise<Registry> {
  const binary = findBinary("container registry", "docker-registry", "docker-registry");
  const dir = await makeTempDir("registry");
  const storageDir = join(dir.path, "storage");
  let daemon: Daemon | undefined;
  try {
    const started = await startOnFreePort({
      async spawn(port) {
        await writeFile(join(dir.path, "config.yml"), config(storageDir, port));
        return spawnDaemon("docker-registry", binary, ["serve", join(dir.path, "config.yml")]);
      },
      readiness: (port) => `the registry to answer GET http://${LOOPBACK}:${port}/v2/`,
      ready: (port) => answers(`http://${LOOPBACK}:${port}`),
      timeoutMs: options.startTimeoutMs ?? 15_000,
      portTaken: "address already in use",
    });
    const { port } = started;
    const running = started.daemon;
    daemon = running;
    const url = `http://${LOOPBACK}:${port}`;
    return {
      host: `${LOOPBACK}:${port}`,
      port,
      url,
      storageDir,
      async catalog() {
        const response = await fetch(`${url}/v2/_catalog`, { signal: AbortSignal.timeout(10_000) });
        if (!response.ok) throw new Error(`GET ${url}/v2/_catalog answered ${response.status}`);
        const body = (await response.json()) as { repositories?: unknown };
        return Array.isArray(body.repositories) ? body.repositories.map(String) : [];
      },
      ...daemonInDir(running, dir),
    };
  } catch (error) {
    return abandonStart(daemon, dir, error);
  }
}
