import { type $ZodType, safeParse } from "zod/v4/core";

/**
 * A plugin declares its settings once; parsing, validation, `--help` and the docs page's
 * settings table all come from that declaration.
 */

export type ParseResult<T> = { ok: true; value: T } | { ok: false; code: string; message: string };

export type TemplateMode =
  /** `{{ branch }}` placeholders are replaced by the build context's values as they are. */
  | "text"
  /** Placeholders are replaced by DNS-safe slugs, and the result must be a DNS label. */
  | "name";

export interface SettingOptions<T> {
  description: string;
  default?: T;
  /** Shown in the docs when the default is computed at run time (`the repository name`). */
  defaultText?: string;
  required?: boolean;
  secret?: boolean;
  /** Other names the setting answers to, for drop-in compatibility (`from.address`). */
  aliases?: readonly string[];
  /** Unprefixed environment variables read when the setting is not given (`GITEA_TOKEN`). */
  env?: readonly string[];
  /** Expand `{{ … }}` placeholders from the build context. */
  template?: TemplateMode;
  /** Expand `${VAR}` from the environment and earlier steps' outputs. Default: on, except for secrets. */
  expand?: boolean;
  /** A value as a user writes it in `.drone.yml`, for the docs. */
  example?: string;
}

export interface Setting<T = unknown, Optional extends boolean = boolean> extends SettingOptions<T> {
  /** For the docs and `--help`: `string`, `boolean`, `integer 1–65535`, `duration`, `list`, … */
  readonly type: string;
  readonly parse: (raw: string) => ParseResult<T>;
  /** Phantom marker: whether the parsed value may be undefined. */
  readonly optional?: Optional;
}

type IsOptional<T, O> = O extends { default: T } ? false : O extends { required: true } ? false : true;

function setting<T>(type: string, parse: (raw: string) => ParseResult<T>) {
  return <const O extends SettingOptions<T>>(options: O): Setting<T, IsOptional<T, O>> => ({
    ...options,
    type,
    parse,
  });
}

const ok = <T>(value: T): ParseResult<T> => ({ ok: true, value });
const fail = (code: string, message: string): ParseResult<never> => ({ ok: false, code, message });

const TRUE = ["true", "yes", "on", "1"];
const FALSE = ["false", "no", "off", "0"];

export function parseBoolean(raw: string): ParseResult<boolean> {
  const value = raw.trim().toLowerCase();
  if (TRUE.includes(value)) return ok(true);
  if (FALSE.includes(value)) return ok(false);
  return fail("E_SETTING_BOOLEAN", `must be one of ${[...TRUE, ...FALSE].join(", ")}`);
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** `30s`, `5m`, `1h30m`, `500ms`; a bare number is seconds, as in drone-ssh's `timeout`. */
export function parseDuration(raw: string): ParseResult<number> {
  const text = raw.trim().toLowerCase();
  if (/^\d+$/.test(text)) return ok(Number(text) * 1000);
  const parts = text.match(/\d+(?:\.\d+)?(?:ms|s|m|h)/g);
  if (!parts || parts.join("") !== text) {
    return fail("E_SETTING_DURATION", "must be a duration such as 30s, 5m, 1h30m or 500ms");
  }
  let total = 0;
  for (const part of parts) {
    const [, amount, unit] = DURATION.exec(part) ?? [];
    total += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  }
  return ok(Math.round(total));
}

/** A comma-joined list as Drone passes it, or a JSON array. Empty items are dropped. */
export function parseList(raw: string): ParseResult<string[]> {
  const text = raw.trim();
  if (text.startsWith("[")) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (
        Array.isArray(parsed) &&
        parsed.every((item) => ["string", "number", "boolean"].includes(typeof item))
      ) {
        return ok(parsed.map(String).filter((item) => item.trim() !== ""));
      }
    } catch {
      // Not JSON after all: a comma-joined list whose first item starts with "[".
    }
  }
  return ok(
    text
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item !== ""),
  );
}

export function parseMap(raw: string): ParseResult<Record<string, string>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return fail(
      "E_SETTING_MAP",
      'must be a map (in .drone.yml a YAML mapping; as text, JSON like {"KEY":"value"})',
    );
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    return fail("E_SETTING_MAP", "must be a map of names to values");
  }
  const entries = Object.entries(parsed);
  const nested = entries
    .filter(([, value]) => value !== null && typeof value === "object")
    .map(([key]) => key);
  if (nested.length > 0)
    return fail("E_SETTING_MAP", `values must be text, not nested under ${nested.join(", ")}`);
  return ok(Object.fromEntries(entries.map(([key, value]) => [key, value === null ? "" : String(value)])));
}

function zodCheck<T>(schema: $ZodType<T> | undefined, value: T, code: string): ParseResult<T> {
  if (!schema) return ok(value);
  const result = safeParse(schema, value);
  if (result.success) return ok(result.data);
  return fail(code, result.error.issues.map((issue) => issue.message).join("; "));
}

export const settings = {
  /** Text, optionally checked by a zod schema (`z.url()`, `z.email()`; zod/mini keeps bundles small). */
  string: (schema?: $ZodType<string>) =>
    setting<string>("string", (raw) => zodCheck(schema, raw.trim(), "E_SETTING_INVALID")),

  /** A secret: masked in every log line from the moment it is read, redacted in errors. */
  secret: <const O extends Omit<SettingOptions<string>, "secret" | "default">>(options: O) =>
    setting<string>("string (secret)", (raw) => ok(raw))({ ...options, secret: true }) as Setting<
      string,
      IsOptional<string, O>
    >,

  boolean: setting<boolean>("boolean", parseBoolean),

  integer: (range: { min?: number; max?: number } = {}) => {
    const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = range;
    const bounds =
      range.min !== undefined && range.max !== undefined
        ? ` from ${min} to ${max}`
        : range.min !== undefined
          ? ` of at least ${min}`
          : range.max !== undefined
            ? ` of at most ${max}`
            : "";
    return setting<number>(`integer${bounds}`, (raw) => {
      const text = raw.trim();
      if (!/^-?\d+$/.test(text)) return fail("E_SETTING_INTEGER", `must be a whole number${bounds}`);
      const value = Number(text);
      if (value < min || value > max) return fail("E_SETTING_RANGE", `must be a whole number${bounds}`);
      return ok(value);
    });
  },

  /** A duration in milliseconds. */
  duration: (range: { min?: number; max?: number } = {}) =>
    setting<number>("duration", (raw) => {
      const parsed = parseDuration(raw);
      if (!parsed.ok) return parsed;
      if (range.min !== undefined && parsed.value < range.min) {
        return fail("E_SETTING_RANGE", `must be at least ${range.min / 1000}s`);
      }
      if (range.max !== undefined && parsed.value > range.max) {
        return fail("E_SETTING_RANGE", `must be at most ${range.max / 1000}s`);
      }
      return parsed;
    }),

  /** One of a fixed set of words. */
  enum: <const V extends string>(choices: readonly V[]) =>
    setting<V>(`one of ${choices.join(", ")}`, (raw) => {
      const value = raw.trim().toLowerCase();
      return (choices as readonly string[]).includes(value)
        ? ok(value as V)
        : fail("E_SETTING_ENUM", `must be one of ${choices.join(", ")}`);
    }),

  /** A list; each item optionally checked by a zod schema, or restricted to fixed choices. */
  list: <I extends string = string>(item?: $ZodType<I> | { choices: readonly I[] }) =>
    setting<I[]>(item && "choices" in item ? `list of ${item.choices.join(", ")}` : "list", (raw) => {
      const parsed = parseList(raw);
      if (!parsed.ok) return parsed;
      if (!item) return parsed as ParseResult<I[]>;
      const bad: string[] = [];
      const values: I[] = [];
      for (const entry of parsed.value) {
        if ("choices" in item) {
          const value = entry.toLowerCase();
          if ((item.choices as readonly string[]).includes(value)) values.push(value as I);
          else bad.push(`"${entry}"`);
        } else {
          const result = safeParse(item, entry);
          if (result.success) values.push(result.data);
          else bad.push(`"${entry}" (${result.error.issues[0]?.message ?? "invalid"})`);
        }
      }
      if (bad.length === 0) return ok(values);
      const expected = "choices" in item ? `; accepted: ${item.choices.join(", ")}` : "";
      return fail(
        "E_SETTING_LIST_ITEM",
        `has invalid item${bad.length > 1 ? "s" : ""} ${bad.join(", ")}${expected}`,
      );
    }),

  map: setting<Record<string, string>>("map", parseMap),
};

export type SettingsSchema = Record<string, Setting<unknown, boolean>>;

/** The typed settings a schema yields. */
export type SettingsOf<S extends SettingsSchema> = {
  -readonly [K in keyof S]: S[K] extends Setting<infer T, infer Optional>
    ? Optional extends false
      ? T
      : T | undefined
    : never;
};
