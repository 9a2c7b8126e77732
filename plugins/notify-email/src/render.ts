import Handlebars from "handlebars";

/**
 * Handlebars with the helpers drone-email's templates use (from drone-template-lib):
 * `truncate`, `uppercase`, `lowercase`, `uppercasefirst`, `urlencode`, `datetime`,
 * `duration`, `since`, and the block helpers `success` and `failure`.
 */
const handlebars = Handlebars.create();

handlebars.registerHelper("truncate", (value: unknown, length: unknown) =>
  String(value ?? "").slice(0, Number(length)),
);
handlebars.registerHelper("uppercase", (value: unknown) => String(value ?? "").toUpperCase());
handlebars.registerHelper("lowercase", (value: unknown) => String(value ?? "").toLowerCase());
handlebars.registerHelper("uppercasefirst", (value: unknown) => {
  const text = String(value ?? "");
  return text.charAt(0).toUpperCase() + text.slice(1);
});
handlebars.registerHelper("urlencode", (value: unknown) => encodeURIComponent(String(value ?? "")));
handlebars.registerHelper("datetime", (seconds: unknown) =>
  typeof seconds === "number"
    ? new Date(seconds * 1000)
        .toISOString()
        .replace("T", " ")
        .replace(/\.\d+Z$/, " UTC")
    : "",
);
handlebars.registerHelper("duration", (start: unknown, end: unknown) =>
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
