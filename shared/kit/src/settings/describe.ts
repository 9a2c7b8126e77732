import { settingAnchor } from "../docs-link.ts";
import type { Setting, SettingsSchema } from "./define.ts";

/** The settings table of a plugin's docs page, generated so that it cannot drift from the code. */
export function settingsTable(schema: SettingsSchema): string {
  const rows = Object.entries(schema).map(([name, spec]) => {
    const names = [
      `<a id="${settingAnchor(name)}"></a>\`${name}\``,
      ...(spec.aliases ?? []).map((alias) => `\`${alias}\``),
    ];
    const from = [...(spec.env ?? []).map((variable) => `env \`${variable}\``)];
    const notes = [
      spec.description,
      spec.template === "name" ? "Takes `{{ … }}` placeholders, rendered as DNS-safe names." : "",
      spec.template === "text" ? "Takes `{{ … }}` placeholders." : "",
      from.length > 0 ? `Also read from ${from.join(", ")}.` : "",
      spec.example ? `Example: \`${spec.example}\`.` : "",
    ]
      .filter(Boolean)
      .join(" ");
    return `| ${names.join("<br>")} | ${spec.type}${spec.secret ? " 🔒" : ""} | ${defaultText(spec)} | ${escapeCell(notes)} |`;
  });
  return ["| Setting | Type | Default | Description |", "| --- | --- | --- | --- |", ...rows].join("\n");
}

/** `--help`: the same facts as the docs table, for a terminal. */
export function helpText(plugin: string, description: string, schema: SettingsSchema, docs: string): string {
  const lines = [`${plugin}: ${description}`, "", "Settings (as PLUGIN_<NAME> environment variables):", ""];
  for (const [name, spec] of Object.entries(schema)) {
    const flags = [spec.type, spec.secret ? "secret" : "", spec.required ? "required" : ""]
      .filter(Boolean)
      .join(", ");
    const fallback =
      spec.default !== undefined || spec.defaultText ? `  [default: ${plainDefault(spec)}]` : "";
    lines.push(`  ${name}  (${flags})${fallback}`);
    lines.push(`      ${spec.description}`);
    if (spec.aliases?.length) lines.push(`      aliases: ${spec.aliases.join(", ")}`);
    if (spec.env?.length) lines.push(`      also from: ${spec.env.join(", ")}`);
  }
  lines.push("", `Docs: ${docs}`, "");
  return lines.join("\n");
}

function defaultText(spec: Setting): string {
  if (spec.required) return "required";
  if (spec.defaultText) return escapeCell(spec.defaultText);
  const text = plainDefault(spec);
  return text === "" ? "" : `\`${escapeCell(text)}\``;
}

function plainDefault(spec: Setting): string {
  if (spec.defaultText) return spec.defaultText;
  const value = spec.default;
  if (value === undefined) return "";
  if (Array.isArray(value)) return value.join(", ");
  if (typeof value === "object" && value !== null) return JSON.stringify(value);
  if (typeof value === "number" && spec.type === "duration") return formatDuration(value);
  return String(value);
}

export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}
