import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { parseHost } from "../src/ssh/hosts.ts";
import { quote, sh, shellJoin } from "../src/ssh/shell.ts";

describe("remote commands", () => {
  it("quotes every argument for sh, so no value becomes syntax", () => {
    expect(quote("plain/path-1.2")).toBe("plain/path-1.2");
    expect(quote("")).toBe("''");
    expect(shellJoin(["echo", "it's $(id)", "a b"])).toBe(`echo 'it'\\''s $(id)' 'a b'`);
    const dir = "/tmp/x; rm -rf / #";
    const script = sh`rm -rf ${dir} ${["a b", "c"]}`;
    expect(script).toBe(`rm -rf '/tmp/x; rm -rf / #' 'a b' c`);
    // Run it through a real shell: the arguments arrive exactly as given.
    const args = execFileSync("sh", ["-c", `printf '[%s]' ${shellJoin(["it's", "$HOME", "`id`", "a\nb"])}`], {
      encoding: "utf8",
    });
    expect(args).toBe("[it's][$HOME][`id`][a\nb]");
  });

  it("reads hosts with their ports", () => {
    expect(parseHost("vps.example.com", 22)).toEqual({
      host: "vps.example.com",
      port: 22,
      label: "vps.example.com:22",
    });
    expect(parseHost("vps:2222", 22)).toMatchObject({ host: "vps", port: 2222 });
    expect(parseHost("[2001:db8::1]:2200", 22)).toMatchObject({
      host: "2001:db8::1",
      port: 2200,
      label: "[2001:db8::1]:2200",
    });
    expect(parseHost("2001:db8::1", 22)).toMatchObject({ host: "2001:db8::1", port: 22 });
    expect(parseHost("vps:ssh", 22)).toContain("not a number");
    expect(parseHost("user@vps", 22)).toContain("is not a host name");
  });
});
