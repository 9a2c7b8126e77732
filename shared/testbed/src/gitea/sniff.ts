// A subset of Go's http.DetectContentType (the WHATWG sniffing algorithm over the first 512
// bytes), which Gitea's upload.Verify uses to decide what ALLOWED_TYPES entries a file matches.
// The formats a release carries are covered; anything else falls back to Go's last two rules:
// text/plain when no byte is binary, application/octet-stream otherwise.

const MAGIC: ReadonlyArray<readonly [string, string]> = [
  ["%PDF-", "application/pdf"],
  ["%!PS-Adobe-", "application/postscript"],
  ["GIF87a", "image/gif"],
  ["GIF89a", "image/gif"],
  ["\x89PNG\r\n\x1a\n", "image/png"],
  ["\xff\xd8\xff", "image/jpeg"],
  ["BM", "image/bmp"],
  ["\x00\x00\x01\x00", "image/x-icon"],
  ["ID3", "audio/mpeg"],
  ["OggS\x00", "application/ogg"],
  ["\x1a\x45\xdf\xa3", "video/webm"],
  ["\x00\x61\x73\x6d", "application/wasm"],
  ["wOFF", "font/woff"],
  ["wOF2", "font/woff2"],
  ["\x1f\x8b\x08", "application/x-gzip"],
  ["PK\x03\x04", "application/zip"],
  ["Rar!\x1a\x07\x00", "application/x-rar-compressed"],
  ["Rar!\x1a\x07\x01\x00", "application/x-rar-compressed"],
  ["\xef\xbb\xbf", "text/plain; charset=utf-8"],
  ["\xfe\xff", "text/plain; charset=utf-16be"],
  ["\xff\xfe", "text/plain; charset=utf-16le"],
];

const HTML_TAGS = [
  "<!DOCTYPE HTML",
  "<HTML",
  "<HEAD",
  "<SCRIPT",
  "<IFRAME",
  "<H1",
  "<DIV",
  "<FONT",
  "<TABLE",
  "<A",
  "<STYLE",
  "<TITLE",
  "<B",
  "<BODY",
  "<BR",
  "<P",
  "<!--",
];

function startsWith(data: Buffer, signature: string): boolean {
  return (
    data.length >= signature.length &&
    data.subarray(0, signature.length).equals(Buffer.from(signature, "latin1"))
  );
}

function isBinary(byte: number): boolean {
  return byte <= 0x08 || byte === 0x0b || (byte >= 0x0e && byte <= 0x1a) || (byte >= 0x1c && byte <= 0x1f);
}

/** The MIME type Go's http.DetectContentType gives for a file that starts with `head`. */
export function detectContentType(head: Buffer): string {
  const data = head.subarray(0, 512);
  let start = 0;
  while (start < data.length && [0x09, 0x0a, 0x0c, 0x0d, 0x20].includes(data[start] ?? 0)) start += 1;
  const text = data.subarray(start).toString("latin1").toUpperCase();
  for (const tag of HTML_TAGS) {
    const after = text.charCodeAt(tag.length);
    if (text.startsWith(tag) && (after === 0x20 || after === 0x3e)) return "text/html; charset=utf-8";
  }
  if (text.startsWith("<?XML")) return "text/xml; charset=utf-8";
  for (const [signature, type] of MAGIC) if (startsWith(data, signature)) return type;
  if (data.length >= 12 && startsWith(data, "RIFF")) {
    const kind = data.subarray(8, 12).toString("latin1");
    if (kind === "WEBP") return "image/webp";
    if (kind === "WAVE") return "audio/wave";
    if (kind === "AVI ") return "video/avi";
  }
  if (data.length >= 12 && data.subarray(4, 8).toString("latin1") === "ftyp") return "video/mp4";
  return data.some(isBinary) ? "application/octet-stream" : "text/plain; charset=utf-8";
}

/** Go's path.Ext: from the last dot of the last slash-separated element (".hidden" counts). */
function goExt(name: string): string {
  const base = name.slice(name.lastIndexOf("/") + 1);
  const dot = base.lastIndexOf(".");
  return dot < 0 ? "" : base.slice(dot);
}

/** Gitea's own message for a file refused by ALLOWED_TYPES (modules/upload ErrFileTypeForbidden). */
export const FILE_TYPE_FORBIDDEN = "This file extension or type is not allowed to be uploaded.";

/**
 * Gitea's upload.Verify: `allowed` is the comma-separated `[repository.release] ALLOWED_TYPES`
 * (extensions like `.zip`, MIME types like `application/gzip`, wildcards like `image/*`, `*∕*`;
 * `|` is accepted as a separator too). Empty allows everything. Returns whether the file passes.
 */
export function isAllowedType(head: Buffer, fileName: string, allowed: string): boolean {
  const entries = allowed
    .replaceAll("|", ",")
    .split(",")
    .map((entry) => entry.trim().toLowerCase())
    .filter((entry) => entry !== "");
  if (entries.length === 0) return true;
  const mimeType = (detectContentType(head).split(";")[0] ?? "").trim();
  const extension = goExt(fileName).toLowerCase();
  return entries.some(
    (entry) =>
      entry === "*/*" ||
      (entry.startsWith(".") && entry === extension) ||
      entry === mimeType ||
      (/^[a-z]+\/\*$/.test(entry) && mimeType.startsWith(entry.slice(0, -1))),
  );
}
