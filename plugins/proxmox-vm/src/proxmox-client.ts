import { Agent as HttpAgent, request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { HangarError, type Logger, TimeoutError } from "@hangar/kit";
import { agentFor, explainTlsError, type TlsTrust } from "./tls.ts";

/**
 * The Proxmox VE API over node:http(s): form-encoded writes, `{data}` answers, errors with the
 * message in the status line (where pve-api-daemon puts it) and parameter errors in `errors`.
 * Every call is bounded by the step's deadline and its own per-call limit, and its answer by a
 * size cap. Secrets go only into the Authorization header or the ticket login's body.
 */

export type Auth =
  | { kind: "token"; tokenId: string; secret: string }
  | { kind: "password"; username: string; password: string };

export interface ClientOptions {
  baseUrl: string;
  auth: Auth;
  tls: TlsTrust;
  /** Longest wait for one call's answer. */
  callTimeoutMs: number;
}

const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

export class ProxmoxError extends HangarError {
  readonly status: number;
  readonly pveMessage: string;
  readonly errors: Record<string, string>;

  constructor(what: string, status: number, pveMessage: string, errors: Record<string, string> = {}) {
    const detail = Object.entries(errors)
      .map(([key, text]) => `${key}: ${text}`)
      .join("; ");
    super(
      status === 401 ? "E_PROXMOX_AUTH" : "E_PROXMOX_API",
      `${what}: Proxmox answered ${status} ${pveMessage}${detail ? ` (${detail})` : ""}`,
      status === 401
        ? {
            hint: "Check token_id/token_secret (or username/password); an API token's id is USER@REALM!TOKENID.",
          }
        : status === 403
          ? {
              hint: "The token lacks a privilege: see the docs' minimum privileges (and untick privilege separation or grant the token itself).",
            }
          : {},
    );
    this.status = status;
    this.pveMessage = pveMessage;
    this.errors = errors;
  }
}

interface Ticket {
  cookie: string;
  csrf: string;
}

/** How far the Proxmox node's clock is from this runner's, from its answers' `Date` header. */
interface ServerClock {
  offsetMs: number | undefined;
}

export class ProxmoxApi {
  readonly #options: ClientOptions;
  readonly #agent: HttpAgent;
  readonly #signal: AbortSignal;
  readonly log: Logger;
  readonly #clock: ServerClock;
  #ticket: Promise<Ticket> | undefined;

  constructor(
    options: ClientOptions,
    log: Logger,
    signal: AbortSignal,
    agent?: HttpAgent,
    ticket?: Promise<Ticket>,
    clock: ServerClock = { offsetMs: undefined },
  ) {
    this.#clock = clock;
    this.#options = options;
    // Plain http only with `insecure` (checked with the settings): a local test or a proxy in front.
    this.#agent =
      agent ??
      (options.baseUrl.startsWith("http://")
        ? new HttpAgent({ keepAlive: true, maxSockets: 16 })
        : agentFor(options.tls));
    this.#signal = signal;
    this.log = log;
    this.#ticket = ticket;
  }

  /** The same client under another signal: clean-up after a cancel runs under the grace period. */
  withSignal(signal: AbortSignal): ProxmoxApi {
    return new ProxmoxApi(this.#options, this.log, signal, this.#agent, this.#ticket, this.#clock);
  }

  /**
   * The time on the Proxmox node, as its last answer's `Date` header gave it (to the second):
   * VM ages are measured by one clock, the cluster's, not by whichever runner a step ran on.
   * Before any answer (or behind a proxy that drops the header), this runner's clock.
   */
  serverNow(): Date {
    return new Date(Date.now() + (this.#clock.offsetMs ?? 0));
  }

  get knowsServerClock(): boolean {
    return this.#clock.offsetMs !== undefined;
  }

  get signal(): AbortSignal {
    return this.#signal;
  }

  get<T>(path: string, params: Record<string, string | number | undefined> = {}): Promise<T> {
    return this.call<T>("GET", path, params);
  }
  post<T>(path: string, params: Record<string, string | number | undefined> = {}): Promise<T> {
    return this.call<T>("POST", path, params);
  }
  put<T>(path: string, params: Record<string, string | number | undefined> = {}): Promise<T> {
    return this.call<T>("PUT", path, params);
  }
  delete<T>(path: string, params: Record<string, string | number | undefined> = {}): Promise<T> {
    return this.call<T>("DELETE", path, params);
  }

  async call<T>(
    method: string,
    path: string,
    params: Record<string, string | number | undefined>,
  ): Promise<T> {
    const form = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) if (value !== undefined) form.set(key, String(value));
    const headers: Record<string, string> = { Accept: "application/json" };
    const { auth } = this.#options;
    if (auth.kind === "token") headers.Authorization = `PVEAPIToken=${auth.tokenId}=${auth.secret}`;
    else {
      const ticket = await this.#login();
      headers.Cookie = ticket.cookie;
      if (method !== "GET") headers.CSRFPreventionToken = ticket.csrf;
    }
    const answer = await this.#send(method, path, form, headers);
    return answer as T;
  }

  #login(): Promise<Ticket> {
    if (!this.#ticket) {
      const { auth } = this.#options;
      if (auth.kind !== "password") throw new Error("no password login with a token");
      const form = new URLSearchParams({ username: auth.username, password: auth.password });
      this.#ticket = this.#send("POST", "/access/ticket", form, { Accept: "application/json" }).then(
        (data) => {
          const { ticket, CSRFPreventionToken } = (data ?? {}) as {
            ticket?: string;
            CSRFPreventionToken?: string;
          };
          if (!ticket || !CSRFPreventionToken)
            throw new HangarError(
              "E_PROXMOX_AUTH",
              "the login answered without a ticket (two-factor login is not supported; use an API token)",
            );
          return { cookie: `PVEAuthCookie=${encodeURIComponent(ticket)}`, csrf: CSRFPreventionToken };
        },
      );
      this.#ticket.catch(() => {
        this.#ticket = undefined;
      });
    }
    return this.#ticket;
  }

  #send(
    method: string,
    path: string,
    form: URLSearchParams,
    headers: Record<string, string>,
  ): Promise<unknown> {
    const write = method === "POST" || method === "PUT";
    const query = !write && form.size > 0 ? `?${form}` : "";
    const url = new URL(`${this.#options.baseUrl}/api2/json${path}${query}`);
    const body = write ? form.toString() : undefined;
    if (body !== undefined) {
      headers["Content-Type"] = "application/x-www-form-urlencoded";
      headers["Content-Length"] = String(Buffer.byteLength(body));
    }
    const what = `${method} ${path}`;
    const limit = AbortSignal.timeout(this.#options.callTimeoutMs);
    const signal = AbortSignal.any([this.#signal, limit]);
    const request = url.protocol === "https:" ? httpsRequest : httpRequest;
    return new Promise<unknown>((resolve, reject) => {
      if (signal.aborted)
        return reject(
          this.#signal.aborted
            ? this.#signal.reason
            : new TimeoutError(`Proxmox to answer ${what}`, this.#options.callTimeoutMs),
        );
      const options = { method, headers, agent: this.#agent, signal, handshakeSignal: signal };
      const req = request(url, options, (res) => {
        const date = Date.parse(String(res.headers.date ?? ""));
        if (Number.isFinite(date)) this.#clock.offsetMs = date - Date.now();
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_ANSWER_BYTES) {
            req.destroy(
              new HangarError(
                "E_PROXMOX_ANSWER_TOO_LARGE",
                `${what}: the answer is over ${MAX_ANSWER_BYTES} bytes; is url the Proxmox API?`,
              ),
            );
            return;
          }
          chunks.push(chunk);
        });
        res.on("error", reject);
        res.on("end", () => {
          const status = res.statusCode ?? 0;
          let parsed: { data?: unknown; errors?: Record<string, string>; message?: string } | undefined;
          try {
            parsed = JSON.parse(Buffer.concat(chunks).toString("utf8"));
          } catch {
            parsed = undefined;
          }
          if (status >= 200 && status < 300 && parsed && typeof parsed === "object")
            return resolve(parsed.data);
          if (status >= 200 && status < 300)
            return reject(
              new HangarError(
                "E_PROXMOX_API",
                `${what}: the answer is not Proxmox's JSON; is url the Proxmox API (https://host:8006)?`,
              ),
            );
          // Masked before it is cut: a secret cut in two is a piece the log's masker cannot know.
          const message = this.log.mask
            .apply((res.statusMessage || parsed?.message || "").trim())
            .slice(0, 300);
          const errors = parsed?.errors && typeof parsed.errors === "object" ? parsed.errors : {};
          reject(new ProxmoxError(what, status, message, errors));
        });
      });
      req.on("error", (error) => {
        if (this.#signal.aborted) return reject(this.#signal.reason);
        if (limit.aborted)
          return reject(new TimeoutError(`Proxmox to answer ${what}`, this.#options.callTimeoutMs));
        const tls = explainTlsError(error);
        if (tls) return reject(tls);
        if (error instanceof HangarError) return reject(error);
        reject(
          new HangarError(
            "E_PROXMOX_UNREACHABLE",
            `${what}: cannot reach ${url.origin} (${(error as Error).message})`,
            {
              hint: "Check url (https://host:8006) and that the runner can reach the node.",
            },
          ),
        );
      });
      req.end(body);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** The message Proxmox gave for a failed call, or undefined when it was not an API answer. */
export function pveMessage(error: unknown): string | undefined {
  return error instanceof ProxmoxError
    ? `${error.pveMessage} ${Object.values(error.errors).join(" ")}`
    : undefined;
}
