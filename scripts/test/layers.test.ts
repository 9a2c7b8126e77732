/**
 * The house rules of docs/architecture.md, checked on the source itself: no module imports
 * itself back through others, plugins never import each other, the kit imports nothing of
 * hangar, shipped code never imports the test bed. Read from the files' own import lines, so a
 * new circle or a wrong arrow fails here with the files named.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");

const PACKAGES: Record<string, string> = {
  "@hangar/kit": "shared/kit/src/index.ts",
  "@hangar/gitea": "shared/gitea/src/index.ts",
  "@hangar/oci": "shared/oci/src/index.ts",
  "@hangar/testbed": "shared/testbed/src/index.ts",
};

/** Source files git tracks or would (not ignored), tests and fixtures left out (they may reach anywhere). */
function sourceFiles(): string[] {
  const listed = execFileSync(
    "git",
    ["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "*.ts"],
    { cwd: ROOT, encoding: "utf8" },
  );
  return listed
    .split("\0")
    .filter((file) => file !== "" && !/(^|\/)(test|fixtures|dry-run)\//.test(file) && !file.endsWith(".d.ts"))
    .filter((file) => existsSync(path.join(ROOT, file)));
}

/**
 * What a file imports: static `import … from`, `export … from` and `import("…")` with a literal,
 * resolved to repository files (a package to its index). Lines inside template strings (code a
 * script generates) are skipped by reading only statements that start a line.
 */
function importsOf(file: string, text: string): string[] {
  const found = new Set<string>();
  const statement = /^(?:import|export)\s[^;]*?\sfrom\s+"([^"]+)"|^import\s+"([^"]+)"/gms;
  const dynamic = /\bimport\(\s*"([^"]+)"\s*\)/g;
  for (const match of text.matchAll(statement)) found.add((match[1] ?? match[2]) as string);
  for (const match of text.matchAll(dynamic)) found.add(match[1] as string);
  const resolved: string[] = [];
  for (const specifier of found) {
    if (specifier in PACKAGES) resolved.push(PACKAGES[specifier] as string);
    else if (specifier.startsWith(".")) resolved.push(path.posix.join(path.posix.dirname(file), specifier));
  }
  return resolved;
}

function graph(): Map<string, string[]> {
  const files = sourceFiles();
  const known = new Set(files);
  return new Map(
    files.map((file) => [
      file,
      importsOf(file, readFileSync(path.join(ROOT, file), "utf8")).filter((target) => known.has(target)),
    ]),
  );
}

/** Strongly connected groups of more than one file, or a file that imports itself (Tarjan). */
function circles(edges: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter++;
    stack.push(node);
    onStack.add(node);
    for (const next of edges.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node) as number, low.get(next) as number));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) as number, index.get(next) as number));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const group: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop() as string;
      onStack.delete(member);
      group.push(member);
    } while (member !== node);
    if (group.length > 1 || (edges.get(node) ?? []).includes(node)) found.push(group.sort());
  };
  for (const node of edges.keys()) if (!index.has(node)) visit(node);
  return found;
}

const pluginOf = (file: string) => /^plugins\/([^/]+)\//.exec(file)?.[1];

describe("the layers of the house", () => {
  const edges = graph();
  const arrows = [...edges].flatMap(([from, targets]) => targets.map((to) => ({ from, to })));

  it("reads the imports it judges (a known arrow of every kind is seen)", () => {
    expect(edges.size).toBeGreaterThan(150);
    expect(arrows).toContainEqual({
      from: "plugins/gitea-release/src/index.ts",
      to: "shared/kit/src/index.ts",
    });
    expect(arrows).toContainEqual({
      from: "plugins/gitea-release/src/plugin.ts",
      to: "plugins/gitea-release/src/publish.ts",
    });
    expect(
      circles(
        new Map([
          ["a", ["b"]],
          ["b", ["c"]],
          ["c", ["a"]],
          ["d", ["d"]],
          ["e", ["a"]],
        ]),
      ),
    ).toEqual([["a", "b", "c"], ["d"]]);
  });

  it("has no import circles", () => {
    expect(circles(edges)).toEqual([]);
  });

  it("keeps plugins apart: a plugin imports the kit and the shared clients, never another plugin or the test bed", () => {
    const wrong = arrows.filter(({ from, to }) => {
      const plugin = pluginOf(from);
      if (!plugin || !from.includes("/src/")) return false;
      if (to.startsWith(`plugins/${plugin}/`)) return false;
      return !/^shared\/(kit|gitea|oci)\/src\//.test(to);
    });
    expect(wrong).toEqual([]);
  });

  it("keeps the kit at the bottom and the test bed out of what ships", () => {
    const wrong = arrows.filter(
      ({ from, to }) =>
        (from.startsWith("shared/kit/") && !to.startsWith("shared/kit/")) ||
        (from.startsWith("shared/gitea/") && !/^shared\/(gitea|kit)\//.test(to)) ||
        (from.startsWith("shared/oci/") && !to.startsWith("shared/oci/")) ||
        (from.startsWith("shared/testbed/") && to.startsWith("plugins/")) ||
        (from.startsWith("images/") && (to.startsWith("shared/testbed/") || to.startsWith("plugins/"))),
    );
    expect(wrong).toEqual([]);
    // The clients shared by plugins are reached through their packages (what the bundler inlines).
    expect(arrows).toContainEqual({
      from: "plugins/image-publish/src/plan.ts",
      to: "shared/oci/src/index.ts",
    });
  });
});
