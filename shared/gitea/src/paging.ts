import { HangarError, type Logger } from "@hangar/kit";

/** Items asked for per page; Gitea answers at most its MAX_RESPONSE_ITEMS (50 by default). */
export const PAGE_SIZE = 50;

/**
 * Pages read of one list before giving up: 10,000 items at 50 a page, far beyond the open
 * issues, labels, drafts or tags of a repository. A server that keeps answering new pages past
 * it is not ending its list (a proxy that drops the query string, a broken Gitea).
 */
export const MAX_PAGES = 200;

export interface PagingOptions<T> {
  /** What an item is known by (its id), to tell a repeated page from a new one (default: the whole item). */
  identify?: (item: T) => unknown;
  maxPages?: number;
  pageSize?: number;
}

/** The bound was hit: the list did not end within MAX_PAGES pages. */
export class TooManyPages extends HangarError {
  constructor(what: string, endpoint: string, pages: number, pageSize: number) {
    super(
      "E_GITEA_TOO_MANY_PAGES",
      `${what}: ${endpoint} still answered new items after ${pages} pages of ${pageSize}; stopped`,
      {
        hint: "A Gitea list ends with a short or empty page: check that `base_url` is Gitea itself and that a proxy in front of it passes the query string (`page`, `limit`) on.",
      },
    );
    this.name = "TooManyPages";
  }
}

/**
 * Each page of a Gitea list, bounded. The list ends at an empty page, or at one shorter than the
 * first (a Gitea whose MAX_RESPONSE_ITEMS is below the limit asked for answers shorter pages
 * throughout, and is still read to the end). A page that brings no item not seen before means
 * the server ignores `?page=`: asking on would repeat it forever, so paging stops there with a
 * warning. More than `maxPages` pages is an error naming the endpoint.
 */
export async function* pagesOf<T>(
  what: string,
  endpoint: string,
  fetchPage: (page: number, limit: number) => Promise<T[] | undefined | null>,
  log: Logger,
  options: PagingOptions<T> = {},
): AsyncGenerator<T[]> {
  // An item without the identifying field is known by all of it.
  const identify = (item: T) => options.identify?.(item) ?? JSON.stringify(item);
  const maxPages = options.maxPages ?? MAX_PAGES;
  const pageSize = options.pageSize ?? PAGE_SIZE;
  const seen = new Set<unknown>();
  let full = 0;
  for (let page = 1; page <= maxPages; page++) {
    const items = (await fetchPage(page, pageSize)) ?? [];
    if (items.length === 0) return;
    const fresh = items.filter((item) => !seen.has(identify(item)));
    if (fresh.length === 0) {
      log.warn(
        `${what}: ${endpoint} answered page ${page} with the items of an earlier page (it ignores \`page\`); read the first ${page - 1} page${page === 2 ? "" : "s"} only`,
      );
      return;
    }
    for (const item of fresh) seen.add(identify(item));
    yield fresh;
    if (page === 1) full = items.length;
    if (items.length < full) return;
  }
  throw new TooManyPages(what, endpoint, maxPages, pageSize);
}

/** Every item of a bounded list (see pagesOf). */
export async function allPages<T>(
  what: string,
  endpoint: string,
  fetchPage: (page: number, limit: number) => Promise<T[] | undefined | null>,
  log: Logger,
  options: PagingOptions<T> = {},
): Promise<T[]> {
  const all: T[] = [];
  for await (const items of pagesOf(what, endpoint, fetchPage, log, options)) all.push(...items);
  return all;
}
