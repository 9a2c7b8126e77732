import type { IncomingMessage } from "node:http";
import { type Account, authenticate, missingScope, QUERY_TOKEN_WARNING } from "./auth.ts";
import { apiError, type Call, notFound, type OperationHandler, type Reply, type World } from "./call.ts";
import { assetHandlers, download } from "./handle-assets.ts";
import { gitHandlers } from "./handle-git.ts";
import { issueHandlers } from "./handle-issues.ts";
import { releaseHandlers } from "./handle-releases.ts";
import { bindJsonBody, checkQuery, checkResponse } from "./schema.ts";
import type { RouteMatch, SpecOperation } from "./spec.ts";

/** The operations the stand-in implements, by the spec's operationId. */
export const HANDLERS: Readonly<Record<string, OperationHandler>> = {
  ...gitHandlers,
  ...releaseHandlers,
  ...assetHandlers,
  ...issueHandlers,
};

export interface Routed {
  route: string | undefined;
  match: RouteMatch | undefined;
  operation: SpecOperation | undefined;
  download: boolean;
}

/** Which spec template (or download route) a request is for. */
export function routeOf(world: World, method: string, path: string): Routed {
  const base = world.spec.basePath;
  if (path.startsWith(`${base}/`)) {
    const match = world.spec.match(path.slice(base.length));
    return { route: match?.template, match, operation: match?.operations.get(method), download: false };
  }
  if (/^\/attachments\/[^/]+$/.test(path)) {
    return { route: "/attachments/{uuid}", match: undefined, operation: undefined, download: true };
  }
  if (/^\/[^/]+\/[^/]+\/releases\/download\/.+\/[^/]+$/.test(path)) {
    const route = "/{owner}/{repo}/releases/download/{tag}/{name}";
    return { route, match: undefined, operation: undefined, download: true };
  }
  return { route: undefined, match: undefined, operation: undefined, download: false };
}

/** chi's default answer for a path no route matches. */
const PAGE_NOT_FOUND: Reply = {
  status: 404,
  contentType: "text/plain; charset=utf-8",
  text: "404 page not found\n",
};

async function readText(req: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error(`request body over ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export interface Observers {
  ignoredFields(operationId: string, fields: string[]): void;
  schemaProblem(problem: string): void;
}

/**
 * One request through Gitea 1.22's middleware order: apiAuth (bad credentials: 401 anywhere),
 * sudo, repoAssignment (404), token scopes (403), reqToken (401), [strict query check (422)],
 * bind (422), then the handler.
 */
export async function handleRequest(
  world: World,
  account: Account,
  req: IncomingMessage,
  url: URL,
  routed: Routed,
  observers: Observers,
): Promise<Reply> {
  const method = req.method ?? "GET";
  if (routed.download) return (method === "GET" && download(world, url.pathname)) || PAGE_NOT_FOUND;
  const { match, operation } = routed;
  if (!match) return PAGE_NOT_FOUND;
  if (!operation) {
    return { status: 405, headers: { Allow: [...match.operations.keys()].join(", ") } };
  }
  const handler = HANDLERS[operation.operationId];
  if (!handler) {
    const what = `${operation.method} ${operation.template} (${operation.operationId})`;
    return apiError(
      world,
      501,
      `${what} is in the Gitea 1.22 API but the hangar Gitea stand-in does not implement it`,
    );
  }

  const auth = authenticate(req, url.searchParams, account);
  const headers: Record<string, string> = auth.viaQuery ? { "X-Gitea-Warning": QUERY_TOKEN_WARNING } : {};
  const withHeaders = (reply: Reply): Reply => ({ ...reply, headers: { ...headers, ...reply.headers } });
  if (auth.kind === "refused") return withHeaders(apiError(world, 401, auth.message));
  const viewer = auth.kind === "user" ? auth.user : undefined;
  if ((url.searchParams.get("sudo") || req.headers.sudo) && !viewer?.isAdmin) {
    return withHeaders({ status: 403, json: { message: "Only administrators allowed to sudo." } });
  }

  if (handler.repo !== false) {
    const { owner = "", repo = "" } = match.params;
    const site = world.site;
    const same =
      owner.toLowerCase() === site.owner.login.toLowerCase() &&
      repo.toLowerCase() === site.repo.toLowerCase();
    if (!same || (site.private && !viewer)) return withHeaders(notFound(world));
  }
  if (handler.repo !== false || handler.scope) {
    const scope = auth.kind === "user" ? missingScope(auth.scopes, method, handler.scope) : undefined;
    if (scope) return withHeaders(apiError(world, 403, scope));
  }
  if (handler.write && !viewer) return withHeaders(apiError(world, 401, "token is required"));
  if (world.settings.strictQuery) {
    const problem = checkQuery(world.spec, operation, url.searchParams);
    if (problem) return withHeaders(apiError(world, 422, problem));
  }

  let body: Record<string, unknown> = {};
  if (handler.body) {
    const bound = await bind(world, req, method, handler.body);
    if (typeof bound === "string") return withHeaders(apiError(world, 422, bound));
    body = bound.value;
    if (bound.ignored.length > 0) observers.ignoredFields(operation.operationId, bound.ignored);
  }

  const call: Call = {
    world,
    req,
    url,
    method,
    operation,
    params: match.params,
    query: url.searchParams,
    viewer,
    body,
  };
  const reply = withHeaders(await handler.handle(call));
  for (const problem of responseProblems(world, operation, reply)) observers.schemaProblem(problem);
  return reply;
}

/** gitea.com/go-chi/binding Bind: how the Content-Type decides what is read. */
async function bind(world: World, req: IncomingMessage, method: string, definition: string) {
  const type = (req.headers["content-type"] ?? "").toLowerCase();
  if (type.includes("json"))
    return bindJsonBody(world.spec, definition, await readText(req, 10 * 1024 * 1024));
  if (type === "") {
    // POST and PUT need a Content-Type; other methods fall back to form binding of an empty form.
    if (method === "POST" || method === "PUT") return "[]: Empty Content-Type";
    return bindJsonBody(world.spec, definition, "");
  }
  if (type.includes("form-urlencoded") || type.includes("multipart/form-data")) {
    // Gitea would bind form fields by their Go names (tag_name, is_draft …); no client needs it.
    return "[]: the hangar Gitea stand-in binds JSON bodies only (Gitea would read this as a form)";
  }
  return "[]: Unsupported Content-Type";
}

/** Checks a successful JSON answer against the response the spec documents for its status. */
function responseProblems(world: World, operation: SpecOperation, reply: Reply): string[] {
  if (reply.json === undefined || reply.status >= 300) return [];
  let schema = world.spec.responseSchema(operation, reply.status);
  if (!schema) return [`${operation.operationId}: the spec documents no ${reply.status} answer`];
  // A single exact match of git/refs/{ref} comes back as one Reference, not a list (a Gitea quirk).
  if (operation.operationId === "repoListGitRefs" && !Array.isArray(reply.json)) {
    schema = { $ref: "#/definitions/Reference" };
  }
  return checkResponse(world.spec, schema, reply.json).map(
    (problem) => `${operation.operationId}: ${problem}`,
  );
}
