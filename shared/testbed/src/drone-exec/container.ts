import { spawn } from "node:child_process";
import { request } from "node:http";
import { DRONE_WORKSPACE, type DroneStepOptions, type DroneStepResult } from "../drone-step.ts";

/**
 * Runs one step's container through the Docker Engine's API, as `drone exec` does. The step's
 * environment (its `environment:`, settings and secrets, all chosen by the repository being
 * built) goes into the container's configuration and nowhere else: it never becomes the
 * environment of a program on this machine, so a step setting `PATH`, `DOCKER_HOST` or
 * `LD_PRELOAD` cannot pick what runs here or which engine gets its secrets. The values travel
 * in the request body over the engine's socket: not on a command line (`ps`), not in a file,
 * and multi-line values (SSH keys) arrive whole, which `docker --env-file` cannot do.
 * Only local images are used (no pull), and the container is removed afterwards.
 */
export async function runContainer(options: DroneStepOptions): Promise<DroneStepResult> {
  const engine = await engineSocket();
  const env = { CI: "true", DRONE: "true", DRONE_WORKSPACE, ...options.env };
  const created = await api(engine, "POST", "/containers/create", {
    Image: options.image,
    Env: Object.entries(env).map(([name, value]) => `${name}=${value}`),
    WorkingDir: DRONE_WORKSPACE,
    // The workspace names the build: what one build left behind can be told from another's.
    Labels: { "hangar.drone-exec": "step", "hangar.drone-exec.workspace": options.workspace },
    HostConfig: { Binds: [`${options.workspace}:${DRONE_WORKSPACE}`], NetworkMode: "host" },
  });
  if (created.status === 404)
    return {
      exitCode: 125,
      stdout: "",
      stderr: `the image ${options.image} is not on this machine: build it with \`pnpm images\`\n`,
    };
  const id = (json(created, 201) as { Id: string }).Id;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void api(engine, "POST", `/containers/${id}/kill`).catch(() => {});
  }, options.timeoutMs ?? 120_000);
  // Ctrl-C on drone-exec must not leave the step running on this machine.
  const interrupted = () => {
    void api(engine, "DELETE", `/containers/${id}?force=1`).finally(() => process.exit(130));
  };
  process.once("SIGINT", interrupted);
  try {
    json(await api(engine, "POST", `/containers/${id}/start`), 204);
    const waited = json(await api(engine, "POST", `/containers/${id}/wait`), 200) as { StatusCode: number };
    const logs = await api(engine, "GET", `/containers/${id}/logs?stdout=1&stderr=1`);
    const { stdout, stderr } = demultiplex(logs.body);
    return {
      exitCode: waited.StatusCode,
      stdout,
      stderr: timedOut ? `${stderr}stopped after ${options.timeoutMs ?? 120_000} ms\n` : stderr,
    };
  } finally {
    clearTimeout(timer);
    process.off("SIGINT", interrupted);
    await api(engine, "DELETE", `/containers/${id}?force=1`).catch(() => {});
  }
}

let socket: Promise<string> | undefined;

/**
 * The engine's unix socket, as the docker CLI's current context names it. The CLI is asked with
 * this machine's own environment, never a step's.
 */
export function engineSocket(): Promise<string> {
  socket ??= new Promise<string>((resolve) => {
    const child = spawn("docker", ["context", "inspect", "--format", "{{.Endpoints.docker.Host}}"], {
      env: process.env,
      stdio: ["ignore", "pipe", "ignore"],
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.on("error", () => resolve(""));
    child.on("close", (code) => resolve(code === 0 ? out.trim() : ""));
  }).then((host) => {
    const endpoint = host || process.env.DOCKER_HOST || "unix:///var/run/docker.sock";
    if (!endpoint.startsWith("unix://"))
      throw new Error(
        `drone-exec reaches the Docker Engine through its unix socket, and the docker context names ${endpoint}; set DOCKER_HOST=unix:///path/to/docker.sock`,
      );
    return endpoint.slice("unix://".length);
  });
  return socket;
}

interface ApiResponse {
  status: number;
  body: Buffer;
  path: string;
}

function api(socketPath: string, method: string, path: string, body?: unknown): Promise<ApiResponse> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const call = request(
      {
        socketPath,
        method,
        path,
        headers: payload ? { "content-type": "application/json", "content-length": payload.length } : {},
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks), path }),
        );
        response.on("error", reject);
      },
    );
    call.on("error", (error) =>
      reject(
        new Error(`the Docker Engine at ${socketPath} did not answer ${method} ${path}: ${error.message}`),
      ),
    );
    call.end(payload);
  });
}

function json(response: ApiResponse, expected: number): unknown {
  const text = response.body.toString();
  if (response.status !== expected) {
    const message = (() => {
      try {
        return (JSON.parse(text) as { message?: string }).message ?? text;
      } catch {
        return text;
      }
    })();
    throw new Error(
      `the Docker Engine refused ${response.path.split("?")[0]}: ${response.status} ${message}`.trim(),
    );
  }
  return text === "" ? undefined : JSON.parse(text);
}

/** A container's log as the engine sends it without a TTY: frames of [stream, 0, 0, 0, size (u32 BE)] + data. */
export function demultiplex(data: Buffer): { stdout: string; stderr: string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= data.length) {
    const size = data.readUInt32BE(offset + 4);
    const frame = data.subarray(offset + 8, offset + 8 + size);
    (data[offset] === 2 ? err : out).push(frame);
    offset += 8 + size;
  }
  return { stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}
