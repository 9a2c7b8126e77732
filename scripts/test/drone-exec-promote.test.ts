/**
 * scripts/drone-exec.ts runs a promotion as `drone build promote <repo> <build> production` does:
 * the `promote` event with a target, which `when: target` steps are decided by.
 */
import { describe, expect, it } from "vitest";
import { droneExecRepo } from "./drone-exec-repo.ts";

const { droneExec } = droneExecRepo("drone-exec-promote", {
  ".drone.yml": [
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
});

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
