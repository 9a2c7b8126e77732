import { execFile } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { loadGiteaSpec, specsDir } from "../src/index.ts";

const root = path.resolve(fileURLToPath(new URL("../../../", import.meta.url)));

/** Relative paths that climb (one or more `../`) towards a folder named `shared`. */
const CLIMB = /(?:\.\.\/)+shared(?:\/[\w.-]+)*/g;

describe("the repository stands on its own", () => {
  it("has no tracked file that refers to a folder beside the repository", async () => {
    const { stdout } = await promisify(execFile)("git", ["ls-files", "-z"], {
      cwd: root,
      maxBuffer: 64 << 20,
    });
    const own = new Set((await readdir(path.join(root, "shared"))).filter((name) => name !== ""));
    const outside: string[] = [];
    for (const file of stdout.split("\0").filter(Boolean)) {
      if (file.endsWith(".json") && file.startsWith("shared/testbed/specs/")) continue;
      const text = await readFile(path.join(root, file), "utf8").catch(() => "");
      for (const match of text.matchAll(CLIMB)) {
        // A climb to `shared/kit` is the repository's own folder seen from a sibling; one to `shared/specs`
        // (or anything not in the repository's shared/) is the folder beside the repository.
        const first = match[0].replace(/^(?:\.\.\/)+shared\/?/, "").split("/")[0] ?? "";
        const fromFile = path.resolve(path.dirname(path.join(root, file)), match[0]);
        const escapes = path.relative(root, fromFile).startsWith("..") && file !== "pnpm-lock.yaml";
        if (escapes || !own.has(first)) outside.push(`${file}: ${match[0]}`);
      }
      // The same climb written as path segments, as `resolve(root, DOTDOT, SHARED)` with string literals.
      if (/["']\.\.["'],\s*["']shared["']/.test(text))
        outside.push(`${file}: a path climbing to shared, as segments`);
      const absolute = "/work/" + "shared";
      if (text.includes(absolute)) outside.push(`${file}: ${absolute}`);
    }
    expect([...new Set(outside)]).toEqual([]);
  });

  it("keeps the API schemas its stand-ins follow, with their sources and licences", async () => {
    expect(specsDir(undefined, {})).toBe(path.join(root, "shared/testbed/specs"));
    const readme = await readFile(path.join(root, "shared/testbed/specs/README.md"), "utf8");
    for (const needed of ["gitea-api-v1.22.json", "proxmox-ve-api.json", "MIT", "AGPL-3.0"]) {
      expect(readme).toContain(needed);
    }
    const proxmox = JSON.parse(
      await readFile(path.join(root, "shared/testbed/specs/proxmox-ve-api.json"), "utf8"),
    );
    expect(Array.isArray(proxmox)).toBe(true);
    const gitea = await loadGiteaSpec(path.join(root, "shared/testbed/specs"));
    expect(gitea).toBeDefined();
  });
});
