import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { modulesLoadedBy } from "../../../shared/testbed/src/start-modules.ts";

const entry = join(import.meta.dirname, "..", "src", "index.ts");
const workspace = mkdtempSync(join(tmpdir(), "compose-deploy-start-"));
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

describe("compose-deploy's start", () => {
  it("a dry run plans the deploy without loading the deploy, the proof or the rollout", () => {
    mkdirSync(join(workspace, "deploy"));
    writeFileSync(join(workspace, "deploy", "compose.yml"), "services:\n  web:\n    image: nginx\n");
    const run = modulesLoadedBy([entry], {
      cwd: workspace,
      env: {
        PATH: process.env.PATH,
        HOME: workspace,
        DRONE: "true",
        DRONE_REPO: "calchat/server",
        DRONE_REPO_NAME: "server",
        DRONE_BUILD_NUMBER: "128",
        DRONE_COMMIT_SHA: "9c4e1f0b7a2d8e6c5b3a1f0e9d8c7b6a5f4e3d2c",
        PLUGIN_HOST: "vps.example.com",
        PLUGIN_USERNAME: "deploy",
        PLUGIN_KEY: "-----BEGIN OPENSSH PRIVATE KEY-----\nstart\n-----END OPENSSH PRIVATE KEY-----\n",
        PLUGIN_FINGERPRINT: "SHA256:Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXg",
        PLUGIN_COMPOSE_FILES: "deploy/compose.yml",
        PLUGIN_DRY_RUN: "true",
      },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("vps.example.com");
    expect(run.modules.some((url) => url.endsWith("/plugins/compose-deploy/src/plan.ts"))).toBe(true);
    expect(run.modules.filter((url) => /\/src\/(deploy|proof|rollout)\.ts$/.test(url))).toEqual([]);
  });
});
