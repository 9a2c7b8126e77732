import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { readContext } from "@hangar/kit";
import { modulesLoadedBy } from "@hangar/testbed";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BundleResult, bundlePlugin } from "../../../scripts/build.ts";
import { DEFAULT_HTML, DEFAULT_TEXT } from "../src/default-mail.ts";
import { compileTemplate } from "../src/render.ts";
import { templateData } from "../src/template-data.ts";

const scratch = mkdtempSync(join(tmpdir(), "notify-email-start-"));
const dist = join(scratch, "dist");
let bundle: BundleResult;
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const env = {
  PATH: process.env.PATH,
  HOME: scratch,
  PLUGIN_HOST: "127.0.0.1",
  PLUGIN_FROM: "Hangar CI <ci@example.com>",
  PLUGIN_RECIPIENTS: "team@example.com",
  DRONE_REPO: "acme/app",
  DRONE_REPO_OWNER: "acme",
  DRONE_REPO_NAME: "app",
  DRONE_BUILD_NUMBER: "12",
  DRONE_BUILD_EVENT: "push",
  DRONE_BUILD_STATUS: "failure",
  DRONE_FAILED_STEPS: "test,lint",
  DRONE_COMMIT_SHA: "3f2a9c1d0e8b7a6f5e4d3c2b1a0f9e8d7c6b5a49",
  DRONE_COMMIT_AUTHOR: "Alice",
  DRONE_COMMIT_AUTHOR_EMAIL: "alice@example.com",
  DRONE_COMMIT_MESSAGE: "Fix <the> login & more",
  DRONE_BRANCH: "main",
  PLUGIN_DRY_RUN: "true",
};

/** The bundle's files that hold the Handlebars compiler (its parser among them). */
function compilerFiles(result: BundleResult): string[] {
  return Object.entries(result.metafile.outputs)
    .filter(([, output]) =>
      Object.keys(output.inputs).some((input) => input.includes("handlebars/compiler/")),
    )
    .map(([path]) => pathToFileURL(join(dist, path.replace(/.*\//, ""))).href);
}

describe("notify-email's start", () => {
  beforeAll(async () => {
    bundle = await bundlePlugin("notify-email", undefined, { distDir: dist });
  }, 120_000);

  it("the bundle's dry run prints what the sources' does, without loading the Handlebars compiler", () => {
    const compiler = compilerFiles(bundle);
    expect(compiler.length).toBeGreaterThan(0);
    const cwd = mkdtempSync(join(scratch, "w-"));
    const bundled = modulesLoadedBy([join(dist, "index.mjs")], { env, cwd });
    expect(bundled.code, bundled.stderr).toBe(0);
    expect(bundled.modules.filter((url) => compiler.includes(url))).toEqual([]);

    const sources = modulesLoadedBy([join(import.meta.dirname, "..", "src", "index.ts")], { env, cwd });
    expect(sources.code, sources.stderr).toBe(0);
    expect(bundled.stdout).toContain("Build FAILED: acme/app #12 (push)");
    expect(bundled.stdout).toContain("subject: [failure] acme/app (main - 3f2a9c1d)");
    expect(bundled.stdout).toBe(sources.stdout);
  });

  it("the bundle loads the compiler for a subject of the user's", () => {
    const cwd = mkdtempSync(join(scratch, "w-"));
    const run = modulesLoadedBy([join(dist, "index.mjs")], {
      env: { ...env, PLUGIN_SUBJECT: "{{ uppercase repo.name }} is {{ build.status }}" },
      cwd,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("subject: APP is failure");
    expect(run.modules.filter((url) => compilerFiles(bundle).includes(url)).length).toBeGreaterThan(0);
  });

  it("the built-in templates render as Handlebars compiles them", async () => {
    const data = templateData(readContext(env, scratch), env);
    for (const [source, html] of [
      [DEFAULT_HTML, true],
      [DEFAULT_TEXT, false],
    ] as const) {
      const render = await compileTemplate(source, { html, check: false });
      const rendered = render(data);
      expect(rendered).toContain(html ? "Fix &lt;the&gt; login &amp; more" : "Fix <the> login & more");
      expect(rendered).toContain("test, lint");
      // The same source with a comment is not built in: Handlebars compiles it, with the same helpers.
      const compiled = await compileTemplate(`${source}{{!-- not built in --}}`, { html, check: false });
      expect(rendered).toBe(compiled(data));
    }
  });
});
