import { setTimeout as sleep } from "node:timers/promises";
import { HangarError, type Logger } from "@hangar/kit";
import {
  ApiException,
  CoreV1Api,
  KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
  Watch,
} from "@kubernetes/client-node";
import type { Access } from "./access.ts";

/**
 * The few calls the plugin makes, on @kubernetes/client-node. Every API failure becomes a
 * HangarError whose message is the API's own (masked); for a Secret the body is never quoted,
 * since a server or an admission webhook may echo the object it refused.
 */

/**
 * An object as the API returns it. spec and status are read per kind, through the client's
 * own models (V1Deployment, V1Pod …), by the code that knows which kind it holds.
 */
export type KubeObject = KubernetesObject & { spec?: object; status?: object; data?: Record<string, string> };

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

function apiMessage(error: ApiException<unknown>): string {
  const body = error.body;
  const text = typeof body === "string" ? body : JSON.stringify(body ?? "");
  try {
    const parsed = JSON.parse(text) as { message?: string };
    if (parsed.message) return parsed.message;
  } catch {
    // not a Status object
  }
  return text.slice(0, 300);
}

/** Turns a client error into one line; `quiet` leaves out what the server said (it may echo a Secret). */
export function clusterError(
  error: unknown,
  what: string,
  options: { quiet?: boolean; log?: Logger } = {},
): HangarError {
  if (error instanceof HangarError) return error;
  if (error instanceof ApiException) {
    const said = options.quiet
      ? "the answer is not shown, it may quote the Secret's data"
      : apiMessage(error);
    const message = `${what} failed: HTTP ${error.code}: ${said}`;
    return new HangarError(
      `E_KUBERNETES_${error.code}`,
      options.log ? options.log.mask.apply(message) : message,
      {
        hint:
          error.code === 401
            ? "The credentials were refused: check the token or kubeconfig."
            : error.code === 403
              ? "The credentials may not do this: check the service account's RBAC role in the namespace."
              : undefined,
      },
    );
  }
  const cause =
    error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
  const tls = /certificate|self[- ]signed|CERT_|unable to verify/i.test(cause);
  return new HangarError(tls ? "E_KUBERNETES_TLS" : "E_KUBERNETES_UNREACHABLE", `${what} failed: ${cause}`, {
    hint: tls
      ? "The API server's certificate is not trusted: give the CA as `ca_cert` (or in the kubeconfig)."
      : "Check that the server address is reachable from the runner.",
  });
}

const name = (object: KubernetesObject) => `${object.kind}/${object.metadata?.name}`;

export class Cluster {
  readonly config: KubeConfig;
  readonly #objects: KubernetesObjectApi;
  readonly #core: CoreV1Api;
  readonly #log: Logger;

  constructor(config: KubeConfig, log: Logger) {
    this.config = config;
    this.#objects = KubernetesObjectApi.makeApiClient(config);
    this.#core = config.makeApiClient(CoreV1Api);
    this.#log = log;
  }

  /** Server-side apply, forced: hangar's manifests are the truth for the fields they set. */
  async apply(object: KubeObject, fieldManager: string, dryRun: boolean): Promise<KubeObject> {
    try {
      return await this.#objects.patch(
        object,
        undefined,
        dryRun ? "All" : undefined,
        fieldManager,
        true,
        PatchStrategy.ServerSideApply,
      );
    } catch (error) {
      throw clusterError(error, `applying ${name(object)}`, {
        quiet: object.kind === "Secret",
        log: this.#log,
      });
    }
  }

  async read(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    objectName: string,
  ): Promise<KubeObject | undefined> {
    try {
      return await this.#objects.read({
        apiVersion,
        kind,
        metadata: { name: objectName, ...(namespace ? { namespace } : {}) },
      });
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return undefined;
      throw clusterError(error, `reading ${kind}/${objectName}`, { log: this.#log });
    }
  }

  async list(
    apiVersion: string,
    kind: string,
    namespace: string,
    options: { labelSelector?: string; fieldSelector?: string } = {},
  ): Promise<KubeObject[]> {
    try {
      const list = await this.#objects.list(
        apiVersion,
        kind,
        namespace,
        undefined,
        undefined,
        undefined,
        options.fieldSelector,
        options.labelSelector,
      );
      return list.items as KubeObject[];
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return [];
      throw clusterError(error, `listing ${kind} in ${namespace}`, { log: this.#log });
    }
  }

  async delete(object: KubeObject, dryRun = false): Promise<void> {
    try {
      await this.#objects.delete(
        object,
        undefined,
        dryRun ? "All" : undefined,
        undefined,
        undefined,
        "Background",
      );
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return;
      throw clusterError(error, `deleting ${name(object)}`, {
        quiet: object.kind === "Secret",
        log: this.#log,
      });
    }
  }

  async logTail(namespace: string, pod: string, container: string, lines: number): Promise<string> {
    try {
      return await this.#core.readNamespacedPodLog({ name: pod, namespace, container, tailLines: lines });
    } catch (error) {
      return `(no log: ${clusterError(error, "reading the log", { log: this.#log }).message})`;
    }
  }

  /**
   * Watches one object (by name) until `onEvent` says stop, re-opening the watch when the server
   * closes it. Resolves when stopped; rejects on `signal`.
   */
  async watchObject(
    path: string,
    objectName: string,
    onEvent: (type: string, object: KubeObject) => boolean,
    signal: AbortSignal,
  ): Promise<void> {
    const watch = new Watch(this.config);
    while (!signal.aborted) {
      let stop = false;
      let controller: AbortController | undefined;
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          controller?.abort();
          resolve();
        };
        signal.addEventListener("abort", onAbort, { once: true });
        watch
          .watch(
            path,
            { fieldSelector: `metadata.name=${objectName}` },
            (type, object: KubeObject) => {
              if (stop) return;
              if (onEvent(type, object)) {
                stop = true;
                controller?.abort();
                signal.removeEventListener("abort", onAbort);
                resolve();
              }
            },
            () => {
              signal.removeEventListener("abort", onAbort);
              resolve();
            },
          )
          .then(
            (started) => {
              controller = started;
              if (stop || signal.aborted) started.abort();
            },
            (error: unknown) => {
              signal.removeEventListener("abort", onAbort);
              reject(clusterError(error, `watching ${objectName}`, { log: this.#log }));
            },
          );
      });
      if (stop) return;
      // The server closed the watch (its timeout, a restart): open it again after a breath.
      await sleep(200, undefined, { signal }).catch(() => undefined);
    }
  }
}
