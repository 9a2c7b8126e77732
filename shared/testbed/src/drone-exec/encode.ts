/**
 * A step's `settings:` as Drone hands them to a plugin: `PLUGIN_` + the key upper-cased
 * (nothing else replaced), scalars as text, lists of scalars comma-joined, maps and lists of
 * objects as JSON, and `{ from_secret: name }` (top level only, as in Drone) as the secret's value.
 */
export function encodeSettings(
  settings: Readonly<Record<string, unknown>> | undefined,
  secret: (name: string) => string | undefined,
): Encoded {
  return encode(settings, (key) => `PLUGIN_${key.toUpperCase()}`, secret);
}

/** `environment:` keys arrive unprefixed, with `from_secret` as in settings. */
export function encodeEnvironment(
  environment: Readonly<Record<string, unknown>> | undefined,
  secret: (name: string) => string | undefined,
): Encoded {
  return encode(environment, (key) => key, secret);
}

interface Encoded {
  env: Record<string, string>;
  missingSecrets: string[];
}

function encode(
  values: Readonly<Record<string, unknown>> | undefined,
  nameOf: (key: string) => string,
  secret: (name: string) => string | undefined,
): Encoded {
  const env: Record<string, string> = {};
  const missingSecrets: string[] = [];
  for (const [key, value] of Object.entries(values ?? {})) {
    const secretName = fromSecret(value);
    if (secretName === undefined) {
      env[nameOf(key)] = encodeValue(value);
      continue;
    }
    const found = secret(secretName);
    // Drone passes an unknown secret as an empty value; the plugin then says what is missing.
    if (found === undefined) missingSecrets.push(secretName);
    env[nameOf(key)] = found ?? "";
  }
  return { env, missingSecrets };
}

function fromSecret(value: unknown): string | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  const name = (value as Record<string, unknown>).from_secret;
  return keys.length === 1 && typeof name === "string" ? name : undefined;
}

export function encodeValue(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint")
    return String(value);
  if (Array.isArray(value) && value.every((item) => item === null || typeof item !== "object")) {
    return value.map((item) => (item === null ? "" : String(item))).join(",");
  }
  return JSON.stringify(value);
}
