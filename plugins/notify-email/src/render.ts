import type Handlebars from "handlebars";
import HandlebarsRuntime from "handlebars/runtime.js";
import { builtInTemplates } from "./built-in-templates.at-build.ts";
import { compileOptions } from "./compile-options.ts";
import { formatGoDuration, formatGoTime } from "./go-time.ts";

/**
 * Handlebars with the helpers drone-email's templates use (drone-go's template package), with
 * its arguments and output: `truncate s n` (characters, not bytes), `uppercase`, `lowercase`,
 * `uppercasefirst`, `urlencode` (also as a block, `{{#urlencode}}…{{/urlencode}}`, encoded as
 * Go's QueryEscape), `datetime ts "Go layout" "Zone"`, `duration start end` (Go's `1m35s`),
 * and the block helpers `success` and `failure`. hangar adds `since start` and `elapsed start
 * end` (`1m 35s`, for the built-in mail).
 *
 * The built-in templates come compiled (built-in-templates.at-build.ts) and need only the
 * runtime; the compiler is loaded for a user's template.
 */
type Environment = typeof Handlebars;

// The runtime is the same environment without `compile`; its typings declare nothing.
const runtime = withHelpers((HandlebarsRuntime as unknown as Environment).create());
let compiler: Promise<Environment> | undefined;

function fullHandlebars(): Promise<Environment> {
  compiler ??= import("handlebars").then(({ default: full }) => withHelpers(full.create()));
  return compiler;
}

type Options = Handlebars.HelperOptions;
const isOptions = (value: unknown): value is Options =>
  typeof value === "object" && value !== null && "fn" in value && "hash" in value;

function withHelpers(env: Environment): Environment {
  env.registerHelper("truncate", (value: unknown, length: unknown) =>
    Array.from(String(value ?? ""))
      .slice(0, Number(length))
      .join(""),
  );
  env.registerHelper("uppercase", (value: unknown) => String(value ?? "").toUpperCase());
  env.registerHelper("lowercase", (value: unknown) => String(value ?? "").toLowerCase());
  env.registerHelper("uppercasefirst", (value: unknown) => {
    const [first = "", ...rest] = Array.from(String(value ?? ""));
    return first.toUpperCase() + rest.join("");
  });
  env.registerHelper("urlencode", function (this: unknown, value: unknown) {
    const text = isOptions(value) ? value.fn(this) : String(value ?? "");
    return queryEscape(text);
  });
  env.registerHelper("datetime", (seconds: unknown, layout: unknown, zone: unknown) => {
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
  env.registerHelper("duration", (start: unknown, end: unknown) =>
    typeof start === "number" && typeof end === "number" ? formatGoDuration(end - start) : "",
  );
  env.registerHelper("elapsed", (start: unknown, end: unknown) =>
    typeof start === "number" && typeof end === "number" ? formatSeconds(end - start) : "",
  );
  env.registerHelper("since", (start: unknown) =>
    typeof start === "number" ? formatSeconds(Math.floor(Date.now() / 1000) - start) : "",
  );
  env.registerHelper("success", function (this: unknown, status: unknown, options: Handlebars.HelperOptions) {
    return status === "success" ? options.fn(this) : options.inverse(this);
  });
  env.registerHelper("failure", function (this: unknown, status: unknown, options: Handlebars.HelperOptions) {
    return status === "failure" ? options.fn(this) : options.inverse(this);
  });
  return env;
}

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
 * failure after connecting; a built-in template comes compiled and is rendered when first
 * needed, so a dry run or a skipped status does not pay for the HTML mail.
 */
export async function compileTemplate(
  source: string,
  options: { html: boolean; check?: boolean },
): Promise<Render> {
  const builtIn = builtInTemplates.find((each) => each.source === source && each.html === options.html);
  if (builtIn) {
    const template = runtime.template(builtIn.spec);
    return (data) => template(data);
  }
  const template = (await fullHandlebars()).compile(source, compileOptions(options.html));
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
