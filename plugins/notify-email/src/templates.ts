import { textOrFile } from "@hangar/kit";
import {
  type FetchedTemplate,
  fetchTemplate,
  isTemplateUrl,
  MAX_TEMPLATE_BYTES,
  type TemplateFetchOptions,
} from "./remote-template.ts";
import { readBody } from "./setting-files.ts";

/**
 * Where the `subject` and `body` templates come from, as drone-email takes them: inline text,
 * an `http(s)://` URL fetched once, or a `file://` path (for `body` also a plain workspace path).
 */

export type TemplateSetting = "subject" | "body";

export interface TemplateText {
  text: string;
  /** The workspace file it was read from. */
  file?: string | undefined;
  /** The URL it was fetched from (masked) and its size. */
  fetched?: FetchedTemplate | undefined;
}

/**
 * Fetches per run: `check` and `plan` get the same context object, so the URL is fetched in
 * `check` (where a failure is a settings problem) and `plan` reuses that answer.
 */
const fetchedByRun = new WeakMap<object, Map<string, Promise<FetchedTemplate>>>();

export function fetchOnce(run: object, url: string, options: TemplateFetchOptions): Promise<FetchedTemplate> {
  let cache = fetchedByRun.get(run);
  if (!cache) {
    cache = new Map();
    fetchedByRun.set(run, cache);
  }
  let pending = cache.get(url);
  if (!pending) {
    pending = fetchTemplate(url, options);
    cache.set(url, pending);
  }
  return pending;
}

export async function readTemplate(
  setting: TemplateSetting,
  value: string,
  options: { run: object; workspace: string; fetch: TemplateFetchOptions },
): Promise<TemplateText> {
  if (isTemplateUrl(value)) {
    const fetched = await fetchOnce(options.run, value, options.fetch);
    return { text: fetched.text, fetched };
  }
  if (setting === "body") return readBody(options.workspace, value);
  if (!value.startsWith("file://")) return { text: value };
  return textOrFile(options.workspace, value, {
    inline: () => false,
    setting: "subject",
    maxBytes: MAX_TEMPLATE_BYTES,
  });
}
