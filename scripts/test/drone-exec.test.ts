/**
 * scripts/drone-exec.ts as a developer runs it, on a repository whose steps need no image:
 * what it says about conditions it cannot know, and the secrets file's scoping.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { droneExecRepo } from "./drone-exec-repo.ts";

const { root, droneExec } = droneExecRepo("drone-exec", {
  ".drone.yml": [
    "kind: pipeline",
    "name: app",
    "steps:",
    "  - name: test",
    "    image: node:24",
    "    when: { branch: }",
    "  - name: on-ci-only",
    "    image: node:24",
    "    when: { instance: [ci.example.com] }",
    "  - name: nightly",
    "    image: node:24",
    "    when: { event: [cron], cron: [nightly] }",
  ].join("\n"),
  "secrets.env": "shared=1\n[acme/app]\nkey=2\n",
});

describe("drone-exec", () => {
  it("says which conditions it cannot evaluate and how it treated them, and evaluates them when told", async () => {
    const unknown = await droneExec("--event", "cron");
    expect(unknown.code).toBe(0);
    expect(unknown.stdout).toContain("test (node:24): not run — not a hangar plugin");
    expect(unknown.stdout).toContain(
      "on-ci-only (node:24): skipped — when.instance cannot be evaluated here (give --instance HOST): skipped",
    );
    expect(unknown.stdout).toContain("when.cron cannot be evaluated here (give --cron NAME): skipped");
    const told = await droneExec(
      ...["--event", "cron", "--cron", "nightly", "--instance", "ci.example.com"],
      ...["--secrets", join(root, "secrets.env"), "--repo", "acme/app"],
    );
    expect(told.code).toBe(0);
    expect(told.stdout).toContain("on-ci-only (node:24): not run — not a hangar plugin");
    expect(told.stdout).toContain("nightly (node:24): not run — not a hangar plugin");
  });

  it("wants --repo when the secrets file scopes secrets to repositories", async () => {
    const result = await droneExec("--secrets", join(root, "secrets.env"));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("name this one with --repo owner/name");
  });
});
