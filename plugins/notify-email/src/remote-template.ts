import http from "node:http";
import https from "node:https";
import { isIP, type LookupFunction } from "node:net";
import tls from "node:tls";
import { errorMessage, formatDuration, HangarError } from "@hangar/kit";
import { type AddressPolicy, checkedLookup, systemAddressPolicy } from "./address-scope.ts";

/**
 * drone-email takes `subject` and `body` as "a remote URL which gets fetched and parsed". The
 * template is fetched here, once, before any SMTP connection: within `timeout` for every
 * redirect and byte together, at most `MAX_TEMPLATE_BYTES`, trusting what the SMTP connection
 * trusts (`ca_cert`, `skip_verify`). Credentials in the URL (`https://user:token@host/t.hbs`)
 * go as Basic auth to that origin only, never along a redirect to another one, and never
 * into a message: every URL printed goes through `maskUrl`. Once a hop has reached a public
 * address, a redirect may lead only to public addresses (see `address-scope.ts`).
 */

export const MAX_TEMPLATE_BYTES = 1024 * 1024;
const MAX_REDIRECTS = 5;

export interface TemplateFetchOptions {
  timeoutMs: number;
  /** PEM certificates trusted besides the public CAs. */
  ca?: string | undefined;
  skipVerify?: boolean;
  maxBytes?: number;
  /** How hosts are resolved and classified; the system's resolver unless a test injects one. */
  addresses?: AddressPolicy;
}

export interface FetchedTemplate {
  text: string;
  bytes: number;
  /** Where it came from, credentials masked; the last URL after redirects. */
  source: string;
}

export function isTemplateUrl(value: string): boolean {
  return /^https?:\/\/\S+$/i.test(value.trim());
}

/** The URL with its user, password and query values replaced by `***`, for messages. */
export function maskUrl(value: string): string {
  try {
    const url = new URL(value.trim());
    const userinfo = url.username || url.password ? "***@" : "";
    const query = [...url.searchParams.keys()].map((key) => `${key}=***`).join("&");
    return `${url.protocol}//${userinfo}${url.host}${url.pathname}${query ? `?${query}` : ""}`;
  } catch {
    return "(a URL that does not parse)";
  }
}

/** The password and user of a URL, for the log's masker. */
export function urlCredentials(value: string): string[] {
  try {
    const url = new URL(value.trim());
    return [decodeURIComponent(url.password), decodeURIComponent(url.username)].filter(
      (part) => part.length > 0,
    );
  } catch {
    return [];
  }
}

export async function fetchTemplate(value: string, options: TemplateFetchOptions): Promise<FetchedTemplate> {
  const first = new URL(value.trim());
  const authorization =
    first.username || first.password
      ? `Basic ${Buffer.from(`${decodeURIComponent(first.username)}:${decodeURIComponent(first.password)}`).toString("base64")}`
      : undefined;
  first.username = "";
  first.password = "";
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const maxBytes = options.maxBytes ?? MAX_TEMPLATE_BYTES;
  const policy = options.addresses ?? systemAddressPolicy;
  let url = first;
  let reachedPublic = false;
  try {
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      // Credentials belong to the origin the user named; a redirect elsewhere goes without them.
      const auth = url.origin === first.origin ? authorization : undefined;
      const allowed = (address: string, hostname: string): Error | undefined => {
        const scope = policy.scope(address, hostname);
        return reachedPublic && scope !== "public"
          ? new Error(`redirected from a public address to ${hostname} (a ${scope} address), refused`)
          : undefined;
      };
      const hostname = url.hostname.replace(/^\[|\]$/g, "");
      // An IP in the URL is connected to without a lookup, so it is judged here.
      const refused = isIP(hostname) ? allowed(hostname, hostname) : undefined;
      if (refused) throw refused;
      const answer = await get(url, auth, options, deadline, maxBytes, checkedLookup(policy, allowed));
      if (policy.scope(answer.remoteAddress, hostname) === "public") reachedPublic = true;
      if ("location" in answer) {
        const next = new URL(answer.location, url);
        if (next.protocol !== "http:" && next.protocol !== "https:")
          throw new Error(`redirected to a ${next.protocol} URL`);
        if (url.protocol === "https:" && next.protocol === "http:")
          throw new Error(`redirected from https to plain http (${maskUrl(next.href)}), refused`);
        url = next;
        continue;
      }
      return { text: answer.body.toString("utf8"), bytes: answer.body.length, source: maskUrl(url.href) };
    }
    throw new Error(`more than ${MAX_REDIRECTS} redirects`);
  } catch (error) {
    const reason = deadline.aborted
      ? `no complete answer within ${formatDuration(options.timeoutMs)} (timeout)`
      : errorMessage(error);
    const via = url.href === first.href ? "" : ` (redirected to ${maskUrl(url.href)})`;
    throw new HangarError("E_TEMPLATE_FETCH", `cannot fetch ${maskUrl(value)}${via}: ${reason}`, {
      cause: error,
    });
  }
}

type Answer = ({ location: string } | { body: Buffer }) & {
  /** The address the answer came from, which decides what a redirect may lead to. */
  remoteAddress: string;
};

function get(
  url: URL,
  authorization: string | undefined,
  options: TemplateFetchOptions,
  deadline: AbortSignal,
  maxBytes: number,
  lookup: LookupFunction,
): Promise<Answer> {
  const secure = url.protocol === "https:";
  const client = secure ? https : http;
  const tlsOptions = secure
    ? {
        rejectUnauthorized: !options.skipVerify,
        ...(options.ca ? { ca: [...tls.rootCertificates, options.ca] } : {}),
      }
    : {};
  return new Promise<Answer>((resolve, reject) => {
    const request = client.get(
      url,
      {
        signal: deadline,
        // A fresh connection per hop, so every hop's host goes through the checked lookup.
        agent: false,
        lookup,
        headers: {
          accept: "text/html, text/plain, */*",
          "user-agent": "hangar-notify-email",
          ...(authorization ? { authorization } : {}),
        },
        ...tlsOptions,
      },
      (response) => {
        const status = response.statusCode ?? 0;
        const remoteAddress = response.socket.remoteAddress ?? "";
        if (status >= 300 && status < 400 && response.headers.location) {
          response.resume();
          resolve({ location: response.headers.location, remoteAddress });
          return;
        }
        if (status < 200 || status >= 300) {
          response.resume();
          reject(new Error(`the server answered ${status} ${response.statusMessage ?? ""}`.trim()));
          return;
        }
        const declared = Number(response.headers["content-length"]);
        if (Number.isFinite(declared) && declared > maxBytes) {
          response.destroy();
          reject(new Error(`the template is ${declared} bytes, over the ${maxBytes}-byte limit`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            // Rejected before the destroy, whose own "aborted" would otherwise be the reason.
            reject(new Error(`the template is over the ${maxBytes}-byte limit`));
            response.destroy();
            return;
          }
          chunks.push(chunk);
        });
        response.on("end", () => resolve({ body: Buffer.concat(chunks), remoteAddress }));
        response.on("error", reject);
        response.on("aborted", () => reject(new Error("the server closed the connection mid-answer")));
      },
    );
    request.on("error", reject);
  });
}
