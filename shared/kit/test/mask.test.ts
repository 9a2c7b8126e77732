import { afterEach, describe, expect, it, vi } from "vitest";
import { echoBody, secretLeaks } from "../../testbed/src/hostile.ts";
import { Masker } from "../src/mask.ts";

function masker(...secrets: string[]): Masker {
  const mask = new Masker();
  for (const secret of secrets) mask.add(secret);
  return mask;
}

describe("Masker", () => {
  const secret = "Tr0ub4dor&3 p+s/w@rd";

  it("masks the secret itself, every occurrence", () => {
    expect(masker(secret).apply(`a ${secret} b ${secret}`)).toBe("a **** b ****");
  });

  it("masks its base64, standard and URL-safe", () => {
    for (const value of [secret, "a-longer-secret~~~???>>>", "x"]) {
      const mask = masker(value);
      for (const encoding of ["base64", "base64url"] as const) {
        const encoded = Buffer.from(value).toString(encoding);
        if (value.length < 3) continue;
        expect(mask.apply(`token ${encoded} end`), `${value} as ${encoding}`).not.toContain(
          encoded.replace(/=+$/, ""),
        );
      }
    }
  });

  it("masks it inside a Basic auth header, whatever the length of the user name", () => {
    const mask = masker(secret);
    for (const user of ["", "a", "ab", "abc", "deploy", "ci-bot"]) {
      const header = `Authorization: Basic ${Buffer.from(`${user}:${secret}`).toString("base64")}`;
      const masked = mask.apply(header);
      expect(masked, user).toContain("****");
      // What is left of the encoded value no longer decodes to the secret.
      const left = masked.slice("Authorization: Basic ".length).replace(/\*+/g, "");
      expect(Buffer.from(left, "base64").toString("latin1")).not.toContain(secret.slice(0, 4));
    }
  });

  it("masks its URL-encoded forms", () => {
    const mask = masker(secret);
    const url = new URL("https://git.example.com/api");
    url.username = "ci";
    url.password = secret;
    url.searchParams.set("token", secret);
    const forms = [
      encodeURIComponent(secret),
      encodeURIComponent(secret).replace(/%20/g, "+"),
      encodeURIComponent(secret).toLowerCase(),
      new URLSearchParams({ token: secret }).toString(),
      url.href,
      `https://ci:${url.password}@git.example.com/`,
    ];
    for (const form of forms) {
      const masked = mask.apply(form);
      expect(masked, form).not.toContain(url.password);
      expect(masked, form).not.toContain(encodeURIComponent(secret));
      expect(masked, form).not.toContain(new URLSearchParams({ t: secret }).toString().slice(2));
      expect(decodeURIComponent(masked.replace(/\+/g, " ")), form).not.toContain(secret);
    }
  });

  it("masks what the URL API makes of characters encodeURIComponent treats differently", () => {
    const other = "it's(a)~secret!*";
    const mask = masker(other);
    const url = new URL("https://host/");
    url.password = other;
    url.searchParams.set("q", other);
    expect(mask.apply(url.href)).toBe("https://:****@host/?q=****");
    expect(mask.apply(new URLSearchParams({ token: other }).toString())).toBe("token=****");
  });

  it("masks it escaped inside JSON", () => {
    const tricky = 'quote " back \\ slash\nnew line\ttab';
    const mask = masker(tricky);
    const json = JSON.stringify({ user: "ci", password: tricky });
    const masked = mask.apply(json);
    expect(masked).toBe('{"user":"ci","password":"****"}');
    expect(mask.apply(JSON.stringify(tricky, null, 2))).toBe('"****"');
  });

  it("masks a multi-line secret as a whole and line by line", () => {
    const body = [
      "MIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MaBc",
      "ORbT4Zm1u3kq8JTE7sHDf8EIn5qO8nM7k9yXQaLbM5",
    ];
    const pem = ["-----BEGIN RSA PRIVATE KEY-----", ...body, "-----END RSA PRIVATE KEY-----"].join("\n");
    const mask = masker(pem);
    expect(mask.apply(pem)).toBe("****");
    // Printed line by line (as a tool echoing the key would), or with CRLF, or indented.
    for (const line of body) expect(mask.apply(`key: ${line}`)).toBe("key: ****");
    expect(mask.apply(pem.replace(/\n/g, "\r\n"))).not.toMatch(/MIIE|ORbT/);
    expect(mask.apply(pem.replace(/\n/g, "\n    "))).not.toMatch(/MIIE|ORbT/);
    expect(mask.apply(JSON.stringify(pem))).not.toMatch(/MIIE|ORbT/);
  });

  it("ignores values shorter than three characters", () => {
    const mask = masker("ab", "", "x");
    expect(mask.size).toBe(0);
    expect(mask.apply("ab x")).toBe("ab x");
    const three = masker("abc");
    expect(three.apply("abc")).toBe("****");
  });

  it("masks the longest match first and treats regex characters literally", () => {
    const mask = masker("secret", "secret-extended", "a.b*c");
    expect(mask.apply("secret-extended secret a.b*c aXbbc")).toBe("**** **** **** aXbbc");
  });

  it("adds secrets later, and adding one twice changes nothing", () => {
    const mask = masker("first-secret");
    expect(mask.apply("second-secret")).toBe("second-secret");
    mask.add("second-secret");
    const size = mask.size;
    mask.add("second-secret");
    expect(mask.size).toBe(size);
    expect(mask.apply("first-secret second-secret")).toBe("**** ****");
  });
});

describe("every encoding a server may echo a secret in", () => {
  // One table for the kit and every plugin: the hostile test server echoes requests this way.
  const secrets = ["Tr0ub4dor&3 p+s/w@rd", "glpat-0123456789abcdef", "pässwörd<>&'\"\\", "Zm9vYmFy=="];

  it.each(secrets)("masks %j wherever the echo puts it", (secret) => {
    const request = `POST /api/v1/repos HTTP/1.1\r\nAuthorization: token ${secret}\r\n\r\n{"password":${JSON.stringify(secret)}}`;
    const echoed = echoBody(request);
    expect(secretLeaks(echoed, secret).length).toBeGreaterThan(5);
    const masked = masker(secret).apply(echoed);
    expect(secretLeaks(masked, secret)).toEqual([]);
  });

  it("masks hex in both cases and \\u-escaped JSON inside longer text", () => {
    const secret = "pässwörd-1";
    const mask = masker(secret);
    const hex = Buffer.from(`user:${secret}`).toString("hex");
    expect(mask.apply(hex)).toBe(`${Buffer.from("user:").toString("hex")}****`);
    expect(mask.apply(hex.toUpperCase())).toBe(`${Buffer.from("user:").toString("hex").toUpperCase()}****`);
    expect(mask.apply('535 {"pass":"p\\u00e4ssw\\u00f6rd-1"}')).toBe('535 {"pass":"****"}');
    expect(mask.apply('535 {"pass":"p\\u00E4ssw\\u00F6rd-1"}')).toBe('535 {"pass":"****"}');
  });
});

describe("the cost of a line that holds no secret", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  // A kubeconfig is a secret, and so is each of its lines: hundreds of variants, one pattern.
  const kubeconfig = [
    "apiVersion: v1",
    "clusters:",
    "  - name: lab",
    '    cluster: { server: "https://k3s.lan:6443" }',
    "users:",
    "  - name: ci",
    '    user: { token: "kube-token-0123456789" }',
    "current-context: lab",
  ].join("\n");

  it("compiles no pattern for lines without a secret, and masks the first line with one", () => {
    const mask = masker(kubeconfig, "kube-token-0123456789");
    expect(mask.size).toBeGreaterThan(50);
    const compiled = vi.spyOn(globalThis, "RegExp");
    const clean = ["deploy to namespace preview-main on https://k3s.lan:6443", "object: Service/web", ""];
    for (const line of clean) expect(mask.apply(line)).toBe(line);
    expect(compiled).not.toHaveBeenCalled();

    const encoded = Buffer.from("kube-token-0123456789").toString("base64");
    expect(mask.apply(`Authorization: Bearer kube-token-0123456789 (${encoded})`)).toBe(
      "Authorization: Bearer **** (****)",
    );
    expect(compiled).toHaveBeenCalledTimes(1);
  });
});
