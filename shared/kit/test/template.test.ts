// biome-ignore-all lint/suspicious/noTemplateCurlyInString: literal ${VAR} references are what these tests are about
import { describe, expect, it } from "vitest";
import { readContext } from "../src/context.ts";
import {
  contextVars,
  expandVariables,
  MAX_NAME_LENGTH,
  renderTemplate,
  slug,
  TemplateError,
} from "../src/template.ts";

const vars = contextVars(
  readContext(
    {
      DRONE: "true",
      DRONE_BRANCH: "Feature/Login_Page",
      DRONE_COMMIT_SHA: "0123456789abcdef0123456789abcdef01234567",
      DRONE_BUILD_NUMBER: "42",
      DRONE_REPO: "acme/shop",
    },
    "/drone/src",
  ),
);

function templateError(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(TemplateError);
    return (error as Error).message;
  }
  throw new Error("expected a TemplateError");
}

describe("renderTemplate", () => {
  it("replaces placeholders with the build's values, spaces optional", () => {
    expect(renderTemplate("{{branch}} #{{ build.number }} of {{  repo.name  }}", vars)).toBe(
      "Feature/Login_Page #42 of shop",
    );
  });

  it.each(
    Object.entries({
      "{{ commit.sha | short }}": "01234567",
      "{{ branch | slug }}": "feature-login-page",
      "{{ branch | lower }}": "feature/login_page",
      "{{ branch | upper }}": "FEATURE/LOGIN_PAGE",
      "{{ branch | slug | upper }}": "FEATURE-LOGIN-PAGE",
    }),
  )("applies filters, chained left to right: %s", (template, rendered) => {
    expect(renderTemplate(template, vars)).toBe(rendered);
  });

  it("renders every placeholder as a slug in name mode", () => {
    const branch = (name: string) => ({ ...vars, branch: name });
    expect(
      renderTemplate("preview-{{ branch }}-{{ build.number }}", branch("feature/login-page"), "name"),
    ).toBe("preview-feature-login-page-42");
  });

  it("keeps branches apart whose slugs would meet, and names branches of any script", () => {
    const name = (branch: string) => renderTemplate("preview-{{ branch }}", { ...vars, branch }, "name");
    const names = [
      "feature/login-form",
      "feature/Login_Form",
      "feature/login_form",
      "feature/login.form",
    ].map(name);
    expect(names[0]).toBe("preview-feature-login-form");
    expect(new Set(names).size).toBe(names.length);
    for (const other of names.slice(1)) expect(other).toMatch(/^preview-feature-login-form-[0-9a-f]{6}$/);
    expect(name("機能")).toMatch(/^preview-[0-9a-f]{6}$/);
    expect(name("機能")).not.toBe(name("修正"));
    expect(name("feature/Login_Form")).toBe(name("feature/Login_Form"));
  });

  it("refuses an unknown placeholder and lists the known names", () => {
    const message = templateError(() => renderTemplate("{{ brnach }}", vars));
    expect(message).toContain("unknown placeholder {{ brnach }}");
    for (const known of ["branch", "tag", "build.number", "commit.sha", "repo.name"])
      expect(message).toContain(known);
  });

  it("refuses an unknown filter and lists the known ones", () => {
    const message = templateError(() => renderTemplate("{{ branch | kebab }}", vars));
    expect(message).toContain('unknown filter "kebab" (known: slug, lower, upper, short)');
  });

  it("refuses a placeholder that is empty in this build, reporting all problems together", () => {
    const message = templateError(() => renderTemplate("{{ tag }}-{{ nope }}", vars));
    expect(message).toContain("{{ tag }} is empty in this build");
    expect(message).toContain("unknown placeholder {{ nope }}");
  });

  it("refuses a name that is no DNS label", () => {
    expect(templateError(() => renderTemplate("Preview-{{ branch }}", vars, "name"))).toContain(
      "is not a DNS-safe name",
    );
    expect(templateError(() => renderTemplate("x_{{ build.number }}", vars, "name"))).toContain("DNS-safe");
  });

  it("keeps long names within 63 characters and still unique", () => {
    const long = "a-very-long-branch-name-that-goes-on-and-on-and-on-for-quite-a-while";
    const one = renderTemplate("preview-{{ branch }}", { branch: `${long}-one` }, "name");
    const two = renderTemplate("preview-{{ branch }}", { branch: `${long}-two` }, "name");
    expect(one).not.toBe(two);
    for (const name of [one, two]) {
      expect(name.length).toBeLessThanOrEqual(MAX_NAME_LENGTH);
      expect(name).toMatch(/^preview-a-very-long-branch-name/);
      expect(name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    }
  });
});

describe("slug", () => {
  it.each([
    ["feature/Login_Page", "feature-login-page"],
    ["--Release  1.2--", "release-1-2"],
    ["Café Übersicht", "cafe-ubersicht"],
    ["dependabot/npm_and_yarn/@types/node-24", "dependabot-npm-and-yarn-types-node-24"],
  ])("%j → %j", (input, expected) => {
    expect(slug(input)).toBe(expected);
  });

  it("shortens over 63 characters with a hash, so different long inputs stay different", () => {
    const base = "x".repeat(70);
    const one = slug(`${base}-alpha`);
    const two = slug(`${base}-beta`);
    expect(one).not.toBe(two);
    expect(one.length).toBeLessThanOrEqual(63);
    expect(two.length).toBeLessThanOrEqual(63);
    expect(slug(`${base}-alpha`)).toBe(one);
    expect(slug("short")).toBe("short");
    expect(slug("b".repeat(63))).toBe("b".repeat(63));
  });

  it("does not leave a dash before the hash", () => {
    const name = slug(`${"ab-".repeat(30)}end`);
    expect(name).not.toMatch(/--/);
    expect(name.length).toBeLessThanOrEqual(63);
  });
});

describe("expandVariables", () => {
  const env: Record<string, string> = { VM_IP: "10.0.0.7", SHA: "0123456789abcdef", EMPTY: "" };
  const lookup = (name: string) => env[name];

  it.each([
    ["http://${VM_IP}:8080", "http://10.0.0.7:8080"],
    ["${PORT:-22}/${EMPTY:-none}/${VM_IP:-x}", "22/none/10.0.0.7"],
    ["${SHA:0:8}", "01234567"],
    ["${SHA:8}", "89abcdef"],
    ["${PORT:-}", ""],
  ])("expands ${VAR}, ${VAR:-default} and ${VAR:offset:length}: %s", (text, expanded) => {
    expect(expandVariables(text, lookup)).toBe(expanded);
  });

  it("leaves text without ${…} alone, including $VAR without braces", () => {
    expect(expandVariables("cost: $5, $VM_IP, {VM_IP}", lookup)).toBe("cost: $5, $VM_IP, {VM_IP}");
  });

  it("names a variable the lookup refuses, and why", () => {
    const refusing = (name: string) =>
      name === "SECRET" ? { refused: "not for you" } : { value: env[name] };
    expect(() => expandVariables("${SECRET}-${VM_IP}", refusing)).toThrow(
      "${SECRET} is not expanded: not for you",
    );
  });

  it("expands once: a value holding ${…} is not expanded again", () => {
    const nested = (name: string) => ({ MESSAGE: "fix ${VM_IP}", VM_IP: "10.0.0.7" })[name];
    expect(expandVariables("${MESSAGE}", nested)).toBe("fix ${VM_IP}");
  });

  it("names every missing variable", () => {
    expect(() => expandVariables("${A}", lookup)).toThrow(TemplateError);
    expect(() => expandVariables("${A}", lookup)).toThrow(/^\$\{A\} is not set in this build nor/);
    expect(() => expandVariables("${A}-${EMPTY}-${VM_IP}", lookup)).toThrow(
      /^\$\{A\}, \$\{EMPTY\} are not set/,
    );
  });
});
