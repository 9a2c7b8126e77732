/**
 * scripts/build.ts runs `*.at-build.ts` modules when it bundles: the bundle holds their exports,
 * not their code nor what they import.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bundlePlugin, valueSource } from "../build.ts";

const root = mkdtempSync(join(tmpdir(), "hangar-at-build-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function write(path: string, text: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

describe("modules evaluated at build time", () => {
  it("the bundle holds what the module computed, and runs without the code that computed it", async () => {
    write("plugins/demo/package.json", JSON.stringify({ name: "@hangar/demo", type: "module" }));
    // Stands for a compiler: expensive, and needed only to make the table.
    write(
      "plugins/demo/src/compiler.ts",
      'export const COMPILER_MARK = "compiler-was-bundled";\nexport const square = (n: number): number => n * n;\n',
    );
    write(
      "plugins/demo/src/table.at-build.ts",
      [
        'import { COMPILER_MARK, square } from "./compiler.ts";',
        "export const squares = [1, 2, 3].map(square);",
        "export const meta = { made: COMPILER_MARK.length > 0, note: undefined, nested: { list: ['a', null] } };",
        'export const twice = new Function("n", "return n * 2;");',
      ].join("\n"),
    );
    write(
      "plugins/demo/src/index.ts",
      'import { meta, squares, twice } from "./table.at-build.ts";\nconsole.log(JSON.stringify({ squares, meta, twice: twice(21) }));\n',
    );
    await bundlePlugin("demo", root);
    const dist = join(root, "plugins/demo/dist");
    const out = execFileSync(process.execPath, [join(dist, "index.mjs")], { encoding: "utf8" });
    expect(JSON.parse(out)).toEqual({
      squares: [1, 4, 9],
      meta: { made: true, nested: { list: ["a", null] } },
      twice: 42,
    });
    const code = readdirSync(dist)
      .filter((file) => file.endsWith(".mjs"))
      .map((file) => readFileSync(join(dist, file), "utf8"))
      .join("\n");
    expect(code).not.toContain("compiler-was-bundled");
  });

  it("refuses an export it cannot write into a bundle, naming it", async () => {
    write("plugins/bad/package.json", JSON.stringify({ name: "@hangar/bad", type: "module" }));
    write("plugins/bad/src/cache.at-build.ts", "export const cache = new Map([[1, 2]]);\n");
    write("plugins/bad/src/index.ts", 'import { cache } from "./cache.at-build.ts";\nconsole.log(cache);\n');
    await expect(bundlePlugin("bad", root)).rejects.toThrow(
      /cache\.at-build\.ts: export cache: a Map instance/,
    );
  });

  it("writes data and closure-free functions as source that evaluates to the same", () => {
    const value = { a: [1, "two", true, null], b: { c: undefined }, f: new Function("x", "return x + 1;") };
    const copy = new Function(`return ${valueSource(value, "value")};`)() as typeof value;
    expect(copy.a).toEqual(value.a);
    expect("c" in copy.b).toBe(true);
    expect((copy.f as (x: number) => number)(1)).toBe(2);
    expect(() => valueSource(Number.NaN, "n")).toThrow(/n: NaN cannot be written/);
    expect(() => valueSource(class Table {}, "t")).toThrow(/t: a class or method/);
  });
});
