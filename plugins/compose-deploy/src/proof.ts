import { setTimeout as sleep } from "node:timers/promises";
import type { RemoteHost } from "@hangar/kit";
import {
  errorMessage,
  formatDuration,
  HangarError,
  type Logger,
  pollUntil,
  TimeoutError,
  withTimeout,
} from "@hangar/kit";
import { type ContainerState, judgeService, projectContainers } from "./compose.ts";

/**
 * The proof that a deploy worked: every deployed service runs (healthy where it has a health
 * check), then the verify URL answers the expected status. Only then is a release current.
 */

/** The deploy did not prove itself; `services` are the ones to show state and logs of. */
export class ProofFailed extends HangarError {
  readonly services: string[];

  constructor(message: string, services: string[], code = "E_NOT_HEALTHY") {
    super(code, message);
    this.name = "ProofFailed";
    this.services = services;
  }
}

export interface WaitOptions {
  project: string;
  services: readonly string[];
  timeoutMs: number;
  log: Logger;
  signal?: AbortSignal | undefined;
  /** The containers to judge; default: the project's (a rollout judges its new containers only). */
  list?: (() => Promise<ContainerState[]>) | undefined;
}

/** Polls the containers until every service is ready; fails at once when one cannot get there. */
export async function waitForServices(remote: RemoteHost, options: WaitOptions): Promise<ContainerState[]> {
  const { services, log } = options;
  log.info(
    `waiting up to ${formatDuration(options.timeoutMs)} for ${services.join(", ")} to run and be healthy`,
  );
  let lastReport = "";
  let pending: string[] = [...services];
  try {
    return await pollUntil(
      async () => {
        const states = await (options.list ? options.list() : projectContainers(remote, options.project));
        const verdicts = services.map((service) => ({ service, ...judgeService(service, states) }));
        const failed = verdicts.filter((verdict) => verdict.state === "failed");
        if (failed.length > 0) {
          throw new ProofFailed(
            `not healthy: ${failed.map((verdict) => verdict.why).join("; ")}`,
            failed.map((verdict) => verdict.service),
          );
        }
        const waiting = verdicts.filter((verdict) => verdict.state === "pending");
        pending = waiting.map((verdict) => verdict.service);
        const report = waiting.map((verdict) => verdict.why).join("; ");
        if (report !== lastReport && report !== "") log.info(`  waiting: ${report}`);
        lastReport = report;
        if (waiting.length > 0) return { pending: report };
        for (const verdict of verdicts) log.info(`  ✔ ${verdict.why}`);
        return states;
      },
      {
        what: `${services.join(", ")} to run and be healthy`,
        timeoutMs: options.timeoutMs,
        // Each look is one command on the open connection; health checks tick every second or
        // so, and a look that comes late is time the deploy waits for nothing.
        intervalMs: 500,
        maxIntervalMs: 1000,
        signal: options.signal,
      },
    );
  } catch (error) {
    if (error instanceof TimeoutError)
      throw new ProofFailed(`not healthy in time: ${error.message}`, pending);
    throw error;
  }
}

export interface HttpAnswer {
  status: number;
  body: string;
}

/** One GET of a URL, from wherever the probe runs. */
export type HttpProbe = (url: string, timeoutMs: number, signal?: AbortSignal) => Promise<HttpAnswer>;

const BODY_LIMIT = 300;

/** Fetches the URL from the runner; reads no more of the body than it shows. */
export function runnerProbe(fetchImpl: typeof fetch): HttpProbe {
  return async (url, timeoutMs, signal) => {
    const deadline = AbortSignal.timeout(timeoutMs);
    const response = await fetchImpl(url, {
      redirect: "manual",
      signal: signal ? AbortSignal.any([signal, deadline]) : deadline,
    });
    return { status: response.status, body: await bodyStart(response) };
  };
}

/** The first BODY_LIMIT characters of a body; an endless one is cancelled, not read to the end. */
async function bodyStart(response: Response): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return "";
  const decoder = new TextDecoder();
  let body = "";
  try {
    while (body.length < BODY_LIMIT) {
      const { done, value } = await reader.read();
      if (done) break;
      body += decoder.decode(value, { stream: true });
    }
  } catch {
    // A body cut off by the deadline still has its status.
  } finally {
    await reader.cancel().catch(() => {});
  }
  return body.slice(0, BODY_LIMIT);
}

/**
 * Fetches the URL on the host: the TCP connection is opened by the host's sshd (direct-tcpip on
 * the deploy's SSH connection), so `http://127.0.0.1:8080/health` means the host's own port.
 */
export function hostProbe(remote: RemoteHost): HttpProbe {
  return async (url, timeoutMs, signal) => {
    const target = new URL(url);
    const https = target.protocol === "https:";
    const port = Number(target.port) || (https ? 443 : 80);
    const host = target.hostname.replace(/^\[|\]$/g, "");
    // The deadline covers opening the connection on the host too (a port behind a firewall
    // that drops packets), not only the answer.
    const channel = await withTimeout(`a connection from the host to ${host}:${port}`, timeoutMs, () =>
      remote.forward(host, port),
    );
    const socket = https
      ? (await import("node:tls")).connect({
          socket: channel,
          servername: /^[\d.:]+$/.test(host) ? undefined : host,
        })
      : channel;
    const { request } = https ? await import("node:https") : await import("node:http");
    return new Promise<HttpAnswer>((resolve, reject) => {
      const fail = (error: Error) => {
        clearTimeout(timer);
        channel.destroy();
        reject(error);
      };
      // Settled here, not by the request's events: a destroyed request that had an answer's head
      // emits no error of its own.
      const timer = setTimeout(() => {
        req.destroy();
        fail(new Error(`no answer within ${formatDuration(timeoutMs)}`));
      }, timeoutMs);
      signal?.addEventListener(
        "abort",
        () => {
          req.destroy();
          fail(new Error("cancelled"));
        },
        { once: true },
      );
      const req = request(
        target,
        { method: "GET", headers: { connection: "close" }, createConnection: () => socket as never },
        (response) => {
          let body = "";
          const done = () => {
            clearTimeout(timer);
            channel.destroy();
            resolve({ status: response.statusCode ?? 0, body: body.slice(0, BODY_LIMIT) });
          };
          response.setEncoding("utf8");
          response.on("data", (chunk: string) => {
            body += chunk;
            // Enough to show: an endless body is not read on.
            if (body.length >= BODY_LIMIT) done();
          });
          response.on("end", done);
          response.on("error", fail);
        },
      );
      req.on("error", fail);
      req.end();
    });
  };
}

export interface VerifyOptions {
  url: string;
  status: number;
  retries: number;
  intervalMs: number;
  timeoutMs: number;
  log: Logger;
  signal?: AbortSignal | undefined;
}

/** Tries the URL until it answers the expected status, `retries` times at most. */
export async function verifyUrl(probe: HttpProbe, options: VerifyOptions): Promise<void> {
  const { url, status, retries, log } = options;
  let last = "";
  for (let attempt = 1; attempt <= retries; attempt++) {
    try {
      const answer = await probe(url, options.timeoutMs, options.signal);
      if (answer.status === status) {
        log.info(`  ✔ ${url} answered ${answer.status}${attempt > 1 ? ` on try ${attempt}` : ""}`);
        return;
      }
      last = `${answer.status}${answer.body.trim() ? `: ${oneLine(answer.body)}` : ""}`;
    } catch (error) {
      options.signal?.throwIfAborted();
      last = errorMessage(error);
    }
    log.info(`  try ${attempt}/${retries}: ${url} → ${last}`);
    if (attempt < retries) await sleep(options.intervalMs, undefined, { signal: options.signal });
  }
  throw new ProofFailed(
    `${url} did not answer ${status} in ${retries} tries ${formatDuration(options.intervalMs)} apart (last: ${last})`,
    [],
    "E_VERIFY_FAILED",
  );
}

function oneLine(text: string): string {
  const line = text.trim().replace(/\s+/g, " ");
  return line.length > 120 ? `${line.slice(0, 120)}…` : line;
}
