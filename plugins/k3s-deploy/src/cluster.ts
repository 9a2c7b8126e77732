import { setTimeout as sleep } from "node:timers/promises";
import { HangarError, type Logger } from "@hangar/kit";
import { KubeConfig, type KubernetesObject } from "@kubernetes/client-node";
import type { Access } from "./access.ts";
import { ApiClient, ApiStatusError } from "./api.ts";
import { ConflictError, clusterError, isStatus } from "./cluster-error.ts";

export { ConflictError };

/**
 * The few calls the plugin makes. Every one is bounded by the step's signal (SIGTERM) and a
 * deadline, and reads no answer past a size cap (see api.ts). Every API failure becomes a
 * HangarError whose message is the API's own (masked); for a Secret the body is never quoted,
 * since a server or an admission webhook may echo the object it refused.
 */

/**
 * An object as the API returns it. spec and status are read per kind, through the client's
 * own models (V1Deployment, V1Pod …), by the code that knows which kind it holds.
 */
export type KubeObject = KubernetesObject & { spec?: object; status?: object; data?: Record<string, string> };

export { clusterError } from "./cluster-error.ts";

export function kubeConfigFor(access: Access): KubeConfig {
  const config = new KubeConfig();
  if (access.kind === "kubeconfig") {
    config.loadFromString(access.yaml);
    if (access.context) config.setCurrentContext(access.context);
    return config;
  }
  config.loadFromOptions({
    clusters: [
      {
        name: "hangar",
        server: access.server,
        ...(access.ca ? { caData: Buffer.from(access.ca).toString("base64") } : {}),
        skipTLSVerify: access.insecure,
      },
    ],
    users: [{ name: "hangar", token: access.token }],
    contexts: [{ name: "hangar", cluster: "hangar", user: "hangar" }],
    currentContext: "hangar",
  });
  return config;
}

const name = (object: KubernetesObject) => `${object.kind}/${object.metadata?.name}`;

export interface ResourceInfo {
  /** `/apis/apps/v1` */
  base: string;
  plural: string;
  namespaced: boolean;
}

export interface CallLimits {
  /** The step's signal: SIGTERM aborts every call. */
  signal: AbortSignal;
  /** The longest one call may take. */
  timeoutMs: number;
}

export class Cluster {
  readonly #api: ApiClient;
  readonly #log: Logger;
  readonly #limits: CallLimits;
  readonly #resources = new Map<string, Promise<Map<string, ResourceInfo>>>();

  constructor(config: KubeConfig, log: Logger, limits: CallLimits) {
    this.#api = new ApiClient(config);
    this.#log = log;
    this.#limits = limits;
  }

  async #call(method: string, path: string, body?: string, headers?: Record<string, string>) {
    const response = await this.#api.request(method, path, this.#limits, body, headers);
    return response.body === "" ? undefined : (JSON.parse(response.body) as unknown);
  }

  /** Where a kind is served, from the API's discovery (once per group version). */
  async resource(apiVersion: string, kind: string): Promise<ResourceInfo> {
    const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    let kinds = this.#resources.get(base);
    if (!kinds) {
      kinds = (async () => {
        const list = (await this.#call("GET", base).catch((error: unknown) => {
          if (isStatus(error, 404)) return { resources: [] };
          throw clusterError(error, `discovering ${apiVersion}`, { log: this.#log });
        })) as { resources?: { name: string; kind: string; namespaced: boolean }[] };
        const byKind = new Map<string, ResourceInfo>();
        for (const each of list.resources ?? [])
          if (!each.name.includes("/"))
            byKind.set(each.kind, { base, plural: each.name, namespaced: each.namespaced });
        return byKind;
      })();
      this.#resources.set(base, kinds);
      kinds.catch(() => this.#resources.delete(base));
    }
    const info = (await kinds).get(kind);
    if (!info)
      throw new HangarError("E_KUBERNETES_KIND", `the cluster serves no ${kind} in ${apiVersion}`, {
        hint: "Check the manifest's apiVersion and kind (a custom resource needs its CRD installed).",
      });
    return info;
  }

  async #path(apiVersion: string, kind: string, namespace: string | undefined, objectName?: string) {
    const info = await this.resource(apiVersion, kind);
    const scope = info.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : "";
    return `${info.base}${scope}/${info.plural}${objectName ? `/${encodeURIComponent(objectName)}` : ""}`;
  }

  /** The path of the object a manifest names. */
  #objectPath(object: KubeObject) {
    return this.#path(
      object.apiVersion ?? "",
      object.kind ?? "",
      object.metadata?.namespace,
      object.metadata?.name,
    );
  }

  /** A failed call on a kind's objects as one line; for a Secret without the server's answer (it may echo the data). */
  #failure(error: unknown, doing: string, kind: string | undefined) {
    return clusterError(error, doing, { quiet: kind === "Secret", log: this.#log });
  }

  /**
   * Server-side apply, forced: hangar's manifests are the truth for the fields they set. With
   * `metadata.resourceVersion` in the object, the apply happens only if the object is still at
   * that version (409 otherwise): how a deploy never overwrites what a newer one wrote.
   */
  async apply(object: KubeObject, fieldManager: string, dryRun: boolean): Promise<KubeObject> {
    try {
      const path = await this.#objectPath(object);
      const query = new URLSearchParams({
        fieldManager,
        force: "true",
        ...(dryRun ? { dryRun: "All" } : {}),
      });
      return (await this.#call("PATCH", `${path}?${query}`, JSON.stringify(object), {
        "Content-Type": "application/apply-patch+yaml",
      })) as KubeObject;
    } catch (error) {
      if (isStatus(error, 409) && object.metadata?.resourceVersion) throw new ConflictError(name(object));
      throw this.#failure(error, `applying ${name(object)}`, object.kind);
    }
  }

  async read(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    objectName: string,
  ): Promise<KubeObject | undefined> {
    try {
      return (await this.#call(
        "GET",
        await this.#path(apiVersion, kind, namespace, objectName),
      )) as KubeObject;
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw this.#failure(error, `reading ${kind}/${objectName}`, kind);
    }
  }

  async list(
    apiVersion: string,
    kind: string,
    namespace: string,
    options: { labelSelector?: string; fieldSelector?: string } = {},
  ): Promise<KubeObject[]> {
    try {
      const query = new URLSearchParams(options as Record<string, string>);
      const path = `${await this.#path(apiVersion, kind, namespace)}${query.size ? `?${query}` : ""}`;
      const list = (await this.#call("GET", path)) as { items?: KubeObject[] };
      return list.items ?? [];
    } catch (error) {
      if (isStatus(error, 404)) return [];
      if (error instanceof HangarError && error.code === "E_KUBERNETES_KIND") return [];
      throw this.#failure(error, `listing ${kind} in ${namespace}`, kind);
    }
  }

  /** Deletes an object; with `resourceVersion`, only while it is still at that version. */
  async delete(object: KubeObject, dryRun = false, resourceVersion?: string): Promise<"deleted" | "changed"> {
    try {
      const path = await this.#objectPath(object);
      const options = {
        apiVersion: "v1",
        kind: "DeleteOptions",
        propagationPolicy: "Background",
        ...(dryRun ? { dryRun: ["All"] } : {}),
        ...(resourceVersion ? { preconditions: { resourceVersion } } : {}),
      };
      await this.#call("DELETE", `${path}${dryRun ? "?dryRun=All" : ""}`, JSON.stringify(options), {
        "Content-Type": "application/json",
      });
      return "deleted";
    } catch (error) {
      if (isStatus(error, 404)) return "deleted";
      if (isStatus(error, 409) && resourceVersion) return "changed";
      throw this.#failure(error, `deleting ${name(object)}`, object.kind);
    }
  }

  async logTail(namespace: string, pod: string, container: string, lines: number): Promise<string> {
    try {
      const query = new URLSearchParams({ container, tailLines: String(lines) });
      const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/log?${query}`;
      return (await this.#api.request("GET", path, { ...this.#limits, maxBytes: 256 * 1024 })).body;
    } catch (error) {
      if (this.#limits.signal.aborted) throw error;
      return `(no log: ${clusterError(error, "reading the log", { log: this.#log }).message})`;
    }
  }

  /**
   * Watches one object (by name) until `onEvent` says stop, re-opening the watch when the server
   * closes it. Resolves when stopped, or when `signal` aborts (the caller tells which).
   */
  async watchObject(
    path: string,
    objectName: string,
    onEvent: (type: string, object: KubeObject) => boolean,
    signal: AbortSignal,
  ): Promise<void> {
    const query = new URLSearchParams({
      watch: "true",
      fieldSelector: `metadata.name=${objectName}`,
      timeoutSeconds: "300",
    });
    while (!signal.aborted) {
      try {
        const stopped = await this.#api.watch(
          `${path}?${query}`,
          (type, object) => onEvent(type, object as KubeObject),
          signal,
          Math.min(this.#limits.timeoutMs, 60_000),
        );
        if (stopped) return;
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof HangarError) throw error;
        if (error instanceof ApiStatusError)
          throw clusterError(error, `watching ${objectName}`, { log: this.#log });
        // A dropped connection: open the watch again after a breath.
      }
      await sleep(200, undefined, { signal }).catch(() => undefined);
    }
  }
}
