import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { LOOPBACK } from "../ports.ts";
import { arrive } from "../request-arrival.ts";
import { makeTempDir } from "../temp-dir.ts";
import type { Account } from "./auth.ts";
import { apiError, type Reply, type Settings, type World } from "./call.ts";
import { type GiteaFailure, GiteaFaults, matches, type RequestFacts } from "./faults.ts";
import { IssueStore, snapshotIssue } from "./issues.ts";
import type { GiteaStandIn, GiteaStandInOptions, ReleaseSnapshot, RequestRecord } from "./options.ts";
import { handleRequest, routeOf } from "./pipeline.ts";
import { goTime, presentAttachment, type Site } from "./present.ts";
import { type ReleaseRecord, ReleaseStore } from "./releases.ts";
import { DEFAULT_COMMITS, GitRepository } from "./repository.ts";
import { seedReleases } from "./seed.ts";
import { loadGiteaSpec } from "./spec.ts";

const MiB = 1024 * 1024;

function settingsFrom(options: GiteaStandInOptions): Settings {
  const allowed = options.allowedTypes ?? "";
  return {
    allowedTypes: Array.isArray(allowed) ? allowed.join(",") : allowed,
    attachmentMaxSize: options.attachmentMaxSize === undefined ? 2048 * MiB : options.attachmentMaxSize,
    attachmentsEnabled: options.attachmentsEnabled ?? true,
    draftsByTag: options.draftsByTag ?? "visible",
    strictQuery: options.strictQuery ?? true,
    defaultPagingNum: options.defaultPagingNum ?? 30,
    maxResponseItems: options.maxResponseItems ?? 50,
    ignorePage: options.ignorePage ?? false,
  };
}

/** nginx's answer when a body is over client_max_body_size. */
const NGINX_413: Reply = {
  status: 413,
  contentType: "text/html",
  text: "<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n<center><h1>413 Request Entity Too Large</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
};

function faultReply(world: World, failure: GiteaFailure): Reply {
  const status = failure.status === "reset" ? 502 : failure.status;
  const reply = apiError(world, status, `failure injected by the hangar test bed (${status})`);
  if (failure.retryAfter !== undefined) reply.headers = { "Retry-After": String(failure.retryAfter) };
  return reply;
}

/** Reads and drops what is left of a request body, so the client can read the answer. */
function drain(req: IncomingMessage): Promise<void> {
  if (req.readableEnded || req.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    req.once("end", resolve);
    req.once("close", resolve);
    req.once("error", () => resolve());
    req.resume();
  });
}

async function send(res: ServerResponse, reply: Reply): Promise<void> {
  const headers: Record<string, string | number> = { "X-Content-Type-Options": "nosniff", ...reply.headers };
  if (reply.file) {
    res.writeHead(reply.status, {
      ...headers,
      "Content-Type": "application/octet-stream",
      "Content-Length": reply.file.size,
      "Content-Disposition": `attachment; filename*=UTF-8''${encodeURIComponent(reply.file.name)}`,
    });
    await pipeline(createReadStream(reply.file.path), res);
    return;
  }
  let body: Buffer | undefined;
  if (reply.json !== undefined) {
    body = Buffer.from(`${JSON.stringify(reply.json)}\n`); // Go's json.Encoder ends with a newline
    headers["Content-Type"] = "application/json;charset=utf-8";
  } else if (reply.text !== undefined) {
    body = Buffer.from(reply.text);
    headers["Content-Type"] = reply.contentType ?? "text/plain; charset=utf-8";
  }
  headers["Content-Length"] = body?.length ?? 0;
  res.writeHead(reply.status, headers);
  res.end(body);
}

function snapshot(site: Site, release: ReleaseRecord): ReleaseSnapshot {
  return {
    id: release.id,
    tag: release.tagName,
    name: release.title,
    body: release.note,
    target: release.target,
    draft: release.isDraft,
    prerelease: release.isPrerelease,
    createdAt: goTime(release.created),
    assets: release.attachments.map((each) => ({
      id: each.id,
      name: each.name,
      size: each.size,
      sha256: each.sha256,
      uuid: each.uuid,
      path: each.path,
      downloadCount: each.downloadCount,
      downloadUrl: presentAttachment(site, each).browser_download_url,
    })),
  };
}

/**
 * Starts a strict Gitea 1.22 stand-in on 127.0.0.1 for one repository: every request on the
 * implemented routes is checked against shared/testbed/specs/gitea-api-v1.22.json and answered the
 * way Gitea answers it (see README-style notes in each module for what was mirrored and from where).
 */
export async function startGiteaStandIn(options: GiteaStandInOptions = {}): Promise<GiteaStandIn> {
  const spec = await loadGiteaSpec(options.specsDir);
  const owner = options.owner ?? "hangar";
  const user = {
    id: 1,
    login: owner,
    fullName: owner,
    email: options.email ?? `${owner}@example.test`,
    isAdmin: options.admin ?? false,
  };
  const git = new GitRepository({
    defaultBranch: options.defaultBranch ?? "main",
    commits: options.commits ?? DEFAULT_COMMITS,
    branches: options.branches,
    tags: options.tags,
    author: { name: user.fullName, email: user.email },
  });
  const account: Account = {
    user,
    token: options.token ?? randomBytes(20).toString("hex"),
    password: options.password,
    scopes: options.tokenScopes ?? ["all"],
  };
  const temp = await makeTempDir("gitea");
  // HTTPS when given a certificate (createTlsCertificate), for clients' CA handling.
  const server = options.tls
    ? createTlsServer({ requestTimeout: 0, cert: options.tls.certPem, key: options.tls.keyPem })
    : createServer({ requestTimeout: 0 });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host: LOOPBACK, port: 0 }, () => resolve());
    });
  } catch (error) {
    await temp.remove();
    throw error;
  }
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("the Gitea stand-in did not get a port");
  const url = `${options.tls ? "https" : "http"}://${LOOPBACK}:${address.port}`;
  const site: Site = {
    appUrl: `${url}/`,
    owner: user,
    repo: options.repo ?? "app",
    private: options.private ?? false,
    git,
    created: new Date(Math.floor(Date.now() / 1000) * 1000),
  };
  const store = new ReleaseStore(git);
  const issues = new IssueStore([
    { ...user, collaborator: true },
    ...(options.users ?? []).map((each, index) => ({
      id: index + 2,
      login: each.login,
      fullName: each.fullName ?? each.login,
      email: each.email ?? `${each.login}@example.test`,
      isAdmin: false,
      collaborator: each.collaborator ?? true,
    })),
  ]);
  for (const seed of options.issues ?? []) {
    const poster = issues.userByName(seed.poster ?? owner);
    if (!poster) throw new Error(`seed issue "${seed.title}": poster ${seed.poster} is not one of the users`);
    issues.create({
      title: seed.title,
      body: seed.body ?? "",
      labelIds: [],
      assigneeIds: [],
      closed: seed.state === "closed",
      posterId: poster.id,
    });
  }
  const world: World = {
    spec,
    site,
    store,
    issues,
    settings: settingsFrom(options),
    version: options.version ?? "1.22.6",
    uploadDir: temp.path,
  };
  let current = { ...options };
  let proxyMaxBodySize = options.proxyMaxBodySize;
  await seedReleases(store, git, options.releases ?? [], async (name, content) => {
    const path = join(temp.path, `seed-${store.rows.length}-${name.replaceAll("/", "_")}`);
    await writeFile(path, content);
    return path;
  });
  store.events.length = 0;

  const faults = new GiteaFaults();
  const requests: RequestRecord[] = [];
  const problems: string[] = [];
  const ignored: { operationId: string; fields: string[] }[] = [];
  const observers = {
    ignoredFields: (operationId: string, fields: string[]) => ignored.push({ operationId, fields }),
    schemaProblem: (problem: string) => problems.push(problem),
  };

  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const arrival = arrive(req, requests, site.appUrl);
    const { url, method } = arrival;
    const routed = routeOf(world, method, url.pathname);
    const record: RequestRecord = {
      ...arrival.record,
      route: routed.route,
      operationId: routed.operation?.operationId,
    };
    requests.push(record);
    const facts: RequestFacts = {
      method,
      path: url.pathname,
      template: record.route,
      operationId: record.operationId,
    };
    const finish = (status: number | "reset") => {
      record.status = status;
      record.ms = arrival.elapsed();
    };
    const reset = () => {
      finish("reset");
      req.socket.destroy();
    };
    (async () => {
      const delay = faults.takeDelay(facts);
      if (delay > 0) await sleep(delay);
      const failure = faults.takeFailure(facts);
      if (failure?.status === "reset" && failure.when !== "after") return reset();
      let reply: Reply;
      const length = Number(req.headers["content-length"] ?? 0);
      if (failure && failure.when !== "after") {
        record.injected = true;
        reply = faultReply(world, failure);
      } else if (proxyMaxBodySize !== undefined && length > proxyMaxBodySize) {
        reply = NGINX_413;
      } else {
        reply = await handleRequest(world, account, req, url, routed, observers);
        if (failure) {
          record.injected = true;
          if (failure.status === "reset") {
            await drain(req);
            return reset();
          }
          reply = faultReply(world, failure);
        }
      }
      await drain(req);
      await send(res, reply);
      finish(reply.status);
    })().catch((error: unknown) => {
      problems.push(
        `internal error on ${method} ${url.pathname}: ${error instanceof Error ? error.stack : error}`,
      );
      if (res.headersSent) {
        res.destroy();
        finish("reset");
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      drain(req)
        .then(() => send(res, apiError(world, 500, user.isAdmin ? message : "")))
        .then(
          () => finish(500),
          () => reset(),
        );
    });
  });

  let stopped = false;
  return {
    url,
    apiUrl: `${url}${spec.basePath}`,
    token: account.token,
    owner,
    repo: site.repo,
    user,
    specVersion: spec.version,
    releases: () => store.rows.filter((row) => !row.isTag).map((row) => snapshot(site, row)),
    release(tag) {
      const row = store.byTag(tag);
      return row && !row.isTag ? snapshot(site, row) : undefined;
    },
    tags: () =>
      git
        .sortedTags()
        .map((tag) => ({ name: tag.name, commit: tag.commit, annotated: tag.annotated !== undefined })),
    events: () => store.events.map((event) => ({ ...event })),
    issues: () => issues.issues.map((issue) => snapshotIssue(issues, issue)),
    labels: () => issues.labels.map((label) => ({ id: label.id, name: label.name, color: label.color })),
    requests: () => requests.map((each) => ({ ...each })),
    count(matcher = {}) {
      return requests.filter(
        (each) =>
          matches(matcher, {
            method: each.method,
            path: each.path,
            template: each.route,
            operationId: each.operationId,
          }) &&
          (matcher.status === undefined || each.status === matcher.status),
      ).length;
    },
    schemaProblems: () => [...problems],
    ignoredFields: () => ignored.map((each) => ({ ...each, fields: [...each.fields] })),
    failNext: (failure) => faults.failNext(failure),
    addLatency: (latency) => faults.addLatency(latency),
    clearFaults: () => faults.clear(),
    configure(changes) {
      current = { ...current, ...changes };
      Object.assign(world.settings, settingsFrom(current));
      proxyMaxBodySize = current.proxyMaxBodySize;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await temp.remove();
    },
  };
}
