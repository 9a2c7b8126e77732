import type { Json } from "./apply.ts";
import { apiVersionOf, type ResourceType, type SchemaIssue } from "./resources.ts";

/** A `metav1.Status` failure, thrown by the store and sent as the answer. */
export class ApiError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly details: Json | undefined;

  constructor(code: number, reason: string, message: string, details?: Json) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.details = details;
  }

  toStatus(): Json {
    return {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: this.message,
      reason: this.reason,
      ...(this.details === undefined ? {} : { details: this.details }),
      code: this.code,
    };
  }
}

/** `deployments.apps`, `namespaces`: how messages name a resource. */
export const groupResource = (type: ResourceType) =>
  type.group ? `${type.plural}.${type.group}` : type.plural;
/** `Deployment.apps`: how "is invalid" messages name a kind. */
const groupKind = (type: ResourceType) => (type.group ? `${type.kind}.${type.group}` : type.kind);

export function notFound(type: ResourceType, name: string): ApiError {
  return new ApiError(404, "NotFound", `${groupResource(type)} "${name}" not found`, {
    name,
    group: type.group,
    kind: type.plural,
  });
}

export function invalid(type: ResourceType, name: string, issues: SchemaIssue[]): ApiError {
  const text = issues.map((issue) => `${issue.field ? `${issue.field}: ` : ""}${issue.message}`);
  return new ApiError(422, "Invalid", `${groupKind(type)} "${name}" is invalid: ${text.join(", ")}`, {
    name,
    group: type.group,
    kind: type.kind,
    causes: issues.map((issue) => ({
      reason: "FieldValueInvalid",
      message: issue.message,
      field: issue.field,
    })),
  });
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, "BadRequest", message);
}

/** The API server's answer to a verb a resource (or this stand-in) does not serve. */
export function methodNotAllowed(
  message = "the server does not allow this method on the requested resource",
): ApiError {
  return new ApiError(405, "MethodNotAllowed", message);
}

export { apiVersionOf };
