import type { IncomingMessage } from "node:http";

/** What the Gitea and Kubernetes stand-ins record of every request the moment it arrives. */
export interface ArrivedRequest {
  /** 1 for the first request the stand-in saw. */
  seq: number;
  /** Milliseconds since the epoch when the request arrived. */
  at: number;
  method: string;
  path: string;
  /** The query string with its "?", or "". */
  search: string;
  /** 0 while in flight. */
  status: number;
  injected: boolean;
  ms: number;
}

export interface Arrival {
  url: URL;
  method: string;
  /** The start of the request's record; the stand-in adds its own fields. */
  record: ArrivedRequest;
  /** Milliseconds since the request arrived, for the record's `ms` when it is answered. */
  elapsed(): number;
}

/** A request as it arrives, numbered after the `recorded` ones before it. */
export function arrive(req: IncomingMessage, recorded: readonly unknown[], base: string): Arrival {
  const started = performance.now();
  const url = new URL(req.url ?? "/", base);
  const method = req.method ?? "GET";
  const record: ArrivedRequest = {
    seq: recorded.length + 1,
    at: Date.now(),
    method,
    path: url.pathname,
    search: url.search,
    status: 0,
    injected: false,
    ms: 0,
  };
  return { url, method, record, elapsed: () => performance.now() - started };
}
