import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import {
  type ParseResult,
  parseBoolean,
  parseDuration,
  parseList,
  parseMap,
  type Setting,
  type SettingsOf,
  settings,
} from "../src/settings/define.ts";

function value<T>(result: ParseResult<T>): T {
  if (!result.ok) throw new Error(`expected ok, got ${result.code}: ${result.message}`);
  return result.value;
}

function failure<T>(result: ParseResult<T>): { code: string; message: string } {
  if (result.ok) throw new Error(`expected a failure, got ${JSON.stringify(result.value)}`);
  return { code: result.code, message: result.message };
}

describe("parseBoolean", () => {
  it.each(["true", "TRUE", " yes ", "on", "1"])("reads %j as true", (raw) => {
    expect(value(parseBoolean(raw))).toBe(true);
  });

  it.each(["false", "False", "no", "off", "0"])("reads %j as false", (raw) => {
    expect(value(parseBoolean(raw))).toBe(false);
  });

  it.each(["maybe", "y", "2", "truee"])("refuses %j and lists every accepted value", (raw) => {
    const { code, message } = failure(parseBoolean(raw));
    expect(code).toBe("E_SETTING_BOOLEAN");
    for (const accepted of ["true", "yes", "on", "1", "false", "no", "off", "0"]) {
      expect(message).toContain(accepted);
    }
  });
});

describe("parseDuration", () => {
  it.each([
    ["30s", 30_000],
    ["5m", 300_000],
    ["1h30m", 5_400_000],
    ["500ms", 500],
    ["1m30s", 90_000],
    ["1.5s", 1500],
    ["90", 90_000],
    [" 2H ", 7_200_000],
  ])("reads %j as %d ms", (raw, ms) => {
    expect(value(parseDuration(raw))).toBe(ms);
  });

  it.each(["5 minutes", "5min", "", "s", "-5s", "1h 30m", "1d"])("refuses %j", (raw) => {
    const { code, message } = failure(parseDuration(raw));
    expect(code).toBe("E_SETTING_DURATION");
    expect(message).toContain("30s");
  });
});

describe("parseList", () => {
  it("splits Drone's comma-joined form, trimming and dropping empty items", () => {
    expect(value(parseList("a@x.org, b@x.org,,c@x.org "))).toEqual(["a@x.org", "b@x.org", "c@x.org"]);
  });

  it("reads a JSON array, keeping commas inside items", () => {
    expect(value(parseList('["a,b", "c", 3, true]'))).toEqual(["a,b", "c", "3", "true"]);
  });

  it("falls back to commas when text starting with [ is not a JSON array", () => {
    expect(value(parseList("[draft], final"))).toEqual(["[draft]", "final"]);
  });

  it("gives an empty list for an empty value", () => {
    expect(value(parseList(" "))).toEqual([]);
  });
});

describe("parseMap", () => {
  it("reads a JSON object, turning scalars into text", () => {
    expect(value(parseMap('{"A":"1","B":2,"C":true,"D":null}'))).toEqual({
      A: "1",
      B: "2",
      C: "true",
      D: "",
    });
  });

  it.each(['["a"]', "42", '"text"', "null", "KEY=value", '{"A":{"B":1}}'])("refuses %j", (raw) => {
    expect(failure(parseMap(raw)).code).toBe("E_SETTING_MAP");
  });
});

describe("setting kinds", () => {
  const port = settings.integer({ min: 1, max: 65535 })({ description: "port" });
  const timeout = settings.duration({ min: 1000, max: 3_600_000 })({ description: "timeout" });

  it.each<["port" | "timeout", string, string]>([
    ["port", "22a", "E_SETTING_INTEGER"],
    ["port", "1.5", "E_SETTING_INTEGER"],
    ["port", "", "E_SETTING_INTEGER"],
    ["port", "0", "E_SETTING_RANGE"],
    ["timeout", "500ms", "E_SETTING_RANGE"],
    ["timeout", "2h", "E_SETTING_RANGE"],
    ["timeout", "5 minutes", "E_SETTING_DURATION"],
  ])("%s refuses %j with %s", (name, raw, code) => {
    expect(failure({ port, timeout }[name].parse(raw)).code).toBe(code);
  });

  it("integer: a whole number within the range", () => {
    expect(value(port.parse(" 2222 "))).toBe(2222);
    const range = failure(port.parse("70000"));
    expect(range.code).toBe("E_SETTING_RANGE");
    expect(range.message).toContain("from 1 to 65535");
    expect(port.type).toBe("integer from 1 to 65535");
    expect(settings.integer({ min: 0 })({ description: "n" }).type).toBe("integer of at least 0");
    expect(value(settings.integer()({ description: "n" }).parse("-3"))).toBe(-3);
  });

  it("duration: milliseconds, with an optional range", () => {
    expect(value(timeout.parse("5m"))).toBe(300_000);
  });

  it("enum: case-insensitive, and the message lists the choices", () => {
    const security = settings.enum(["starttls", "tls", "none"])({ description: "security" });
    expect(value(security.parse("STARTTLS"))).toBe("starttls");
    const bad = failure(security.parse("ssl3"));
    expect(bad.code).toBe("E_SETTING_ENUM");
    expect(bad.message).toBe("must be one of starttls, tls, none");
  });

  it("string: trimmed, and checked by a zod schema when given", () => {
    const url = settings.string(z.url())({ description: "url" });
    expect(value(url.parse(" https://git.example.com "))).toBe("https://git.example.com");
    expect(failure(url.parse("not a url")).code).toBe("E_SETTING_INVALID");
  });

  it("secret: kept exactly as given (a password may start or end with a space)", () => {
    const password = settings.secret({ description: "password" });
    expect(value(password.parse(" pa ss "))).toBe(" pa ss ");
    expect(password.secret).toBe(true);
  });

  it("list: items checked by zod, every bad item named", () => {
    const recipients = settings.list(z.email())({ description: "recipients" });
    expect(value(recipients.parse("a@x.org,b@x.org"))).toEqual(["a@x.org", "b@x.org"]);
    const bad = failure(recipients.parse("a@x.org, nope, also-bad"));
    expect(bad.code).toBe("E_SETTING_LIST_ITEM");
    expect(bad.message).toContain('"nope"');
    expect(bad.message).toContain('"also-bad"');
    expect(bad.message).not.toContain("a@x.org");
  });

  it("list: items restricted to choices, case-insensitive", () => {
    const when = settings.list({ choices: ["success", "failure", "changed"] })({ description: "when" });
    expect(value(when.parse("success, FAILURE"))).toEqual(["success", "failure"]);
    const bad = failure(when.parse("success,sucess"));
    expect(bad.code).toBe("E_SETTING_LIST_ITEM");
    expect(bad.message).toContain('"sucess"');
    expect(bad.message).toContain("accepted: success, failure, changed");
    expect(when.type).toBe("list of success, failure, changed");
  });

  it("map and boolean settings use the parsers above", () => {
    expect(value(settings.map({ description: "labels" }).parse('{"a":"b"}'))).toEqual({ a: "b" });
    expect(failure(settings.boolean({ description: "flag" }).parse("maybe")).code).toBe("E_SETTING_BOOLEAN");
  });
});

describe("type inference", () => {
  const schema = {
    host: settings.string()({ description: "host", required: true }),
    port: settings.integer()({ description: "port", default: 22 }),
    user: settings.string()({ description: "user" }),
    insecure: settings.boolean({ description: "skip verification", default: false }),
    password: settings.secret({ description: "password" }),
    token: settings.secret({ description: "token", required: true }),
    mode: settings.enum(["send", "dry"])({ description: "mode", default: "send" }),
    level: settings.enum(["a", "b"])({ description: "level" }),
    recipients: settings.list(z.email())({ description: "to", required: true }),
    when: settings.list({ choices: ["success", "failure"] })({ description: "when" }),
    labels: settings.map({ description: "labels" }),
    timeout: settings.duration()({ description: "timeout", default: 30_000 }),
    channels: settings.list()({ description: "channels", default: ["stable"] }),
    env: settings.map({ description: "env", default: { A: "1" } }),
  };

  it("a setting with a default or required is not optional; the rest may be undefined", () => {
    expectTypeOf<SettingsOf<typeof schema>>().toEqualTypeOf<{
      host: string;
      port: number;
      user: string | undefined;
      insecure: boolean;
      password: string | undefined;
      token: string;
      mode: "send" | "dry";
      level: "a" | "b" | undefined;
      recipients: string[];
      when: ("success" | "failure")[] | undefined;
      labels: Record<string, string> | undefined;
      timeout: number;
      channels: string[];
      env: Record<string, string>;
    }>();
    expectTypeOf(schema.port).toExtend<Setting<number, false>>();
    expectTypeOf(schema.user).toExtend<Setting<string, true>>();
  });
});
