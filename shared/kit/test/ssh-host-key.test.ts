import { createHmac, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { checkHostKey, fingerprintOf } from "../src/ssh/host-key.ts";

function keyBlob(type = "ssh-ed25519"): Buffer {
  const name = Buffer.from(type);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(name.length);
  return Buffer.concat([length, name, randomBytes(36)]);
}

describe("host keys", () => {
  const key = keyBlob();
  const line = (hosts: string, blob = key) => `${hosts} ssh-ed25519 ${blob.toString("base64")}`;

  it("accepts the fingerprint as ssh-keygen prints it, with or without padding", () => {
    const fingerprint = fingerprintOf(key);
    expect(checkHostKey({ kind: "fingerprint", fingerprint }, "h", 22, key).ok).toBe(true);
    expect(checkHostKey({ kind: "fingerprint", fingerprint: `${fingerprint}=` }, "h", 22, key).ok).toBe(true);
    const other = checkHostKey({ kind: "fingerprint", fingerprint: fingerprintOf(keyBlob()) }, "h", 22, key);
    expect(other.ok).toBe(false);
    expect(other.reason).toContain(`its host key ssh-ed25519 ${fingerprint} is not the expected`);
  });

  it("matches known_hosts lines by name, [name]:port, wildcard, negation and hashed names", () => {
    const check = (content: string, host: string, port = 22) =>
      checkHostKey({ kind: "known_hosts", content }, host, port, key);
    expect(check(line("vps.example.com,10.0.0.5"), "10.0.0.5").ok).toBe(true);
    expect(check(line("[vps.example.com]:2222"), "vps.example.com", 2222).ok).toBe(true);
    expect(check(line("vps.example.com"), "vps.example.com", 2222).ok).toBe(false);
    expect(check(line("*.example.com"), "VPS.example.com").ok).toBe(true);
    expect(check(line("*.example.com,!bad.example.com"), "bad.example.com").ok).toBe(false);
    const salt = randomBytes(20);
    const hash = createHmac("sha1", salt).update("vps.example.com").digest("base64");
    expect(check(line(`|1|${salt.toString("base64")}|${hash}`), "vps.example.com").ok).toBe(true);
    expect(check(`# comment\n\n${line("vps.example.com")}`, "vps.example.com").ok).toBe(true);
  });

  it("says whether known_hosts lacks the host or holds another key for it, and honours @revoked", () => {
    const missing = checkHostKey({ kind: "known_hosts", content: line("other") }, "vps", 2222, key);
    expect(missing.reason).toContain("known_hosts has no line for [vps]:2222");
    expect(missing.reason).toContain("ssh-keyscan -p 2222 vps");
    const changed = checkHostKey({ kind: "known_hosts", content: line("vps", keyBlob()) }, "vps", 22, key);
    expect(changed.reason).toContain("matches none of the 1 known_hosts line(s) for vps");
    const revoked = checkHostKey(
      { kind: "known_hosts", content: `@revoked ${line("vps")}\n${line("vps")}` },
      "vps",
      22,
      key,
    );
    expect(revoked.ok).toBe(false);
    expect(revoked.reason).toContain("@revoked");
  });
});
