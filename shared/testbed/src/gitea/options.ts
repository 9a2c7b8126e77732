import type { GiteaFailure, GiteaLatency, RequestMatcher } from "./faults.ts";
import type { GiteaUser } from "./present.ts";
import type { GiteaEvent } from "./releases.ts";
import type { GiteaSeedCommit, GiteaSeedTag } from "./repository.ts";

export interface GiteaSeedRelease {
  tag: string;
  /** Where the tag is created when it does not exist (default: the default branch). */
  target?: string;
  name?: string;
  body?: string;
  draft?: boolean;
  prerelease?: boolean;
  assets?: { name: string; content: string | Uint8Array }[];
}

/** An issue that is there before the test starts, e.g. one a person (not the token's user) opened. */
export interface GiteaSeedIssue {
  title: string;
  body?: string;
  /** Who opened it: the owner (the token's user, default) or one of `users`. */
  poster?: string;
  state?: "open" | "closed";
}

export interface GiteaStandInOptions {
  /** Default "hangar"; also the token's user. */
  owner?: string;
  /** Default "app". */
  repo?: string;
  /** The access token (default: 40 random hex digits, like Gitea's). */
  token?: string;
  /** Scopes of the token (default ["all"]); e.g. ["read:repository"] to see writes refused with 403. */
  tokenScopes?: string[];
  /** Other users of the site (ids from 2), assignable unless `collaborator: false`. */
  users?: { login: string; fullName?: string; email?: string; collaborator?: boolean }[];
  /** Lets Basic auth with the owner's name and this password sign in. */
  password?: string;
  /** Whether the owner is a site admin: admins see the messages of 500 answers. Default false. */
  admin?: boolean;
  /** The owner's e-mail; commits by this address get the user as author. Default `<owner>@example.test`. */
  email?: string;
  /** A private repository is invisible (404) without the token. Default false. */
  private?: boolean;
  defaultBranch?: string;
  /** The history, oldest first (default: three commits). An empty list makes an empty repository. */
  commits?: GiteaSeedCommit[];
  /** More branches: name to commit (sha, prefix or ref). */
  branches?: Record<string, string>;
  tags?: GiteaSeedTag[];
  releases?: GiteaSeedRelease[];
  /** Issues, numbered from 1 in this order. */
  issues?: GiteaSeedIssue[];
  /** What GET /version answers. Default "1.22.6". */
  version?: string;
  /** `[repository.release] ALLOWED_TYPES`: extensions, MIME types, `type/*`; empty allows all. */
  allowedTypes?: string | string[];
  /**
   * `[attachment] MAX_SIZE` in bytes (default 2048 MiB, Gitea's default of MAX_SIZE = 2048).
   * Bigger uploads get 413 `attachment exceeds limit N`, as Gitea 1.25+ answers. Gitea 1.22 itself
   * does not apply this limit to API uploads (go-gitea/gitea#35512): set null to mirror that.
   */
  attachmentMaxSize?: number | null;
  /** `[attachment] ENABLED` (default true); when off, uploads answer 404 "Attachment is not enabled". */
  attachmentsEnabled?: boolean;
  /**
   * A reverse proxy's body limit in bytes (nginx `client_max_body_size`, 1 MiB by default there):
   * a request whose Content-Length is bigger gets nginx's HTML 413 before Gitea sees it.
   */
  proxyMaxBodySize?: number;
  /** GET /releases/tags/{tag} finds drafts in Gitea 1.22 ("visible", default); "hidden" acts like GitHub. */
  draftsByTag?: "visible" | "hidden";
  /** 422 for unknown or ill-typed query parameters (default true; Gitea itself ignores them). */
  strictQuery?: boolean;
  /** `[api] DEFAULT_PAGING_NUM` (30) and `MAX_RESPONSE_ITEMS` (50). */
  defaultPagingNum?: number;
  maxResponseItems?: number;
  /**
   * Hostile: every list answers its first page whatever `?page=` asks (a proxy that drops the
   * query string, a broken server), so a client that pages until a short page never ends.
   */
  ignorePage?: boolean;
  /** Serve HTTPS with this certificate (e.g. from createTlsCertificate) instead of HTTP. */
  tls?: { certPem: string; keyPem: string };
  /** Directory of gitea-api-v1.22.json (default: HANGAR_SPECS_DIR or shared/testbed/specs). */
  specsDir?: string;
}

export interface AssetSnapshot {
  id: number;
  name: string;
  size: number;
  sha256: string;
  uuid: string;
  /** The stored bytes on disk. */
  path: string;
  downloadCount: number;
  downloadUrl: string;
}

export interface ReleaseSnapshot {
  id: number;
  tag: string;
  name: string;
  body: string;
  target: string;
  draft: boolean;
  prerelease: boolean;
  createdAt: string;
  assets: AssetSnapshot[];
}

export interface IssueSnapshot {
  number: number;
  title: string;
  body: string;
  state: "open" | "closed";
  labels: string[];
  assignees: string[];
  comments: string[];
}

export interface RequestRecord {
  seq: number;
  /** Milliseconds since the epoch when the request arrived. */
  at: number;
  method: string;
  path: string;
  /** The query string with its "?", or "". */
  search: string;
  /** The spec template (or the download route), when the path matched one. */
  route: string | undefined;
  operationId: string | undefined;
  /** The status sent, or "reset" when the connection was dropped (0 while in flight). */
  status: number | "reset";
  /** Whether an injected failure answered it. */
  injected: boolean;
  ms: number;
}

export interface GiteaStandIn {
  /** ROOT_URL without the trailing slash: http://127.0.0.1:PORT */
  readonly url: string;
  /** `${url}/api/v1` */
  readonly apiUrl: string;
  readonly token: string;
  readonly owner: string;
  readonly repo: string;
  readonly user: GiteaUser;
  /** The version of the schema the requests are checked against. */
  readonly specVersion: string;
  /** Releases (not plain tags), by id, with draft flag and assets. */
  releases(): ReleaseSnapshot[];
  release(tag: string): ReleaseSnapshot | undefined;
  /** Git tags (drafts have none yet). */
  tags(): { name: string; commit: string; annotated: boolean }[];
  /** What happened, in order, with timestamps: releases created/updated/published, assets uploaded … */
  events(): GiteaEvent[];
  /** Issues in creation order, with their labels' and assignees' names and comment bodies. */
  issues(): IssueSnapshot[];
  /** Labels of the repository, in creation order (Gitea allows two of one name). */
  labels(): { id: number; name: string; color: string }[];
  /** Every request, in arrival order. */
  requests(): RequestRecord[];
  /** Requests matching method/path (as in failNext) and, if given, the status sent. */
  count(matcher?: RequestMatcher & { status?: number }): number;
  /** Where the stand-in's own answers did not match the schema's response definitions. */
  schemaProblems(): string[];
  /** JSON body keys that Gitea would have ignored (misspelt or unknown fields), per operation. */
  ignoredFields(): { operationId: string; fields: string[] }[];
  failNext(failure: GiteaFailure): void;
  /** Delays matching requests; returns a function that removes the delay. */
  addLatency(latency: GiteaLatency): () => void;
  clearFaults(): void;
  /** Changes the app.ini-like settings of the running stand-in. */
  configure(
    changes: Pick<
      GiteaStandInOptions,
      | "allowedTypes"
      | "attachmentMaxSize"
      | "attachmentsEnabled"
      | "proxyMaxBodySize"
      | "draftsByTag"
      | "strictQuery"
      | "ignorePage"
    >,
  ): void;
  stop(): Promise<void>;
}
