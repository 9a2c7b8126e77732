/**
 * Masks secret values in everything the plugin prints. Drone masks a secret only when it is
 * printed verbatim; a plugin also handles derived forms (base64 inside an auth header,
 * URL-encoded inside a URL, escaped inside JSON), so each secret is registered with those.
 */

const REPLACEMENT = "****";
/** Shorter values would mask ordinary words; such a secret is weak anyway. */
const MIN_LENGTH = 3;
/** A base64 run shorter than this carries too little of the secret to be worth masking. */
const MIN_BASE64_RUN = 6;

export class Masker {
  readonly #variants = new Set<string>();
  #pattern: RegExp | undefined;

  /** Registers a secret value; its encoded forms and, for multi-line values, each long line, too. */
  add(secret: string | undefined): void {
    if (!secret || secret.length < MIN_LENGTH) return;
    const before = this.#variants.size;
    for (const variant of encodings(secret)) this.#variants.add(variant);
    const lines = secret.split(/\r?\n/).map((line) => line.trim());
    if (lines.length > 1) for (const line of lines) if (line.length >= 8) this.add(line);
    if (this.#variants.size !== before) this.#pattern = undefined;
  }

  get size(): number {
    return this.#variants.size;
  }

  apply(text: string): string {
    // Most lines hold no secret: a substring scan answers that, and the pattern (one alternative
    // per variant, a kubeconfig's make hundreds) is compiled, and rebuilt after an add, only when a
    // line does. The regular expression alone decides what is replaced.
    if (!this.#holdsVariant(text)) return text;
    this.#pattern ??= new RegExp(
      [...this.#variants]
        .sort((a, b) => b.length - a.length)
        .map(escapeRegExp)
        .join("|"),
      "g",
    );
    return text.replace(this.#pattern, REPLACEMENT);
  }

  #holdsVariant(text: string): boolean {
    for (const variant of this.#variants) if (text.includes(variant)) return true;
    return false;
  }
}

function encodings(secret: string): string[] {
  const uri = encodeURIComponent(secret);
  // The URL API encodes less than encodeURIComponent: `+` stays in user info, `!` is escaped in a query.
  const url = new URL("http://host");
  url.password = secret;
  const forms = [
    secret,
    uri,
    uri.replace(/%20/g, "+"),
    uri.replace(/%[0-9A-F]{2}/g, (code) => code.toLowerCase()),
    url.password,
    new URLSearchParams({ v: secret }).toString().slice(2),
    JSON.stringify(secret).slice(1, -1),
    ...jsonEscapes(secret),
    ...hexForms(secret),
    ...base64Runs(secret, "base64"),
    ...base64Runs(secret, "base64url"),
  ];
  return forms.filter((form) => form.length >= MIN_LENGTH);
}

/**
 * A server's JSON may escape more than JSON.stringify does: every non-ASCII character (Python's
 * `ensure_ascii`, an SMTP library's reply), HTML's `<>&` too (Go), everything but letters and digits, or every character; in
 * either case of hex digits.
 */
function jsonEscapes(secret: string): string[] {
  const unicodeEscape = (char: string) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`;
  const plain = JSON.stringify(secret).slice(1, -1);
  const forms = [
    plain.replace(/[^ -~\t\n\r]/g, unicodeEscape),
    plain.replace(/[^ -~\t\n\r]|[<>&]/g, unicodeEscape),
    [...secret].map((char) => (/[A-Za-z0-9]/.test(char) ? char : unicodeEscape(char))).join(""),
    [...secret].map(unicodeEscape).join(""),
  ];
  return forms.flatMap((form) => [
    form,
    form.replace(/\\u([0-9a-f]{4})/g, (_m, hex: string) => `\\u${hex.toUpperCase()}`),
  ]);
}

/** Hex of the secret's bytes, both cases, as a server that dumps what it got prints them. */
function hexForms(secret: string): string[] {
  const hex = Buffer.from(secret, "utf8").toString("hex");
  return [hex, hex.toUpperCase()];
}

/**
 * The base64 characters that depend only on the secret's bytes, at each of the three byte
 * alignments it can have inside a larger encoded value (`user:secret` in a Basic header).
 */
function base64Runs(secret: string, encoding: "base64" | "base64url"): string[] {
  const bytes = Buffer.from(secret, "utf8");
  const runs: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes])
      .toString(encoding)
      .replace(/=+$/, "");
    const first = Math.ceil((8 * offset) / 6);
    const last = Math.floor((8 * (offset + bytes.length) - 6) / 6);
    const run = encoded.slice(first, last + 1);
    if (run.length >= MIN_BASE64_RUN || (offset === 0 && run.length >= MIN_LENGTH)) runs.push(run);
  }
  return runs;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
