import { dryRunModules } from "@hangar/testbed";
import { describe, expect, it } from "vitest";
import { labKubeconfig } from "./helpers.ts";

const KUBECONFIG = labKubeconfig("start-test-token");

describe("k3s-deploy's start", () => {
  it("a client dry run renders the plan without loading the API client, the deploy or the teardown", () => {
    const run = dryRunModules("k3s-deploy", {
      files: {
        "k8s/web.yaml":
          "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n    - port: 80\n",
      },
      env: {
        DRONE_REPO: "acme/calchat",
        DRONE_BUILD_NUMBER: "7",
        DRONE_BUILD_EVENT: "push",
        DRONE_BRANCH: "feature/login",
        DRONE_COMMIT_SHA: "3f2c1a0b9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b",
        PLUGIN_KUBECONFIG: KUBECONFIG,
        PLUGIN_NAMESPACE: "preview-{{ branch }}",
        PLUGIN_MANIFESTS: "k8s/",
      },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("object:   Service/web");
    expect(run.stdout).not.toContain("start-test-token");
    expect(run.loaded(/\/plugins\/k3s-deploy\/src\/plan\.ts$/)).toHaveLength(1);
    expect(
      run.loaded(/@kubernetes\/client-node|\/src\/(cluster|api|deploy|teardown|rollout|prune)\.ts$/),
    ).toEqual([]);
  });
});
