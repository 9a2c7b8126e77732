export interface ParameterSchema {
  type?: string;
  format?: string | Record<string, ParameterSchema & { default_key?: number; format_description?: string }>;
  optional?: number;
  enum?: string[];
  pattern?: string;
  minimum?: number | string;
  maximum?: number | string;
  maxLength?: number;
  default_key?: number;
  requires?: string;
}

const TRUE = ["1", "true", "yes", "on"];
const FALSE = ["0", "false", "no", "off"];

export function isTrue(value: string | undefined): boolean {
  return value !== undefined && TRUE.includes(value.toLowerCase());
}

/** One value against its schema, with pve-api-daemon's messages. */
export function checkValue(schema: ParameterSchema, value: string): string | undefined {
  switch (schema.type) {
    case "integer": {
      if (!/^-?\d+$/.test(value)) return `type check ('integer') failed - got '${value}'`;
      const number = Number(value);
      if (schema.minimum !== undefined && number < Number(schema.minimum))
        return `value must have a minimum value of ${schema.minimum}`;
      if (schema.maximum !== undefined && number > Number(schema.maximum))
        return `value must have a maximum value of ${schema.maximum}`;
      break;
    }
    case "number":
      if (!/^-?\d+(\.\d+)?$/.test(value)) return `type check ('number') failed - got '${value}'`;
      break;
    case "boolean":
      if (!TRUE.includes(value.toLowerCase()) && !FALSE.includes(value.toLowerCase()))
        return `type check ('boolean') failed - got '${value}'`;
      break;
  }
  if (schema.enum && !schema.enum.includes(value))
    return `value '${value}' does not have a value in the enumeration '${schema.enum.join(", ")}'`;
  if (schema.maxLength !== undefined && value.length > schema.maxLength)
    return `value may only be ${schema.maxLength} characters long`;
  if (schema.pattern && !new RegExp(`^(?:${schema.pattern})$`).test(value))
    return "value does not match the regex pattern";
  if (schema.format !== undefined) return checkFormat(schema.format, value);
  return undefined;
}

/**
 * The string formats of PVE::JSONSchema that the calls a VM plugin makes use, with pve-api-daemon's
 * messages. A format the stand-in does not know passes: strict where it matters, silent elsewhere.
 */

const LABEL = "[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?";
const DNS_NAME = new RegExp(`^${LABEL}(\\.${LABEL})*$`);
/** Tags as the README of the specs says: `;`-separated, each `[a-z0-9_][a-z0-9_\-+.]*`. */
const TAG = /^[a-z0-9_][a-z0-9_\-+.]*$/;
/** pve_verify_urlencoded: what is left after the transport's form decoding must be percent-encoded. */
const URLENCODED = /^[-%a-zA-Z0-9_.!~*'()]*$/;
const CIDR_V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

const IPCONFIG: Record<string, ParameterSchema> = {
  ip: { type: "string", optional: 1, format: "pve-ipv4-config" },
  gw: { type: "string", optional: 1, format: "ipv4" },
  ip6: { type: "string", optional: 1 },
  gw6: { type: "string", optional: 1 },
};

const NAMED: Record<string, (value: string) => string | undefined> = {
  "pve-vmid": (value) =>
    /^[1-9]\d{2,8}$/.test(value) ? undefined : "value does not look like a valid VM ID",
  "pve-node": (value) =>
    new RegExp(`^${LABEL}$`).test(value) ? undefined : "value does not look like a valid node name",
  "dns-name": (value) =>
    DNS_NAME.test(value) && value.length <= 255 ? undefined : "value does not look like a valid DNS name",
  "pve-tag-list": (value) => {
    const tags = value.split(/[;, ]/).filter((tag) => tag !== "");
    const bad = tags.find((tag) => !TAG.test(tag));
    if (tags.length === 0) return "invalid format - tag list is empty";
    return bad === undefined ? undefined : `invalid format - invalid tag '${bad}'`;
  },
  urlencoded: (value) =>
    URLENCODED.test(value) ? undefined : `invalid format - invalid urlencoded string: ${value}`,
  "pve-storage-id": (value) =>
    /^[a-z][a-z0-9\-_.]*[a-z0-9]$/i.test(value)
      ? undefined
      : `storage ID '${value}' contains illegal characters`,
  "pve-poolid": (value) =>
    /^[A-Za-z0-9_\-/]+$/.test(value) ? undefined : `invalid format - invalid pool ID '${value}'`,
  "pve-configid": (value) =>
    /^[a-z][a-z0-9_]+$/i.test(value) ? undefined : `invalid format - invalid configuration ID '${value}'`,
  "pve-configid-list": (value) =>
    value.split(/[;, ]/).every((each) => each === "" || /^[a-z][a-z0-9_]+$/i.test(each))
      ? undefined
      : `invalid format - invalid configuration ID list '${value}'`,
  "pve-userid": (value) =>
    /^[^\s:/]+@[A-Za-z][A-Za-z0-9.\-_]+$/.test(value)
      ? undefined
      : `value '${value}' does not look like a valid user name`,
  "pve-realm": (value) => (/^[A-Za-z][A-Za-z0-9.\-_]+$/.test(value) ? undefined : "invalid realm"),
  ipv4: (value) => (isIpv4(value) ? undefined : `value '${value}' does not look like a valid IPv4 address`),
  "pve-ipv4-config": (value) =>
    value === "dhcp" ||
    (CIDR_V4.test(value) && isIpv4(value.split("/")[0] ?? "") && Number(value.split("/")[1]) <= 32)
      ? undefined
      : `invalid format - '${value}': not 'dhcp' nor an IPv4 CIDR`,
  "pve-qm-ipconfig": (value) => checkPropertyString(IPCONFIG, value),
};

function isIpv4(value: string): boolean {
  const parts = IPV4.exec(value);
  return parts?.slice(1).every((part) => Number(part) <= 255) ?? false;
}

export function checkFormat(
  format: NonNullable<ParameterSchema["format"]>,
  value: string,
): string | undefined {
  if (typeof format === "string") return NAMED[format]?.(value);
  return checkPropertyString(format, value);
}

/** `virtio=BC:24:11:..,bridge=vmbr0`: comma-separated key=value, a bare value for the default key. */
function checkPropertyString(format: Record<string, ParameterSchema>, value: string): string | undefined {
  const defaultKey = Object.entries(format).find(([, schema]) => schema.default_key === 1)?.[0];
  const seen = new Set<string>();
  for (const part of value.split(",")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    let key = eq < 0 ? defaultKey : part.slice(0, eq);
    const item = eq < 0 ? part : part.slice(eq + 1);
    // net0's default key is the model: `virtio=MAC`; the schema lists the models as keys.
    if (key !== undefined && !(key in format) && defaultKey && eq < 0) key = defaultKey;
    if (key === undefined || !(key in format))
      return `invalid format - format error\n${key ?? part}: property is not defined in schema and the schema does not allow additional properties`;
    if (seen.has(key))
      return `invalid format - format error\n${key}: duplicate key in comma-separated list property`;
    seen.add(key);
    const problem = checkValue(format[key] as ParameterSchema, item);
    if (problem) return `invalid format - format error\n${key}: ${problem}`;
  }
  return undefined;
}
