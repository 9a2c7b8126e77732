/**
 * scripts/build.ts on a throw-away repository: one file out, CommonJS dependencies that require
 * Node built-ins work, stack traces map to the TypeScript source, failures name the plugin.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { RunError, run } from "@hangar/testbed";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundlePlugin, bundlePlugins } from "../../scripts/build.ts";

const root = mkdtempSync(join(tmpdir(), "hangar-bundle-test-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function write(path: string, text: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

const INDEX = `import greet from "legacy-greeter";
import { shout } from "./shout.ts";

function explode(): never {
  throw new Error("exploded on purpose");
}

if (process.argv.includes("--crash")) explode();
try {
  await import("optional-native");
} catch {
  // optional
}
console.log(shout(greet("hangar")));
if (process.argv.includes("--http")) {
  // A built-in imported dynamically, destructured: what a plugin does for a client it rarely needs.
  const { request, STATUS_CODES } = await import("node:http");
  console.log(typeof request, STATUS_CODES[404]);
}
if (process.argv.includes("--report")) {
  const { report } = await import("./report.ts");
  console.log(report());
}
`;

// Imports node:crypto but hashes only when called: the bundle must not load crypto before that.
const REPORT = `import { createHash } from "node:crypto";
const loaded = () => process.moduleLoadList.includes("NativeModule crypto");
export function report(): string {
  const before = loaded();
  const digest = createHash("sha256").update("hangar").digest("hex").slice(0, 8);
  return JSON.stringify({ before, digest, after: loaded() });
}
`;

beforeAll(() => {
  write(
    "plugins/demo/package.json",
    JSON.stringify({ name: "@hangar/demo", hangar: { external: ["optional-native"] } }),
  );
  write("plugins/demo/src/index.ts", INDEX);
  write("plugins/demo/src/report.ts", REPORT);
  write(
    "plugins/demo/src/shout.ts",
    'import "uses-addon";\nexport const shout = (s: string): string => s.toUpperCase() + "!";\n',
  );
  // A CommonJS dependency that requires a Node built-in at run time, like nodemailer.
  write(
    "node_modules/legacy-greeter/package.json",
    JSON.stringify({ name: "legacy-greeter", main: "index.js" }),
  );
  write(
    "node_modules/legacy-greeter/index.js",
    'const os = require("node:os");\nmodule.exports = (name) => "hello " + name + " from " + typeof os.hostname();\n',
  );
  // Like ssh2 and cpu-features: a dependency that tries an add-on package, whose entry requires a
  // compiled `.node` file unconditionally (absent here, as in an image).
  write("node_modules/uses-addon/package.json", JSON.stringify({ name: "uses-addon", main: "index.js" }));
  write(
    "node_modules/uses-addon/index.js",
    'let addon = null;\ntry { addon = require("optional-addon"); } catch {}\nmodule.exports = addon;\n',
  );
  write(
    "node_modules/optional-addon/package.json",
    JSON.stringify({ name: "optional-addon", main: "lib/index.js" }),
  );
  write(
    "node_modules/optional-addon/lib/index.js",
    'module.exports = require("../build/Release/addon.node");\n',
  );
  write("plugins/broken/src/index.ts", 'import "does-not-exist";\n');
  write("plugins/demo/dist/stale.js", "old");
});

describe("scripts/build.ts", () => {
  it("writes an ESM entry, a chunk per dynamic import, each with its linked source map, nothing else", async () => {
    const result = await bundlePlugin("demo", root);
    const files = readdirSync(join(root, "plugins/demo/dist")).sort();
    expect(files).toContain("index.mjs");
    expect(files).not.toContain("stale.js");
    const code = files.filter((f) => f.endsWith(".mjs"));
    expect(files.filter((f) => f.endsWith(".map")).sort()).toEqual(code.map((f) => `${f}.map`).sort());
    expect(files).toHaveLength(code.length * 2);
    expect(result.bytes).toBeGreaterThan(0);
    const entry = readFileSync(result.outfile, "utf8");
    expect(entry).toContain("//# sourceMappingURL=index.mjs.map");
    expect(entry).toContain('import("optional-native")');
    // report.ts is reached only through import(): its code is in a chunk of its own, loaded on first use.
    expect(entry).not.toContain("moduleLoadList");
    expect(entry).toMatch(/import\("\.\/report-[A-Z0-9]+\.mjs"\)/);
    for (const f of code) {
      const text = readFileSync(join(root, "plugins/demo/dist", f), "utf8");
      expect(Math.max(...text.split("\n").map((l) => l.length)), f).toBeLessThan(2_000);
    }
  });

  it("loads a Node built-in only when one of its exports is first used", async () => {
    const { stdout } = await run(process.execPath, [join(root, "plugins/demo/dist/index.mjs"), "--report"], {
      cwd: tmpdir(),
    });
    const report = JSON.parse(stdout.trim().split("\n").at(-1) ?? "null");
    expect(report).toEqual({ before: false, digest: "696bbd88", after: true });
  });

  it("keeps the named exports of a Node built-in imported with import()", async () => {
    const { stdout } = await run(process.execPath, [join(root, "plugins/demo/dist/index.mjs"), "--http"], {
      cwd: tmpdir(),
    });
    expect(stdout.trim().split("\n").at(-1)).toBe("function Not Found");
  });

  it("runs under plain node, with require() for bundled CommonJS", async () => {
    const { stdout } = await run(
      process.execPath,
      ["--enable-source-maps", join(root, "plugins/demo/dist/index.mjs")],
      {
        cwd: tmpdir(),
      },
    );
    expect(stdout.trim()).toBe("HELLO HANGAR FROM STRING!");
  });

  it("maps stack traces to the TypeScript source, with our source text but not node_modules'", async () => {
    const map = JSON.parse(readFileSync(join(root, "plugins/demo/dist/index.mjs.map"), "utf8")) as {
      sources: string[];
      sourcesContent: (string | null)[];
    };
    expect(map.sources).toContain("plugins/demo/src/index.ts");
    expect(map.sources).toContain("node_modules/legacy-greeter/index.js");
    expect(map.sourcesContent[map.sources.indexOf("plugins/demo/src/index.ts")]).toBe(INDEX);
    expect(map.sourcesContent[map.sources.indexOf("node_modules/legacy-greeter/index.js")]).toBeNull();

    const bundle = join(root, "plugins/demo/dist/index.mjs");
    const failure = await run(process.execPath, ["--enable-source-maps", bundle, "--crash"]).catch(
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(RunError);
    const stderr = (failure as RunError).stderr;
    expect(stderr).toContain("Error: exploded on purpose");
    expect(stderr).toMatch(/at explode \(.*plugins\/demo\/src\/index\.ts:5:9\)/);
    expect(stderr).toContain('throw new Error("exploded on purpose");');
  });

  it("fails naming the plugin and the unresolved import, after trying every plugin", async () => {
    const error = await bundlePlugins(["demo", "broken"], root).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/bundling broken failed:[\s\S]*does-not-exist/);
    expect(readdirSync(join(root, "plugins/demo/dist"))).toContain("index.mjs");
  });

  it("rejects a plugin without src/index.ts", async () => {
    await expect(bundlePlugin("nope", root)).rejects.toThrow("plugins/nope/src/index.ts does not exist");
  });
});
