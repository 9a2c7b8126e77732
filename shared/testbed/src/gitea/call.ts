import type { IncomingMessage } from "node:http";
import type { IssueStore } from "./issues.ts";
import type { PagingSettings } from "./pagination.ts";
import type { GiteaUser, Site } from "./present.ts";
import { GiteaError, type ReleaseStore } from "./releases.ts";
import type { GiteaSpec, SpecOperation } from "./spec.ts";

/** What the stand-in's settings model from app.ini. */
export interface Settings extends PagingSettings {
  /** `[repository.release] ALLOWED_TYPES`, comma-separated; empty allows everything. */
  allowedTypes: string;
  /** Bytes; null: not enforced for API uploads (true of Gitea 1.22 itself, see options.ts). */
  attachmentMaxSize: number | null;
  /** `[attachment] ENABLED`. */
  attachmentsEnabled: boolean;
  /** Whether GET /releases/tags/{tag} finds drafts ("visible", as Gitea 1.22 does) or not. */
  draftsByTag: "visible" | "hidden";
  /** Strict: unknown or ill-typed query parameters are a 422 (Gitea itself ignores them). */
  strictQuery: boolean;
}

/** Everything a handler may read or change. */
export interface World {
  spec: GiteaSpec;
  site: Site;
  store: ReleaseStore;
  /** Issues, comments, labels and the site's users. */
  issues: IssueStore;
  settings: Settings;
  version: string;
  /** Where uploads are written. */
  uploadDir: string;
}

/** A response before it is sent, so a fault injected "after" the work can replace it. */
export interface Reply {
  status: number;
  json?: unknown;
  text?: string;
  contentType?: string;
  headers?: Record<string, string>;
  file?: { path: string; size: number; name: string };
}

export interface Call {
  world: World;
  req: IncomingMessage;
  url: URL;
  method: string;
  operation: SpecOperation;
  params: Record<string, string>;
  query: URLSearchParams;
  viewer: GiteaUser | undefined;
  /** The JSON body bound to the operation's body definition ({} when it has none). */
  body: Record<string, unknown>;
}

export interface OperationHandler {
  /** Runs repoAssignment first (404 for another owner/repo). Default true. */
  repo?: boolean;
  /** The token scope category the route is under (tokenRequiresScopes); default repository. */
  scope?: "issue" | "user";
  /** Needs a signed-in user with write access (reqToken + reqRepoWriter). */
  write?: boolean;
  /** The request definition the JSON body is bound to (bind(api.X{})). */
  body?: string;
  handle(call: Call): Promise<Reply> | Reply;
}

export const swaggerUrl = (world: World) => `${world.site.appUrl}api/swagger`;

/** ctx.Error / APIError: `{"message": …, "url": …}`. */
export function apiError(world: World, status: number, message: string): Reply {
  return { status, json: { message, url: swaggerUrl(world) } };
}

/** ctx.NotFound(): a string argument replaces the message, errors are listed (null when none). */
export function notFound(
  world: World,
  message = "The target couldn't be found.",
  errors: string[] | null = null,
): Reply {
  return { status: 404, json: { errors, message, url: swaggerUrl(world) } };
}

/** A GiteaError as Gitea writes it; a 500's message is hidden from anyone but a site admin. */
export function errorReply(call: Call, error: unknown): Reply {
  if (!(error instanceof GiteaError)) throw error;
  if (error.kind === "notFound") return notFound(call.world, error.message);
  const hidden = error.status === 500 && call.viewer?.isAdmin !== true;
  return apiError(call.world, error.status, hidden ? "" : error.message);
}

/** ctx.ParamsInt64: anything but an integer reads as 0, which no row has. */
export function paramId(call: Call, name: string): number {
  const text = call.params[name] ?? "";
  return /^[+-]?\d+$/.test(text) ? Number.parseInt(text, 10) : 0;
}

export function canWrite(call: Call): boolean {
  return call.viewer !== undefined;
}
