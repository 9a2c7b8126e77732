import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { sourceMappedStack } from "../src/stack.ts";
import { tempDir } from "./helpers.ts";

describe("sourceMappedStack", () => {
  it("points a bundle's frames at the TypeScript source through the map beside it", async () => {
    const dir = await tempDir();
    const source = path.join(dir, "explode.ts");
    await writeFile(
      source,
      [
        "type Reason = string;",
        "export function explode(reason: Reason): never {",
        '  throw new Error("exploded: " + reason);',
        "}",
        "try { explode('on purpose'); } catch (error) { console.log((error as Error).stack); }",
        "",
      ].join("\n"),
    );
    const bundle = path.join(dir, "index.mjs");
    await build({
      entryPoints: [source],
      outfile: bundle,
      bundle: true,
      format: "esm",
      platform: "node",
      sourcemap: "linked",
      minifyWhitespace: true,
    });
    const { stdout } = await promisify(execFile)(process.execPath, [bundle]);
    expect(stdout).toMatch(/index\.mjs:\d+:\d+/);

    const mapped = sourceMappedStack(stdout);
    expect(mapped).toContain("explode.ts:3:9");
    expect(mapped).not.toMatch(/index\.mjs:\d+:\d+/);
  });

  it("leaves frames without a map alone", () => {
    const stack = "Error: x\n    at f (/nowhere/index.mjs:1:2)\n    at node:internal/main:3:4";
    expect(sourceMappedStack(stack)).toBe(stack);
  });
});
