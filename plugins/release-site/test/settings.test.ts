import { dryRunModules } from "@hangar/testbed";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { channelOf, compareVersions, defaultVersion, isSemver } from "../src/version.ts";
import { droneEnv, runReleaseSite, siteWorkspace, type Workspace } from "./helpers.ts";

let workspace: Workspace;
beforeEach(async () => {
  workspace = await siteWorkspace();
});
afterEach(() => workspace.remove());

describe("release-site settings and plan", () => {
  it("auto channels by version, semver order, the default version", () => {
    expect(channelOf("1.4.0").channel).toBe("stable");
    expect(channelOf("1.5.0-beta.1").channel).toBe("beta");
    expect(channelOf("1.5.0-rc.2").channel).toBe("beta");
    expect(channelOf("1.5.0-alpha.3").channel).toBe("alpha");
    expect(channelOf("0.0.0-main.57").channel).toBe("alpha");
    expect(["1.10.0", "1.2.0", "1.10.0-rc.1", "1.10.0-rc.10", "1.10.0-rc.2"].sort(compareVersions)).toEqual([
      "1.2.0",
      "1.10.0-rc.1",
      "1.10.0-rc.2",
      "1.10.0-rc.10",
      "1.10.0",
    ]);
    // Keys hold the version as written: no leading `v`, no image-tag `_` for `+`.
    expect([isSemver("1.2.0+7"), isSemver("v1.2.0"), isSemver("1.2.0_7")]).toEqual([true, false, false]);
    expect(defaultVersion({ tag: "v2.0.1", branch: "main" })).toBe("2.0.1");
    expect(defaultVersion({ branch: "feature/login", number: 7 })).toBe("0.0.0-feature-login.7");
  });

  it("lists every problem at once, before any request, without the secret", async () => {
    await workspace.dist({ "app.apk": "x" });
    const run = await runReleaseSite(
      droneEnv("http://127.0.0.1:9", {
        PLUGIN_BUCKET: "Not_A_Bucket",
        PLUGIN_SECRET_KEY: "secret with space",
        PLUGIN_PREFIX: "../escape",
        PLUGIN_CHANNEL: "nightly",
        PLUGIN_FILES: "dist/*.ipa",
        PLUGIN_NOTES: "../../etc/passwd",
        DRONE_TAG: "release-one",
      }),
      workspace.dir,
    );
    expect(run.code).toBe(2);
    for (const setting of ["bucket", "secret_key", "prefix", "channel", "files", "notes", "version"])
      expect(run.stderr).toContain(setting);
    expect(run.stderr).toMatch(
      / {2}- notes: cannot be read: .*outside the workspace.* \[E_PATH_OUTSIDE_WORKSPACE\]/,
    );
    expect(run.output).not.toContain("secret with space");
  });

  it("a dry run prints the plan without loading the S3 client", () => {
    const run = dryRunModules("release-site", {
      env: {
        ...droneEnv("http://127.0.0.1:9", { PLUGIN_FILES: "" }),
        PLUGIN_ACTION: "promote",
        PLUGIN_CHANNEL: "stable",
      },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("promote 1.2.0 from the channel that holds it to stable");
    expect(run.loaded(/\/plugins\/release-site\/src\/plan\.ts$/)).toHaveLength(1);
    expect(run.loaded(/@aws-sdk|\/src\/(store|publish|site)\.ts$/)).toEqual([]);
  });
});
