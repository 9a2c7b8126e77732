/**
 * Kinds that live outside namespaces. A preview deploy may change its own namespace, nothing of
 * the cluster's: these are refused unless `allow_cluster_scoped: true`. The list covers the
 * built-in kinds; a custom resource's scope is known only from the API's discovery, which the
 * deploy checks again before it applies anything.
 */
export const CLUSTER_SCOPED = new Set([
  "Namespace",
  "CustomResourceDefinition",
  "ClusterRole",
  "ClusterRoleBinding",
  "PersistentVolume",
  "StorageClass",
  "IngressClass",
  "PriorityClass",
  "RuntimeClass",
  "CSIDriver",
  "CSINode",
  "VolumeAttachment",
  "Node",
  "APIService",
  "ValidatingWebhookConfiguration",
  "MutatingWebhookConfiguration",
  "ValidatingAdmissionPolicy",
  "ValidatingAdmissionPolicyBinding",
  "MutatingAdmissionPolicy",
  "MutatingAdmissionPolicyBinding",
  "CertificateSigningRequest",
  "FlowSchema",
  "PriorityLevelConfiguration",
  "ClusterIssuer",
  "ClusterTrustBundle",
  "PodSecurityPolicy",
]);

export const isClusterScoped = (kind: string) => CLUSTER_SCOPED.has(kind);
