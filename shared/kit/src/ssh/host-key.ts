import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/**
 * Host key checks, done in ssh2's `hostVerifier` during the handshake, so a host that cannot
 * prove it is the right one never sees a login, let alone a command.
 */

export type HostKeyPolicy =
  | { kind: "fingerprint"; fingerprint: string }
  | { kind: "known_hosts"; content: string }
  | { kind: "insecure" };

export interface HostKeyVerdict {
  ok: boolean;
  /** The presented key's fingerprint, for the log and the error. */
  fingerprint: string;
  /** Why it was refused. */
  reason?: string;
}

/** `SHA256:…` of a raw SSH public key blob, as `ssh-keygen -lf` prints it. */
export function fingerprintOf(keyBlob: Buffer): string {
  return `SHA256:${createHash("sha256").update(keyBlob).digest("base64").replace(/=+$/, "")}`;
}

/** The key type inside an SSH public key blob (`ssh-ed25519`). */
export function keyTypeOf(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return "unknown";
  const length = keyBlob.readUInt32BE(0);
  return keyBlob.subarray(4, 4 + length).toString("latin1");
}

export function checkHostKey(
  policy: HostKeyPolicy,
  host: string,
  port: number,
  keyBlob: Buffer,
): HostKeyVerdict {
  const fingerprint = fingerprintOf(keyBlob);
  if (policy.kind === "insecure") return { ok: true, fingerprint };
  if (policy.kind === "fingerprint") {
    const expected = policy.fingerprint.replace(/=+$/, "");
    return expected === fingerprint
      ? { ok: true, fingerprint }
      : {
          ok: false,
          fingerprint,
          reason: `its host key ${keyTypeOf(keyBlob)} ${fingerprint} is not the expected ${expected}`,
        };
  }
  const entries = knownHostsEntries(policy.content).filter((entry) => entry.matches(host, port));
  const presented = keyBlob.toString("base64");
  if (entries.some((entry) => entry.marker === "@revoked" && entry.key === presented)) {
    return {
      ok: false,
      fingerprint,
      reason: `its host key ${fingerprint} is marked @revoked in known_hosts`,
    };
  }
  const candidates = entries.filter((entry) => entry.marker === undefined);
  if (candidates.some((entry) => entry.key === presented)) return { ok: true, fingerprint };
  const name = port === 22 ? host : `[${host}]:${port}`;
  if (candidates.length === 0) {
    return {
      ok: false,
      fingerprint,
      reason: `known_hosts has no line for ${name} (its key is ${keyTypeOf(keyBlob)} ${fingerprint}; \`ssh-keyscan -p ${port} ${host}\` prints the line to add)`,
    };
  }
  return {
    ok: false,
    fingerprint,
    reason: `its host key ${keyTypeOf(keyBlob)} ${fingerprint} matches none of the ${candidates.length} known_hosts line(s) for ${name}: the key changed, or someone is in between`,
  };
}

interface KnownHostsEntry {
  marker?: "@revoked" | "@cert-authority" | undefined;
  key: string;
  matches(host: string, port: number): boolean;
}

/** Parses known_hosts text (plain or hashed host patterns, `!` negation, `*`/`?` wildcards). */
export function knownHostsEntries(content: string): KnownHostsEntry[] {
  const entries: KnownHostsEntry[] = [];
  for (const raw of content.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const fields = line.split(/\s+/);
    let marker: KnownHostsEntry["marker"];
    if (fields[0] === "@revoked" || fields[0] === "@cert-authority") marker = fields.shift() as typeof marker;
    const [patterns = "", , key = ""] = fields;
    if (!key) continue;
    entries.push({ marker, key, matches: (host, port) => hostMatches(patterns, host, port) });
  }
  return entries;
}

function hostMatches(patterns: string, host: string, port: number): boolean {
  const names = port === 22 ? [host, `[${host}]:22`] : [`[${host}]:${port}`];
  if (patterns.startsWith("|1|")) {
    const [, , salt = "", hash = ""] = patterns.split("|");
    const expected = Buffer.from(hash, "base64");
    return names.some((name) => {
      const actual = createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest();
      return actual.length === expected.length && timingSafeEqual(actual, expected);
    });
  }
  let matched = false;
  for (const pattern of patterns.split(",")) {
    const negated = pattern.startsWith("!");
    const glob = wildcard(negated ? pattern.slice(1) : pattern);
    if (names.some((name) => glob.test(name))) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

function wildcard(pattern: string): RegExp {
  const source = pattern
    .toLowerCase()
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${source}$`, "i");
}
