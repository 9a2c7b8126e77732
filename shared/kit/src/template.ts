import { createHash } from "node:crypto";
import type { BuildContext } from "./context.ts";

/**
 * Run-time templates in settings: `{{ branch }}`, `{{ build.number }}`, `{{ commit.sha | short }}`.
 * A setting that names something (a namespace, a VM) renders every placeholder as a DNS-safe
 * slug, so `preview-{{ branch }}` on `feature/Login_Page` becomes `preview-feature-login-page`.
 */

export type TemplateVars = Readonly<Record<string, string | number | undefined>>;

export function contextVars(context: BuildContext): Record<string, string | number | undefined> {
  const { build, commit, repo } = context;
  return {
    branch: commit.branch,
    tag: commit.tag,
    ref: commit.ref,
    event: build.event,
    sha: commit.sha,
    "build.number": build.number,
    "build.event": build.event,
    "build.status": build.status,
    "build.link": build.link,
    "build.deploy_to": build.deployTo,
    "commit.sha": commit.sha,
    "commit.short_sha": commit.shortSha,
    "commit.branch": commit.branch,
    "commit.tag": commit.tag,
    "commit.ref": commit.ref,
    "commit.message": commit.message,
    "commit.author": commit.author.name,
    "commit.author.email": commit.author.email,
    repo: repo.fullName,
    "repo.owner": repo.owner,
    "repo.name": repo.name,
    pull_request: context.pullRequest,
  };
}

const FILTERS: Record<string, (value: string) => string> = {
  slug: (value) => slug(value),
  lower: (value) => value.toLowerCase(),
  upper: (value) => value.toUpperCase(),
  short: (value) => value.slice(0, 8),
};

const PLACEHOLDER = /\{\{\s*([\w.-]+)((?:\s*\|\s*\w+)*)\s*\}\}/g;

export class TemplateError extends Error {}

/** Replaces every `{{ name | filter }}`; an unknown name or filter, or an empty value, is an error. */
export function renderTemplate(text: string, vars: TemplateVars, mode: "text" | "name" = "text"): string {
  const problems: string[] = [];
  const rendered = text.replace(PLACEHOLDER, (_match, name: string, filterText: string) => {
    if (!(name in vars)) {
      problems.push(`unknown placeholder {{ ${name} }} (known: ${Object.keys(vars).join(", ")})`);
      return "";
    }
    const raw = vars[name];
    if (raw === undefined || raw === "") {
      problems.push(`{{ ${name} }} is empty in this build`);
      return "";
    }
    let value = String(raw);
    for (const filter of filterText
      .split("|")
      .map((part) => part.trim())
      .filter(Boolean)) {
      const apply = FILTERS[filter];
      if (!apply) {
        problems.push(`unknown filter "${filter}" (known: ${Object.keys(FILTERS).join(", ")})`);
        continue;
      }
      value = apply(value);
    }
    return mode === "name" ? nameSlug(value) : value;
  });
  if (problems.length > 0) throw new TemplateError(problems.join("; "));
  if (mode === "name") {
    const name = shorten(rendered);
    if (!DNS_LABEL.test(name)) {
      throw new TemplateError(
        `"${rendered}" is not a DNS-safe name: lower-case letters, digits and "-", starting and ending with a letter or digit`,
      );
    }
    return name;
  }
  return rendered;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const MAX_NAME_LENGTH = 63;

/** Lower-case letters, digits and single dashes; over 63 characters it is shortened with a hash. */
export function slug(value: string, max = MAX_NAME_LENGTH): string {
  const base = value
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return shorten(base, max);
}

/**
 * A placeholder's slug inside a name. Where the slug loses more than `/` → `-` (upper case,
 * `_`, `.`, accents, non-Latin scripts), a short hash of the value is added, so
 * `feature/Login_Form` and `feature/login-form` get two namespaces, and a branch written only
 * in characters a DNS label cannot hold still gets a name.
 */
export function nameSlug(value: string): string {
  const base = slug(value);
  if (base === value.replace(/\//g, "-")) return base;
  const hash = createHash("sha256").update(value).digest("hex").slice(0, 6);
  return base === "" ? hash : `${base}-${hash}`;
}

/** Keeps names unique when cutting them: the tail becomes a short hash of the whole. */
function shorten(name: string, max = MAX_NAME_LENGTH): string {
  if (name.length <= max) return name;
  const hash = createHash("sha256").update(name).digest("hex").slice(0, 6);
  return `${name.slice(0, max - hash.length - 1).replace(/-+$/, "")}-${hash}`;
}

const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*)|:(\d+)(?::(\d+))?)?\}/g;

/** What a lookup says of a name: its value (undefined when unset), or why it may not be used. */
export type ExpansionResult = { value: string | undefined } | { refused: string };

/**
 * `${VAR}`, `${VAR:-default}` and `${VAR:offset:length}` from the given variables (the build's
 * and earlier steps' outputs, as the lookup allows). Drone substitutes these when it parses the
 * YAML; `$${VAR}` in `.drone.yml` reaches the plugin as `${VAR}`, to be expanded here at run
 * time. One pass: a value that itself holds `${…}` is not expanded again.
 */
export function expandVariables(
  text: string,
  lookup: (name: string) => ExpansionResult | string | undefined,
): string {
  const missing: string[] = [];
  const refused = new Map<string, string>();
  const expanded = text.replace(
    VARIABLE,
    (_match, name: string, fallback?: string, offset?: string, length?: string) => {
      const found = lookup(name);
      if (typeof found === "object" && "refused" in found) {
        refused.set(name, found.refused);
        return "";
      }
      const value = typeof found === "object" ? found.value : found;
      if (value === undefined || value === "") {
        if (fallback !== undefined) return fallback;
        missing.push(name);
        return "";
      }
      if (offset === undefined) return value;
      const start = Number(offset);
      return length === undefined ? value.slice(start) : value.slice(start, start + Number(length));
    },
  );
  const problems: string[] = [];
  for (const [name, why] of refused) problems.push(`\${${name}} is not expanded: ${why}`);
  if (missing.length > 0) {
    problems.push(
      `${missing.map((name) => `\${${name}}`).join(", ")} ${missing.length > 1 ? "are" : "is"} not set in this build nor in an earlier step's outputs`,
    );
  }
  if (problems.length > 0) throw new TemplateError(problems.join("; "));
  return expanded;
}
