import type { IncomingMessage } from "node:http";
import type { GiteaUser } from "./present.ts";

/** The header Gitea 1.22 adds when a token came in the query string (checkDeprecatedAuthMethods). */
export const QUERY_TOKEN_WARNING =
  "token and access_token API authentication is deprecated and will be removed in gitea 1.23. Please use AuthorizationHeaderToken instead. Existing queries will continue to work but without authorization.";

export interface Account {
  user: GiteaUser;
  token: string;
  /** Basic-auth password of the user; undefined: password sign-in fails. */
  password: string | undefined;
  /** Access token scopes, e.g. ["all"], ["write:repository"], ["read:repository"]. */
  scopes: readonly string[];
}

export type Authentication =
  | { kind: "anonymous"; viaQuery: false }
  | { kind: "user"; user: GiteaUser; viaQuery: boolean; scopes: readonly string[] | undefined }
  | { kind: "refused"; message: string; viaQuery: boolean };

/**
 * services/auth in Gitea 1.22: `?token=` / `?access_token=` first (deprecated but honoured),
 * then `Authorization: token <t>` (lower-case "token" only) or `Bearer <t>` (any case), then
 * Basic with the token as user name (empty or x-oauth-basic password) or as password, then Basic
 * with the password. Credentials that are present but wrong are refused with 401 on every route.
 */
export function authenticate(req: IncomingMessage, query: URLSearchParams, account: Account): Authentication {
  const queryToken = query.get("token") || query.get("access_token") || "";
  const header = req.headers.authorization ?? "";
  const fields = header.trim().split(/\s+/);
  let token = queryToken;
  if (!token && fields.length === 2 && (fields[0] === "token" || fields[0]?.toLowerCase() === "bearer")) {
    token = fields[1] ?? "";
  }
  const viaQuery = queryToken !== "";
  if (token) {
    return token === account.token
      ? { kind: "user", user: account.user, viaQuery, scopes: account.scopes }
      : { kind: "refused", message: "user does not exist [uid: 0, name: ]", viaQuery };
  }
  const [scheme, encoded] = header.split(" ", 2);
  if (scheme?.toLowerCase() !== "basic" || encoded === undefined)
    return { kind: "anonymous", viaQuery: false };
  const decoded = Buffer.from(encoded, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  const name = colon < 0 ? decoded : decoded.slice(0, colon);
  const password = colon < 0 ? "" : decoded.slice(colon + 1);
  const candidate = password === "" || password === "x-oauth-basic" ? name : password;
  if (candidate === account.token)
    return { kind: "user", user: account.user, viaQuery: false, scopes: account.scopes };
  const user = account.user;
  if (
    name.toLowerCase() === user.login.toLowerCase() &&
    account.password !== undefined &&
    password === account.password
  ) {
    return { kind: "user", user, viaQuery: false, scopes: undefined };
  }
  const uid = name.toLowerCase() === user.login.toLowerCase() ? user.id : 0;
  const shown = uid === 0 ? name : user.login;
  return { kind: "refused", message: `user does not exist [uid: ${uid}, name: ${shown}]`, viaQuery: false };
}

/**
 * tokenRequiresScopes for a category (repository; issue for issues, comments and labels; user
 * for /users): writes need write:<category>, reads either scope of it.
 */
export function missingScope(
  scopes: readonly string[] | undefined,
  method: string,
  category = "repository",
): string | undefined {
  if (scopes === undefined || scopes.includes("all")) return undefined;
  const write = ["POST", "PUT", "PATCH", "DELETE"].includes(method);
  const required = write ? `write:${category}` : `read:${category}`;
  const granted = write ? scopes.includes(required) : scopes.some((s) => s.endsWith(`:${category}`));
  return granted ? undefined : `token does not have at least one of required scope(s): [${required}]`;
}
