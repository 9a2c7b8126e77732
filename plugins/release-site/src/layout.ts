import path from "node:path";

/**
 * Where everything lives under `prefix`, and how it is served. Versioned files never change
 * once published, so a browser or CDN may keep them for a year; the manifests and the page
 * change with every release and must be revalidated on each read (cache busting without
 * renaming them, so pollers keep one URL).
 */

export const SUMS_FILE = "SHA256SUMS";
export const LATEST_FILE = "latest.json";
export const INDEX_FILE = "index.json";
export const PAGE_FILE = "index.html";

export const IMMUTABLE = "public, max-age=31536000, immutable";
export const REVALIDATE = "no-cache";

const TYPES: Record<string, string> = {
  ".apk": "application/vnd.android.package-archive",
  ".ipa": "application/octet-stream",
  ".exe": "application/vnd.microsoft.portable-executable",
  ".msi": "application/x-msi",
  ".dmg": "application/x-apple-diskimage",
  ".deb": "application/vnd.debian.binary-package",
  ".rpm": "application/x-rpm",
  ".appimage": "application/vnd.appimage",
  ".zip": "application/zip",
  ".gz": "application/gzip",
  ".tgz": "application/gzip",
  ".xz": "application/x-xz",
  ".zst": "application/zstd",
  ".tar": "application/x-tar",
  ".jar": "application/java-archive",
  ".json": "application/json",
  ".html": "text/html; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".md": "text/markdown; charset=utf-8",
  ".sig": "application/pgp-signature",
  ".asc": "application/pgp-signature",
  ".pem": "application/x-pem-file",
  ".sbom": "application/json",
  ".wasm": "application/wasm",
};

export function contentType(name: string): string {
  if (name === SUMS_FILE) return "text/plain; charset=utf-8";
  return TYPES[path.extname(name).toLowerCase()] ?? "application/octet-stream";
}

/** Keys of one site: everything joined under the prefix with `/`. */
export class SiteLayout {
  readonly prefix: string;

  constructor(prefix: string) {
    this.prefix = prefix.replace(/^\/+|\/+$/g, "");
  }

  key(...parts: string[]): string {
    return [this.prefix, ...parts].filter((part) => part !== "").join("/");
  }

  versionKey(channel: string, version: string, name: string): string {
    return this.key(channel, version, name);
  }

  latestKey(channel: string): string {
    return this.key(channel, LATEST_FILE);
  }

  get indexKey(): string {
    return this.key(INDEX_FILE);
  }

  get pageKey(): string {
    return this.key(PAGE_FILE);
  }

  /** The lock object of stores that ignore conditional writes (see lock.ts). */
  get lockKey(): string {
    return this.key(`${INDEX_FILE}.lock`);
  }

  /** A probe object of one run, to find out whether the store honours conditional writes. */
  probeKey(run: string): string {
    return this.key(`.probe-${run}`);
  }

  /** A key as downloaders reach it: `public_url` + key, each segment URL-encoded. */
  url(publicUrl: string, key: string): string {
    return `${publicUrl.replace(/\/+$/, "")}/${key.split("/").map(encodeURIComponent).join("/")}`;
  }
}

/** The bucket's address on the endpoint: the default `public_url`. */
export function bucketUrl(endpoint: string, bucket: string, pathStyle: boolean): string {
  const url = new URL(endpoint);
  const base = url.pathname.replace(/\/+$/, "");
  if (pathStyle) return `${url.origin}${base}/${encodeURIComponent(bucket)}`;
  return `${url.protocol}//${bucket}.${url.host}${base}`;
}

/** Names written into SHA256SUMS and used as keys: no separators, no control characters. */
export function isPlainName(name: string): boolean {
  return name !== "" && name !== "." && name !== ".." && !/[/\\\p{Cc}]/u.test(name);
}
