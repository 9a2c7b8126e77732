/**
 * What a rollout needs to know about each service, read from the compose files in the
 * workspace before anything connects: whether it has a health check, a fixed container name,
 * fixed host ports or the host's network. Only these keys of block-style compose files are read
 * (no YAML library in the plugin); a later file adds to an earlier one, as compose merges them.
 */

export interface ServiceShape {
  healthcheck: boolean;
  /** The health check is switched off (`disable: true`, `test: ["NONE"]`). */
  healthcheckOff: boolean;
  containerName: boolean;
  /** The first port mapping that names a host port (`"8080:80"`, `published: 8080`). */
  fixedPort?: string | undefined;
  hostNetwork: boolean;
}

interface Line {
  indent: number;
  text: string;
}

function lines(source: string): Line[] {
  return source
    .split(/\r?\n/)
    .map((raw) => raw.replace(/\s+#.*$/, "").replace(/^\s*#.*$/, ""))
    .filter((raw) => raw.trim() !== "")
    .map((raw) => ({ indent: raw.length - raw.trimStart().length, text: raw.trim() }));
}

/** The lines below `start` indented deeper than `indent`: a key's block. */
function block(all: readonly Line[], start: number, indent: number): Line[] {
  const out: Line[] = [];
  for (let index = start + 1; index < all.length; index++) {
    const line = all[index] as Line;
    if (line.indent <= indent && !(line.indent === indent && line.text.startsWith("- "))) break;
    out.push(line);
  }
  return out;
}

const KEY = /^("?)([A-Za-z0-9_.-]+)\1\s*:(?:\s+(.*))?$/;
const unquote = (value: string) => value.trim().replace(/^["']|["']$/g, "");

/** Whether a port mapping binds a host port: `8080:80`, `127.0.0.1:8080:80`; not `80` or `127.0.0.1::80`. */
function fixedHostPort(item: string): boolean {
  const value = unquote(item).replace(/\/(tcp|udp|sctp)$/, "");
  const parts = value.split(":");
  if (parts.length < 2) return false;
  const host = parts.length === 2 ? parts[0] : parts[parts.length - 2];
  return host !== undefined && host !== "";
}

function readPorts(inline: string | undefined, body: readonly Line[]): string | undefined {
  if (inline?.startsWith("[")) {
    const items = inline.replace(/^\[|\]$/g, "").split(",");
    return items.map(unquote).find((item) => item && fixedHostPort(item));
  }
  for (const line of body) {
    const item = line.text.replace(/^-\s*/, "");
    const published = /^published\s*:\s*(.+)$/.exec(item);
    if (published?.[1] && unquote(published[1]) !== "") return `published: ${unquote(published[1])}`;
    if (line.text.startsWith("- ") && !item.includes(": ") && fixedHostPort(item)) return unquote(item);
  }
  return undefined;
}

function readService(body: readonly Line[]): ServiceShape {
  const shape: ServiceShape = {
    healthcheck: false,
    healthcheckOff: false,
    containerName: false,
    hostNetwork: false,
  };
  const indent = body[0]?.indent ?? 0;
  body.forEach((line, index) => {
    if (line.indent !== indent) return;
    const key = KEY.exec(line.text);
    if (!key) return;
    const [, , name, inline] = key;
    const below = block(body, index, indent);
    if (name === "container_name") shape.containerName = true;
    if (name === "network_mode" && unquote(inline ?? "") === "host") shape.hostNetwork = true;
    if (name === "ports") shape.fixedPort = readPorts(inline, below);
    if (name === "healthcheck") {
      const text = [inline ?? "", ...below.map((item) => item.text)].join("\n");
      shape.healthcheck = true;
      shape.healthcheckOff = /disable\s*:\s*true/.test(text) || /test\s*:\s*\[\s*["']?NONE/.test(text);
    }
  });
  return shape;
}

/** The services of one compose file and the keys that matter to a rollout. */
export function readServiceShapes(source: string): Map<string, ServiceShape> {
  const all = lines(source);
  const shapes = new Map<string, ServiceShape>();
  const top = all.findIndex((line) => line.indent === 0 && /^services\s*:\s*$/.test(line.text));
  if (top < 0) return shapes;
  const services = block(all, top, 0);
  const indent = services[0]?.indent ?? 0;
  services.forEach((line, index) => {
    if (line.indent !== indent) return;
    const key = KEY.exec(line.text);
    if (key?.[2]) shapes.set(key[2], readService(block(services, index, indent)));
  });
  return shapes;
}

/** Several files in `-f` order: a later file's keys add to (or switch off) an earlier one's. */
export function mergeServiceShapes(files: readonly Map<string, ServiceShape>[]): Map<string, ServiceShape> {
  const merged = new Map<string, ServiceShape>();
  for (const file of files) {
    for (const [name, shape] of file) {
      const before = merged.get(name);
      merged.set(
        name,
        before
          ? {
              healthcheck: before.healthcheck || shape.healthcheck,
              healthcheckOff: shape.healthcheck ? shape.healthcheckOff : before.healthcheckOff,
              containerName: before.containerName || shape.containerName,
              fixedPort: before.fixedPort ?? shape.fixedPort,
              hostNetwork: before.hostNetwork || shape.hostNetwork,
            }
          : shape,
      );
    }
  }
  return merged;
}

/** How a service is replaced by a `rollout` deploy, and why. */
export interface ServiceWay {
  service: string;
  way: "rollout" | "recreate";
  why: string;
}

/** Why a service cannot run two containers side by side, or has nothing to prove the new one healthy. */
export function whyNotRolled(shape: ServiceShape): { why: string; hard: boolean } | undefined {
  if (shape.containerName)
    return { why: "it has a `container_name` (two containers cannot share it)", hard: true };
  if (shape.hostNetwork)
    return { why: "it runs on the host's network (two containers would want the same ports)", hard: true };
  if (shape.fixedPort)
    return {
      why: `it publishes a fixed host port (${shape.fixedPort}), which only one container can hold`,
      hard: true,
    };
  if (!shape.healthcheck || shape.healthcheckOff)
    return {
      why: "it has no `healthcheck:` in the compose files, so nothing proves a new container ready",
      hard: false,
    };
  return undefined;
}

/**
 * Each service's way: the named ones (`services`) are rolled out unless they cannot run twice
 * (those are returned in `refused`); without names, every service that can be is rolled out and
 * the rest recreated.
 */
export function decideWays(
  shapes: ReadonlyMap<string, ServiceShape>,
  named: readonly string[] | undefined,
): { ways: ServiceWay[]; refused: ServiceWay[] } {
  const ways: ServiceWay[] = [];
  const refused: ServiceWay[] = [];
  const services = named ?? [...shapes.keys()];
  for (const service of services) {
    const shape = shapes.get(service);
    const not = shape ? whyNotRolled(shape) : undefined;
    if (!shape) {
      ways.push({ service, way: "recreate", why: "not found in the compose files in the workspace" });
    } else if (!not) {
      ways.push({ service, way: "rollout", why: "health check, no fixed name or host port" });
    } else if (named && !not.hard) {
      ways.push({ service, way: "rollout", why: `named in \`services\`, though ${not.why}` });
    } else if (named) {
      refused.push({ service, way: "recreate", why: not.why });
    } else {
      ways.push({ service, way: "recreate", why: not.why });
    }
  }
  return { ways, refused };
}
