import type { BuildContext } from "../context.ts";
import { docsLink } from "../docs-link.ts";
import type { SettingProblem } from "../errors.ts";
import type { Masker } from "../mask.ts";
import type { Outputs } from "../outputs.ts";
import {
  contextVars,
  type ExpansionResult,
  expandVariables,
  renderTemplate,
  TemplateError,
} from "../template.ts";
import { parseList, type Setting, type SettingsOf, type SettingsSchema } from "./define.ts";
import { closestName, envNameOf, normaliseName, PLUGIN_PREFIX } from "./names.ts";

export interface ReadSettingsInput<S extends SettingsSchema> {
  plugin: string;
  schema: S;
  env: Readonly<Record<string, string | undefined>>;
  context: BuildContext;
  /** Earlier steps' outputs, for `${VAR}` expansion. */
  outputs: Outputs;
  masker: Masker;
}

export interface ReadSettingsResult<S extends SettingsSchema> {
  /** Every setting that parsed; those with a problem are left out. */
  values: Partial<SettingsOf<S>>;
  problems: SettingProblem[];
  warnings: string[];
}

const MAX_ECHO = 80;

/**
 * Reads every setting, collecting every problem instead of stopping at the first, so the user
 * fixes the step once. Secret values are registered with the masker before anything else.
 */
export function readSettings<S extends SettingsSchema>(input: ReadSettingsInput<S>): ReadSettingsResult<S> {
  const { plugin, schema, env, masker } = input;
  const given = pluginEnv(env);
  const values: Record<string, unknown> = {};
  const problems: SettingProblem[] = [];
  const vars: Record<string, string | number | undefined> = contextVars(input.context);
  const lookup = expansionLookup(env, input.outputs);

  // Every secret is known before any value is expanded or echoed, whatever the schema's order.
  for (const [name, spec] of Object.entries(schema) as [string, Setting][]) {
    if (!spec.secret) continue;
    const found = findRaw(name, spec, given, env);
    masker.add(found?.raw);
    // A list's problems quote its bad items one by one: mask each of them, too.
    if (found && spec.type.startsWith("list")) for (const item of splitItems(found.raw)) masker.add(item);
  }
  for (const variable of RUNNER_SECRETS) masker.add(env[variable]);

  for (const [name, spec] of Object.entries(schema) as [string, Setting][]) {
    let found = findRaw(name, spec, given, env);
    // A template's default (`preview-{{ branch }}`) is rendered like a given value.
    if (found === undefined && spec.template && typeof spec.default === "string") {
      found = { raw: spec.default, source: "default" };
    }
    if (found === undefined) {
      if (spec.default !== undefined) values[name] = spec.default;
      else if (spec.required)
        problems.push(problem(plugin, name, spec, "E_SETTING_REQUIRED", requiredMessage(name, spec)));
      continue;
    }
    let text = found.raw;
    try {
      if (spec.expand ?? !spec.secret) text = expandVariables(text, lookup);
      if (spec.template) text = renderTemplate(text, vars, spec.template);
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      problems.push(problem(plugin, name, spec, "E_SETTING_TEMPLATE", error.message, found, masker));
      continue;
    }
    // A secret must not flow into a value that is printed, published or sent in the clear:
    // through `${…}` or a placeholder (a commit message that holds one), the value grew a secret.
    if (
      !spec.secret &&
      text !== found.raw &&
      masker.apply(text) !== text &&
      masker.apply(found.raw) === found.raw
    ) {
      problems.push(
        problem(
          plugin,
          name,
          spec,
          "E_SETTING_SECRET",
          "expands to a value that holds a secret; secrets are given only to the settings declared secret",
          found,
          masker,
        ),
      );
      continue;
    }
    const parsed = spec.parse(text);
    if (!parsed.ok) {
      problems.push(problem(plugin, name, spec, parsed.code, parsed.message, found, masker));
      continue;
    }
    values[name] = parsed.value;
    // A rendered name can be used by later settings' templates (`url: https://{{ namespace }}.example.com`).
    if (spec.template === "name" && typeof parsed.value === "string") vars[name] = parsed.value;
  }

  return { values: values as Partial<SettingsOf<S>>, problems, warnings: unknownKeyWarnings(schema, given) };
}

/** Runner credentials that reach every step's environment: never printed, never expanded. */
const RUNNER_SECRETS = [
  "DRONE_NETRC_PASSWORD",
  "CI_NETRC_PASSWORD",
  "DRONE_NETRC_USERNAME",
  "CI_NETRC_USERNAME",
];

/**
 * What `${VAR}` may name: the build's own `DRONE_*` and `CI_*` variables and earlier steps'
 * outputs. Nothing else of the environment: the plugin's own settings (`PLUGIN_API_KEY`), the
 * step's `environment:` (often a `from_secret`) and the runner's variables stay out, so a
 * commit message or tag that holds `${PLUGIN_API_KEY}` cannot pull a secret into a title.
 */
export function expansionLookup(
  env: Readonly<Record<string, string | undefined>>,
  outputs: Outputs,
): (name: string) => ExpansionResult {
  return (name) => {
    if (isBuildVariable(name)) return { value: env[name] };
    if (Object.hasOwn(outputs, name)) return { value: outputs[name] };
    return {
      refused:
        "no earlier step of this build wrote it, and only the build's DRONE_* and CI_* variables and earlier steps' outputs are expanded",
    };
  };
}

const SECRET_NAME = /NETRC|PASSWORD|SECRET|TOKEN|PRIVATE|CREDENTIAL/;

export function isBuildVariable(name: string): boolean {
  return /^(DRONE|CI)_[A-Z0-9_]+$/.test(name) && !SECRET_NAME.test(name);
}

interface Found {
  raw: string;
  /** The variable it came from, for messages. */
  source: string;
}

function pluginEnv(env: Readonly<Record<string, string | undefined>>): Map<string, Found> {
  const given = new Map<string, Found>();
  for (const [key, raw] of Object.entries(env)) {
    if (!key.toUpperCase().startsWith(PLUGIN_PREFIX) || raw === undefined) continue;
    const name = normaliseName(key.slice(PLUGIN_PREFIX.length));
    // Drone passes an unset `from_secret` as an empty string: treat it as not given.
    if (raw.trim() === "" || given.has(name)) continue;
    given.set(name, { raw, source: key });
  }
  return given;
}

function findRaw(
  name: string,
  spec: Setting,
  given: Map<string, Found>,
  env: Readonly<Record<string, string | undefined>>,
): Found | undefined {
  for (const candidate of [name, ...(spec.aliases ?? [])]) {
    const found = given.get(normaliseName(candidate));
    if (found) return found;
  }
  for (const variable of spec.env ?? []) {
    const raw = env[variable];
    if (raw !== undefined && raw.trim() !== "") return { raw, source: variable };
  }
  return undefined;
}

function requiredMessage(name: string, spec: Setting): string {
  const ways = [envNameOf(name), ...(spec.aliases ?? []).map(envNameOf), ...(spec.env ?? [])];
  return `is required: set \`${name}\` under the step's settings (read from ${ways.join(", ")})`;
}

function problem(
  plugin: string,
  name: string,
  spec: Setting,
  code: string,
  message: string,
  found?: Found,
  masker?: Masker,
): SettingProblem {
  let value: string | undefined;
  if (found) {
    value = spec.secret
      ? "[secret, redacted]"
      : found.raw.length > MAX_ECHO
        ? `${found.raw.slice(0, MAX_ECHO)}…`
        : found.raw;
  }
  const text = spec.secret && masker ? masker.apply(message) : message;
  return { code, setting: name, message: text, value, docs: docsLink(plugin, name) };
}

function unknownKeyWarnings(schema: SettingsSchema, given: Map<string, Found>): string[] {
  const known = new Map<string, string>();
  for (const [name, spec] of Object.entries(schema)) {
    for (const candidate of [name, ...(spec.aliases ?? [])]) known.set(normaliseName(candidate), name);
  }
  const warnings: string[] = [];
  for (const [normalised, found] of given) {
    if (known.has(normalised)) continue;
    const written = found.source.slice(PLUGIN_PREFIX.length).toLowerCase();
    const suggestion = closestName(written, [...known.values()]);
    warnings.push(
      `unknown setting "${written}" (${found.source}) is ignored${suggestion ? `: did you mean "${suggestion}"?` : ""}`,
    );
  }
  return warnings;
}

function splitItems(raw: string): string[] {
  const parsed = parseList(raw);
  return parsed.ok ? parsed.value : [];
}
