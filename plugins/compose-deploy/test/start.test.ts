import { dryRunModules } from "@hangar/testbed";
import { describe, expect, it } from "vitest";

describe("compose-deploy's start", () => {
  it("a dry run plans the deploy without loading the deploy, the proof or the rollout", () => {
    const run = dryRunModules("compose-deploy", {
      files: { "deploy/compose.yml": "services:\n  web:\n    image: nginx\n" },
      env: {
        DRONE_REPO: "calchat/server",
        DRONE_REPO_NAME: "server",
        DRONE_BUILD_NUMBER: "128",
        DRONE_COMMIT_SHA: "9c4e1f0b7a2d8e6c5b3a1f0e9d8c7b6a5f4e3d2c",
        PLUGIN_HOST: "vps.example.com",
        PLUGIN_USERNAME: "deploy",
        PLUGIN_KEY: "-----BEGIN OPENSSH PRIVATE KEY-----\nstart\n-----END OPENSSH PRIVATE KEY-----\n",
        PLUGIN_FINGERPRINT: "SHA256:Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXg",
        PLUGIN_COMPOSE_FILES: "deploy/compose.yml",
      },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("vps.example.com");
    expect(run.loaded(/\/plugins\/compose-deploy\/src\/plan\.ts$/)).toHaveLength(1);
    expect(run.loaded(/\/src\/(deploy|proof|rollout)\.ts$/)).toEqual([]);
  });
});
