import Handlebars from "handlebars";
import { formatGoDuration, formatGoTime } from "./go-time.ts";

/**
 * Handlebars with the helpers drone-email's templates use (drone-go's template package), with
 * its arguments and output: `truncate s n` (characters, not bytes), `uppercase`, `lowercase`,
 * `uppercasefirst`, `urlencode` (also as a block, `{{#urlencode}}…{{/urlencode}}`, encoded as
 * Go's QueryEscape), `datetime ts "Go layout" "Zone"`, `duration start end` (Go's `1m35s`),
 * and the block helpers `success` and `failure`. hangar adds `since start` and `elapsed start
 * end` (`1m 35s`, for the built-in mail).
 */
const handlebars = Handlebars.create();

type Options = Handlebars.HelperOptions;
const isOptions = (value: unknown): value is Options =>
  typeof value === "object" && value !== null && "fn" in value && "hash" in value;

handlebars.registerHelper("truncate", (value: unknown, length: unknown) =>
  Array.from(String(value ?? ""))
    .slice(0, Number(length))
    .join(""),
);
handlebars.registerHelper("uppercase", (value: unknown) => String(value ?? "").toUpperCase());
handlebars.registerHelper("lowercase", (value: unknown) => String(value ?? "").toLowerCase());
handlebars.registerHelper("uppercasefirst", (value: unknown) => {
  const [first = "", ...rest] = Array.from(String(value ?? ""));
  return first.toUpperCase() + rest.join("");
});
handlebars.registerHelper("urlencode", function (this: unknown, value: unknown) {
  const text = isOptions(value) ? value.fn(this) : String(value ?? "");
  return queryEscape(text);
});
handlebars.registerHelper("datetime", (seconds: unknown, layout: unknown, zone: unknown) => {
  const timestamp = Number(seconds);
  if (seconds === undefined || seconds === null || isOptions(seconds) || !Number.isFinite(timestamp))
    return "";
  const date = new Date(timestamp * 1000);
  if (typeof layout !== "string")
    return date
      .toISOString()
      .replace("T", " ")
      .replace(/\.\d+Z$/, " UTC");
  return formatGoTime(date, layout, typeof zone === "string" ? zone : undefined);
});
handlebars.registerHelper("duration", (start: unknown, end: unknown) =>
  typeof start === "number" && typeof end === "number" ? formatGoDuration(end - start) : "",
);
handlebars.registerHelper("elapsed", (start: unknown, end: unknown) =>
  typeof start === "number" && typeof end === "number" ? formatSeconds(end - start) : "",
);
handlebars.registerHelper("since", (start: unknown) =>
  typeof start === "number" ? formatSeconds(Math.floor(Date.now() / 1000) - start) : "",
);
handlebars.registerHelper(
  "success",
  function (this: unknown, status: unknown, options: Handlebars.HelperOptions) {
    return status === "success" ? options.fn(this) : options.inverse(this);
  },
);
handlebars.registerHelper(
  "failure",
  function (this: unknown, status: unknown, options: Handlebars.HelperOptions) {
    return status === "failure" ? options.fn(this) : options.inverse(this);
  },
);

/** Go's url.QueryEscape: everything but letters, digits and `-_.~` escaped, spaces as `+`. */
function queryEscape(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, "+");
}

export function formatSeconds(total: number): string {
  if (!Number.isFinite(total) || total < 0) return "";
  const minutes = Math.floor(total / 60);
  const seconds = total % 60;
  if (minutes === 0) return `${seconds}s`;
  const hours = Math.floor(minutes / 60);
  return hours === 0 ? `${minutes}m ${seconds}s` : `${hours}h ${minutes % 60}m`;
}

export type Render = (data: unknown) => string;

/**
 * Compiles a user's template now (`check`), so a broken one is a settings problem and not a
 * failure after connecting; the built-in templates are compiled when first rendered, so a dry
 * run or a skipped status does not pay for the HTML mail.
 */
export function compileTemplate(source: string, options: { html: boolean; check?: boolean }): Render {
  const template = handlebars.compile(source, { noEscape: !options.html, strict: false });
  if (options.check ?? true) template({});
  return (data) => template(data);
}

/** A plain-text alternative for an HTML body: tags dropped, blocks on their own lines. */
export function htmlToText(html: string): string {
  return html
    .replace(/<(style|script|head)[^>]*>[\s\S]*?<\/\1>/gi, "")
    .replace(/<br\s*\/?>/gi, "\n")
    .replace(/<\/(p|div|tr|h[1-6]|li|table)>/gi, "\n")
    .replace(/<a [^>]*href="([^"]+)"[^>]*>([\s\S]*?)<\/a>/gi, "$2 ($1)")
    .replace(/<[^>]+>/g, "")
    .replace(/&nbsp;/g, " ")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&#x3D;/g, "=")
    .replace(/&#x60;/g, "`")
    .replace(/&amp;/g, "&")
    .replace(/[ \t]+\n/g, "\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}
