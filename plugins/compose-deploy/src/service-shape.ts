/**
 * What a rollout needs to know about each service, read from the compose files in the
 * workspace before anything connects: whether it has a health check, a fixed container name,
 * fixed host ports or the host's network; a later file adds to an earlier one, as compose merges them.
 */

import { parse } from "yaml";

export interface ServiceShape {
  healthcheck: boolean;
  /** The health check is switched off (`disable: true`, `test: ["NONE"]`). */
  healthcheckOff: boolean;
  containerName: boolean;
  /** The first port mapping that names a host port (`"8080:80"`, `published: 8080`). */
  fixedPort?: string | undefined;
  hostNetwork: boolean;
}

type Mapping = Record<string, unknown>;

const isMapping = (value: unknown): value is Mapping =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Whether a port mapping binds a host port: `8080:80`, `127.0.0.1:8080:80`; not `80` or `127.0.0.1::80`. */
function fixedHostPort(item: string): boolean {
  const parts = item.replace(/\/(tcp|udp|sctp)$/, "").split(":");
  if (parts.length < 2) return false;
  const host = parts.length === 2 ? parts[0] : parts[parts.length - 2];
  return host !== undefined && host !== "";
}

/** The first port that names a host port, in the short (`"8080:80"`) or the long form (`published:`). */
function fixedPortOf(ports: unknown): string | undefined {
  if (!Array.isArray(ports)) return undefined;
  for (const port of ports) {
    if (isMapping(port)) {
      const published = port.published;
      if (published !== undefined && published !== null && String(published) !== "")
        return `published: ${String(published)}`;
    } else if (typeof port === "string" && fixedHostPort(port)) {
      return port;
    }
  }
  return undefined;
}

function readService(service: Mapping): ServiceShape {
  const healthcheck = service.healthcheck;
  const test = isMapping(healthcheck) ? healthcheck.test : undefined;
  return {
    healthcheck: isMapping(healthcheck),
    healthcheckOff:
      isMapping(healthcheck) &&
      (healthcheck.disable === true ||
        (Array.isArray(test) && test[0] === "NONE") ||
        (typeof test === "string" && test.trim() === "NONE")),
    containerName: service.container_name !== undefined && service.container_name !== null,
    fixedPort: fixedPortOf(service.ports),
    hostNetwork: service.network_mode === "host",
  };
}

/**
 * The services of one compose file and the keys that matter to a rollout; a file that is not
 * YAML, or has no `services:` mapping, has none (compose itself says what is wrong with it).
 */
export function readServiceShapes(source: string): Map<string, ServiceShape> {
  const shapes = new Map<string, ServiceShape>();
  let document: unknown;
  try {
    // Compose files use anchors and `<<` merge keys for shared blocks.
    document = parse(source, { merge: true, maxAliasCount: 1000 });
  } catch {
    return shapes;
  }
  const services = isMapping(document) ? document.services : undefined;
  if (!isMapping(services)) return shapes;
  for (const [name, service] of Object.entries(services)) {
    if (isMapping(service)) shapes.set(name, readService(service));
  }
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
