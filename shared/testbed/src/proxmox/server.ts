import { randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import { LOOPBACK } from "../ports.ts";
import { ApiFailure, addressesOf, Cluster } from "./cluster.ts";
import type { ProxmoxRequest, ProxmoxStandIn, ProxmoxStandInOptions } from "./options.ts";
import { HANDLERS } from "./routes.ts";
import { loadProxmoxSpec, verifyParameters } from "./spec.ts";

const BASE = "/api2/json";
const MAX_BODY = 512 * 1024;

interface Session {
  ticket: string;
  csrf: string;
  user: string;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * pve-api-daemon's answer: JSON `{data}`, errors with the message in the status line, and the
 * node's time in `Date` (its own clock, which need not be the client's).
 */
function send(res: ServerResponse, status: number, message: string, body: unknown, now: number): void {
  const text = JSON.stringify(body);
  res.writeHead(status, message.replace(/[\r\n]+/g, " ").trim(), {
    Date: new Date(now).toUTCString(),
    "Content-Type": "application/json;charset=UTF-8",
    "Content-Length": Buffer.byteLength(text),
    Server: "pve-api-daemon/3.0",
    "Cache-Control": "max-age=0",
  });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new ApiFailure(413, "Request Entity Too Large");
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function parseForm(text: string, into: Record<string, string>, errors: Record<string, string>): void {
  for (const [key, value] of new URLSearchParams(text)) {
    if (key in into) errors[key] = "duplicate parameter (only one value allowed)";
    into[key] = value;
  }
}

/**
 * A strict Proxmox VE 8 API stand-in on 127.0.0.1: every request is checked against the
 * repository's copy of the API schema (unknown parameters, types, formats: 400 with Proxmox's
 * `{"errors": {...}}`), authenticated by API token or ticket + CSRF token, and answered from a
 * simulated cluster (see cluster.ts) with errors as 500 and the message in the status line.
 */
export async function startProxmoxStandIn(options: ProxmoxStandInOptions = {}): Promise<ProxmoxStandIn> {
  const spec = await loadProxmoxSpec(options.specsDir);
  const cluster = new Cluster(options);
  const tokenId = options.tokenId ?? "drone@pve!ci";
  const tokenSecret = options.tokenSecret ?? crypto.randomUUID();
  const username = options.username ?? "ci@pve";
  const password = options.password ?? randomBytes(12).toString("base64url");
  const sessions = new Map<string, Session>();
  const requests: ProxmoxRequest[] = [];
  const problems: string[] = [];
  const failCalls: { method: string; route: string; message: string }[] = [];

  const handle = async (req: IncomingMessage, record: ProxmoxRequest) => {
    const url = new URL(req.url ?? "/", "http://pve");
    const method = req.method ?? "GET";
    const body = method === "POST" || method === "PUT" ? await readBody(req) : "";
    record.body = body;
    if (!url.pathname.startsWith(`${BASE}/`))
      throw new ApiFailure(501, `Unexpected content for ${url.pathname}`);
    const path = url.pathname.slice(BASE.length);
    const matched = spec.match(path);
    const api = matched?.methods.get(method);
    if (!matched || !api) throw new ApiFailure(501, `Method '${method} ${path}' not implemented`);
    record.route = matched.path;

    const params: Record<string, string> = {};
    const duplicate: Record<string, string> = {};
    parseForm(url.search, params, duplicate);
    const type = String(req.headers["content-type"] ?? "");
    if (body !== "") {
      if (type.startsWith("application/json")) {
        const parsed = JSON.parse(body) as Record<string, unknown>;
        for (const [key, value] of Object.entries(parsed)) params[key] = String(value);
      } else if (type.startsWith("application/x-www-form-urlencoded")) parseForm(body, params, duplicate);
      else throw new ApiFailure(415, `Unsupported content type '${type}'`);
    }
    for (const [key, value] of Object.entries(matched.params)) {
      if (key in params && params[key] !== value)
        duplicate[key] = "duplicate parameter (only one value allowed)";
      params[key] = value;
    }
    record.params = params;

    // Authentication before parameters, as pve-api-daemon does.
    let user = "";
    if (!(method === "POST" && matched.path === "/access/ticket")) {
      const auth = String(req.headers.authorization ?? "");
      const cookie = /(?:^|;\s*)PVEAuthCookie=([^;]+)/.exec(String(req.headers.cookie ?? ""))?.[1];
      if (auth.startsWith("PVEAPIToken")) {
        const token = /^PVEAPIToken=([^=\s]+@[^=\s!]+![^=\s]+)=(\S+)$/.exec(auth);
        if (!token || !same(token[1] ?? "", tokenId) || !same(token[2] ?? "", tokenSecret))
          throw new ApiFailure(401, "authentication failure");
        if (!api.allowtoken) throw new ApiFailure(403, "Permission check failed (user != root@pam)");
        record.auth = "token";
        user = tokenId;
      } else if (cookie) {
        const session = sessions.get(decodeURIComponent(cookie));
        if (!session) throw new ApiFailure(401, "authentication failure");
        if (method !== "GET" && String(req.headers.csrfpreventiontoken ?? "") !== session.csrf)
          throw new ApiFailure(401, "Permission check failed (invalid csrf token)");
        record.auth = "ticket";
        user = session.user;
      } else throw new ApiFailure(401, "No ticket");
    }

    const errors = { ...verifyParameters(api, params), ...duplicate };
    if (Object.keys(errors).length > 0) throw new ApiFailure(400, "Parameter verification failed.", errors);

    const injected = failCalls.findIndex((each) => each.method === method && each.route === matched.path);
    if (injected >= 0) {
      const [failure] = failCalls.splice(injected, 1);
      throw new ApiFailure(500, failure?.message ?? "failure");
    }

    if (matched.path === "/access/ticket" && method === "POST") {
      const name =
        params.realm && !params.username?.includes("@")
          ? `${params.username}@${params.realm}`
          : params.username;
      if (name !== username || !same(params.password ?? "", password))
        throw new ApiFailure(401, "authentication failure");
      const session: Session = {
        ticket: `PVE:${username}:${randomBytes(4).toString("hex").toUpperCase()}::${randomBytes(32).toString("base64")}`,
        csrf: `${randomBytes(4).toString("hex").toUpperCase()}:${randomBytes(32).toString("base64").slice(0, 43)}`,
        user: username,
      };
      sessions.set(session.ticket, session);
      return { ticket: session.ticket, CSRFPreventionToken: session.csrf, username };
    }
    const handler = HANDLERS[`${method} ${matched.path}`];
    if (!handler) {
      problems.push(`${method} ${matched.path} is in the schema but not simulated by the stand-in`);
      throw new ApiFailure(501, `Method '${method} ${path}' not implemented in the hangar stand-in`);
    }
    return handler(cluster, params, user);
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const record: ProxmoxRequest = {
      method: req.method ?? "GET",
      path: (req.url ?? "/").split("?")[0] ?? "/",
      params: {},
      body: "",
      auth: "none",
      status: 0,
      message: "",
    };
    requests.push(record);
    handle(req, record).then(
      (data) => {
        record.status = 200;
        record.message = "OK";
        send(res, 200, "OK", { data: data ?? null }, cluster.now());
      },
      (error: unknown) => {
        if (!(error instanceof ApiFailure)) {
          problems.push(
            `internal error on ${record.method} ${record.path}: ${error instanceof Error ? error.stack : error}`,
          );
          error = new ApiFailure(500, error instanceof Error ? error.message : String(error));
        }
        const failure = error as ApiFailure;
        record.status = failure.status;
        record.message = failure.message;
        send(
          res,
          failure.status,
          failure.message,
          failure.errors ? { data: null, errors: failure.errors } : { data: null },
          cluster.now(),
        );
      },
    );
  };

  const server = options.tls
    ? createTlsServer({ cert: options.tls.certPem, key: options.tls.keyPem }, onRequest)
    : createServer(onRequest);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: LOOPBACK, port: 0 }, () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("the Proxmox VE stand-in did not get a port");

  let stopped = false;
  return {
    url: `${options.tls ? "https" : "http"}://${LOOPBACK}:${address.port}`,
    tokenId,
    tokenSecret,
    username,
    password,
    vms: () => [...cluster.vms.values()].sort((a, b) => a.vmid - b.vmid).map((vm) => cluster.snapshot(vm)),
    vm: (id) => {
      const vm = cluster.vms.get(id);
      return vm && cluster.snapshot(vm);
    },
    tasks: () => [...cluster.tasks.values()].map((each) => ({ ...each, log: [...each.log] })),
    requests: () => requests.map((each) => ({ ...each, params: { ...each.params } })),
    failNextTask: (type, message, log = []) => cluster.failNextTask(type, message, log),
    failNextCall: (method, route, message) => failCalls.push({ method, route, message }),
    addVm: (seed) => cluster.add(seed),
    lock(id, lock) {
      const vm = cluster.vms.get(id);
      if (!vm) throw new Error(`no VM ${id}`);
      vm.lock = lock;
    },
    configure(changes) {
      if (changes.taskMs) cluster.taskMs = { ...cluster.taskMs, ...changes.taskMs };
      if (changes.agentDelayMs !== undefined) cluster.agentDelayMs = changes.agentDelayMs;
      if (changes.lockAfterCloneMs !== undefined) cluster.lockAfterCloneMs = changes.lockAfterCloneMs;
      if (changes.createDelayMs !== undefined) cluster.createDelayMs = changes.createDelayMs;
      if (changes.guestAddress !== undefined) cluster.guestAddresses = addressesOf(changes.guestAddress);
      if (changes.clockOffsetMs !== undefined) cluster.clockOffsetMs = changes.clockOffsetMs;
    },
    problems: () => [...problems],
    async stop() {
      if (stopped) return;
      stopped = true;
      cluster.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The stand-in with every guest reporting 127.0.0.1 on net0 (on its own interface, beside the
 * `lo` a real agent lists too): for a demo or test that runs proxmox-vm create, then reaches the
 * VM at `PROXMOX_VM_IP` (a test bed sshd standing for the guest's sshd), then destroy.
 */
export function startProxmoxWithLoopbackGuests(
  options: Omit<ProxmoxStandInOptions, "guestAddress"> = {},
): Promise<ProxmoxStandIn> {
  return startProxmoxStandIn({ ...options, guestAddress: LOOPBACK });
}
