import { parseGoBool } from "./schema.ts";

export interface PagingSettings {
  /** [api] DEFAULT_PAGING_NUM (Gitea default 30). */
  defaultPagingNum: number;
  /** [api] MAX_RESPONSE_ITEMS (Gitea default 50). */
  maxResponseItems: number;
  /** Hostile: `page` is ignored, every list answers its first page (see GiteaStandInOptions). */
  ignorePage?: boolean;
}

/** ctx.FormInt: a value that is not an integer reads as 0. */
export function formInt(query: URLSearchParams, name: string): number {
  const text = query.get(name) ?? "";
  return /^[+-]?\d+$/.test(text) ? Number.parseInt(text, 10) : 0;
}

/** ctx.FormOptionalBool: absent or not a Go boolean reads as "not given". */
export function formOptionalBool(query: URLSearchParams, name: string): boolean | undefined {
  const text = query.get(name);
  return text === null ? undefined : parseGoBool(text);
}

/** utils.GetListOptions + convert.ToCorrectPageSize. */
export function listOptions(
  query: URLSearchParams,
  settings: PagingSettings,
): { page: number; pageSize: number } {
  const page = settings.ignorePage ? 1 : Math.max(1, formInt(query, "page"));
  const limit = formInt(query, "limit");
  const pageSize = limit <= 0 ? settings.defaultPagingNum : Math.min(limit, settings.maxResponseItems);
  return { page, pageSize };
}

export function pageOf<T>(items: readonly T[], options: { page: number; pageSize: number }): T[] {
  const start = (options.page - 1) * options.pageSize;
  return items.slice(start, start + options.pageSize);
}

/**
 * ctx.SetLinkHeader (services/context/api.go genAPILinks over modules/paginator): next, last,
 * first, prev, in that order, joined by "," with no space; the current page is the raw `page`
 * parameter clamped to 1…total pages; query keys are re-encoded sorted, as Go's url.Values does.
 */
export function linkHeader(
  appUrl: string,
  requestUrl: URL,
  total: number,
  pageSize: number,
): string | undefined {
  const size = pageSize <= 0 ? 1 : pageSize;
  const totalPages = total === 0 ? 1 : Math.ceil(total / size);
  const current = Math.min(Math.max(1, formInt(requestUrl.searchParams, "page")), totalPages);
  const hasNext = total > current * size;
  const isLast = total === 0 ? true : total > (current - 1) * size && !hasNext;
  const link = (page: number, rel: string) => {
    const query = new URLSearchParams(requestUrl.searchParams);
    query.set("page", String(page));
    query.sort();
    return `<${appUrl}${requestUrl.pathname.slice(1)}?${query}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (hasNext) links.push(link(current + 1, "next"));
  if (!isLast) links.push(link(totalPages, "last"));
  if (current !== 1) links.push(link(1, "first"));
  if (current > 1) links.push(link(current - 1, "prev"));
  return links.length > 0 ? links.join(",") : undefined;
}
