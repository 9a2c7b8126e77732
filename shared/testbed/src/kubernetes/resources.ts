import { CustomResourceDefinition } from "kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition";
import { DaemonSet } from "kubernetes-models/apps/v1/DaemonSet";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { StatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import { Job } from "kubernetes-models/batch/v1/Job";
import { Ingress } from "kubernetes-models/networking.k8s.io/v1/Ingress";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Event } from "kubernetes-models/v1/Event";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { PersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import { Pod } from "kubernetes-models/v1/Pod";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";

/**
 * The resource types the stand-in serves, as discovery lists them. Each built-in type is
 * checked against its OpenAPI schema from the `kubernetes-models` packages; custom resources
 * (served once their CRD is applied) are checked only for their type meta and name.
 */

export interface ResourceType {
  group: string;
  version: string;
  kind: string;
  /** The URL segment: `deployments`. */
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  /** Throws the schema's errors; undefined for custom resources. */
  validate?: (object: Record<string, unknown>) => SchemaIssue[];
}

export interface SchemaIssue {
  field: string;
  message: string;
}

interface ModelClass {
  // biome-ignore lint/suspicious/noExplicitAny: each model's constructor takes its own typed shape; the stand-in hands it raw JSON to check
  new (data: any): { validate(): void };
}

function schemaOf(model: ModelClass): (object: Record<string, unknown>) => SchemaIssue[] {
  return (object) => {
    try {
      new model(object).validate();
      return [];
    } catch (error) {
      const issues = (error as { errors?: { instancePath?: string; message?: string }[] }).errors;
      if (!Array.isArray(issues)) return [{ field: "", message: String(error) }];
      return issues.map((issue) => ({
        field: (issue.instancePath ?? "").replace(/^\//, "").replaceAll("/", "."),
        message: issue.message ?? "is invalid",
      }));
    }
  };
}

function builtIn(
  group: string,
  version: string,
  kind: string,
  plural: string,
  namespaced: boolean,
  model: ModelClass,
  shortNames?: string[],
): ResourceType {
  return {
    group,
    version,
    kind,
    plural,
    singular: kind.toLowerCase(),
    namespaced,
    ...(shortNames ? { shortNames } : {}),
    validate: schemaOf(model),
  };
}

export const BUILT_IN: readonly ResourceType[] = [
  builtIn("", "v1", "Namespace", "namespaces", false, Namespace, ["ns"]),
  builtIn("", "v1", "ConfigMap", "configmaps", true, ConfigMap, ["cm"]),
  builtIn("", "v1", "Secret", "secrets", true, Secret),
  builtIn("", "v1", "Service", "services", true, Service, ["svc"]),
  builtIn("", "v1", "ServiceAccount", "serviceaccounts", true, ServiceAccount, ["sa"]),
  builtIn("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", true, PersistentVolumeClaim, ["pvc"]),
  builtIn("", "v1", "Pod", "pods", true, Pod, ["po"]),
  builtIn("", "v1", "Event", "events", true, Event, ["ev"]),
  builtIn("apps", "v1", "Deployment", "deployments", true, Deployment, ["deploy"]),
  builtIn("apps", "v1", "StatefulSet", "statefulsets", true, StatefulSet, ["sts"]),
  builtIn("apps", "v1", "DaemonSet", "daemonsets", true, DaemonSet, ["ds"]),
  builtIn("batch", "v1", "Job", "jobs", true, Job),
  builtIn("networking.k8s.io", "v1", "Ingress", "ingresses", true, Ingress, ["ing"]),
  builtIn(
    "apiextensions.k8s.io",
    "v1",
    "CustomResourceDefinition",
    "customresourcedefinitions",
    false,
    CustomResourceDefinition,
    ["crd"],
  ),
];

export const apiVersionOf = (type: ResourceType) =>
  type.group ? `${type.group}/${type.version}` : type.version;

/** The types known now: the built-in ones plus one per served version of every CRD. */
export class ResourceTypes {
  #types: ResourceType[] = [...BUILT_IN];

  all(): readonly ResourceType[] {
    return this.#types;
  }

  byPlural(group: string, version: string, plural: string): ResourceType | undefined {
    return this.#types.find((t) => t.group === group && t.version === version && t.plural === plural);
  }

  byKind(apiVersion: string, kind: string): ResourceType | undefined {
    return this.#types.find((t) => apiVersionOf(t) === apiVersion && t.kind === kind);
  }

  /** Serves (or stops serving, with `undefined`) the custom resources a CRD defines. */
  defineCustom(crdName: string, crd: Record<string, unknown> | undefined): void {
    this.#types = this.#types.filter((t) => (t as { crd?: string }).crd !== crdName);
    if (!crd) return;
    const spec = (crd.spec ?? {}) as {
      group?: string;
      scope?: string;
      names?: { kind?: string; plural?: string; singular?: string; shortNames?: string[] };
      versions?: { name?: string; served?: boolean }[];
    };
    for (const version of spec.versions ?? []) {
      if (!version.served || !version.name || !spec.group || !spec.names?.kind || !spec.names.plural)
        continue;
      const type: ResourceType & { crd: string } = {
        crd: crdName,
        group: spec.group,
        version: version.name,
        kind: spec.names.kind,
        plural: spec.names.plural,
        singular: spec.names.singular ?? spec.names.kind.toLowerCase(),
        namespaced: spec.scope !== "Cluster",
        ...(spec.names.shortNames ? { shortNames: spec.names.shortNames } : {}),
      };
      this.#types.push(type);
    }
  }
}
