/** Which requests an injected failure or delay applies to; every given field must match. */
export interface RequestMatcher {
  /** HTTP method, case-insensitive. */
  method?: string;
  /**
   * A RegExp tested against the request path (without the query), or a string that is either
   * the spec template (`/repos/{owner}/{repo}/releases/{id}/assets`), the operationId
   * (`repoCreateReleaseAttachment`) or the exact path.
   */
  pathPattern?: RegExp | string;
}

export interface GiteaFailure extends RequestMatcher {
  /** A status a proxy or an overloaded Gitea answers with, or "reset" to drop the connection. */
  status: 429 | 500 | 502 | 503 | 504 | "reset";
  /** How many matching requests fail before the server answers normally again (default 1). */
  count?: number;
  /** Seconds, sent as Retry-After. */
  retryAfter?: number;
  /**
   * "before" (default): the request is refused and changes nothing. "after": the server does
   * the work (a release is created, an asset stored) and then the answer is lost and replaced
   * by the failure — what a client sees when a proxy times out on a slow but successful call.
   */
  when?: "before" | "after";
}

export interface GiteaLatency extends RequestMatcher {
  /** Added before the request is handled. */
  ms: number;
  /** How many matching requests are delayed (default: all until removed). */
  count?: number;
}

export interface RequestFacts {
  method: string;
  path: string;
  template: string | undefined;
  operationId: string | undefined;
}

export function matches(matcher: RequestMatcher, facts: RequestFacts): boolean {
  if (matcher.method && matcher.method.toUpperCase() !== facts.method) return false;
  const pattern = matcher.pathPattern;
  if (pattern === undefined) return true;
  if (pattern instanceof RegExp) return pattern.test(facts.path);
  return pattern === facts.template || pattern === facts.operationId || pattern === facts.path;
}

interface Pending<T> {
  rule: T;
  remaining: number;
}

const STATUSES = new Set<unknown>([429, 500, 502, 503, 504, "reset"]);

/** Queued failures and delays, consumed in the order they were added. */
export class GiteaFaults {
  #failures: Pending<GiteaFailure>[] = [];
  #delays: Pending<GiteaLatency>[] = [];

  failNext(failure: GiteaFailure): void {
    const count = failure.count ?? 1;
    const problems: string[] = [];
    if (!STATUSES.has(failure.status))
      problems.push(`status ${failure.status} is not one of 429, 500, 502, 503, 504, "reset"`);
    if (!Number.isInteger(count) || count < 1) problems.push(`count ${count} is not a positive integer`);
    if (failure.when && !["before", "after"].includes(failure.when))
      problems.push(`when ${JSON.stringify(failure.when)} is not "before" or "after"`);
    if (problems.length > 0) throw new Error(`failNext: ${problems.join("; ")}`);
    this.#failures.push({ rule: failure, remaining: count });
  }

  addLatency(latency: GiteaLatency): () => void {
    if (!Number.isFinite(latency.ms) || latency.ms < 0)
      throw new Error(`addLatency: ms ${latency.ms} is not >= 0`);
    const pending = { rule: latency, remaining: latency.count ?? Number.POSITIVE_INFINITY };
    this.#delays.push(pending);
    return () => {
      this.#delays = this.#delays.filter((each) => each !== pending);
    };
  }

  /** The failure for this request, if one is queued for it (consumes one of its count). */
  takeFailure(facts: RequestFacts): GiteaFailure | undefined {
    return take(this.#failures, facts, (list) => {
      this.#failures = list;
    });
  }

  /** Total delay for this request. */
  takeDelay(facts: RequestFacts): number {
    let total = 0;
    for (const pending of this.#delays) {
      if (pending.remaining > 0 && matches(pending.rule, facts)) {
        pending.remaining -= 1;
        total += pending.rule.ms;
      }
    }
    this.#delays = this.#delays.filter((each) => each.remaining > 0);
    return total;
  }

  clear(): void {
    this.#failures = [];
    this.#delays = [];
  }
}

function take<T extends RequestMatcher>(
  list: Pending<T>[],
  facts: RequestFacts,
  update: (list: Pending<T>[]) => void,
): T | undefined {
  const pending = list.find((each) => matches(each.rule, facts));
  if (!pending) return undefined;
  pending.remaining -= 1;
  if (pending.remaining === 0) update(list.filter((each) => each !== pending));
  return pending.rule;
}
