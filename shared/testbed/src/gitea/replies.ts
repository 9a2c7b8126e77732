import { type Call, errorReply, notFound, type Reply } from "./call.ts";
import { linkHeader, listOptions, pageOf } from "./pagination.ts";

// What several of Gitea's API handlers answer alike, written once for the stand-in's handlers.

/** A page of a list with X-Total-Count and Link, as ctx.SetTotalCountHeader and SetLinkHeader write them. */
export function paged<T>(call: Call, all: readonly T[], present: (item: T) => unknown): Reply {
  const options = listOptions(call.query, call.world.settings);
  const headers: Record<string, string> = { "X-Total-Count": String(all.length) };
  const link = linkHeader(call.world.site.appUrl, call.url, all.length, options.pageSize);
  if (link) headers.Link = link;
  headers["Access-Control-Expose-Headers"] = link ? "Link, X-Total-Count" : "X-Total-Count";
  return { status: 200, headers, json: pageOf(all, options).map(present) };
}

/** A handler of the one row the route names: ctx.NotFound() when `find` finds none. */
export function whenFound<T>(
  find: (call: Call) => T | undefined,
  handle: (call: Call, found: T) => Promise<Reply> | Reply,
): (call: Call) => Promise<Reply> | Reply {
  return (call) => {
    const found = find(call);
    return found === undefined ? notFound(call.world) : handle(call, found);
  };
}

/** What `make` replies, or the store's refusal (a GiteaError) as Gitea answers it. */
export function orRefusal(call: Call, make: () => Reply): Reply {
  try {
    return make();
  } catch (error) {
    return errorReply(call, error);
  }
}
