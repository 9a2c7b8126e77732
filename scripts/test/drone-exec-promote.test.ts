/**
 * scripts/drone-exec.ts runs a promotion as `drone build promote <repo> <build> production` does:
 * the `promote` event with a target, which `when: target` steps are decided by.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const root = mkdtempSync(join(tmpdir(), "hangar-drone-exec-promote-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
writeFileSync(
  join(root, ".drone.yml"),
  [
    "kind: pipeline",
    "name: app",
    "steps:",
    "  - name: staging",
    "    image: node:24",
    "    when: { branch: [main], event: [push] }",
    "  - name: production",
    "    image: node:24",
    "    when: { event: [promote], target: [production] }",
  ].join("\n"),
);

async function droneExec(...args: string[]) {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [join(import.meta.dirname, "../drone-exec.ts"), root, ...args],
      { timeout: 30_000 },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe("drone-exec: promotion", () => {
  it("--event promote --target production runs the production step, not the push one", async () => {
    const promoted = await droneExec("--event", "promote", "--target", "production", "--number", "7");
    expect(promoted.code, promoted.stderr).toBe(0);
    expect(promoted.stdout).toContain("production (node:24): not run — not a hangar plugin");
    expect(promoted.stdout).toMatch(/staging \(node:24\): skipped/);

    const pushed = await droneExec("--event", "push");
    expect(pushed.stdout).toContain("staging (node:24): not run — not a hangar plugin");
    expect(pushed.stdout).toMatch(/production \(node:24\): skipped/);

    const elsewhere = await droneExec("--event", "promote", "--target", "staging");
    expect(elsewhere.stdout).toMatch(/production \(node:24\): skipped/);
  });

  it("a promotion needs its target", async () => {
    const result = await droneExec("--event", "promote");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--event promote needs --target");
  });
});
