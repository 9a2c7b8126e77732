import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { modulesLoadedBy } from "../../../shared/testbed/src/start-modules.ts";

const entry = join(import.meta.dirname, "..", "src", "index.ts");
const workspace = mkdtempSync(join(tmpdir(), "k3s-deploy-start-"));
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
  - name: lab
    cluster: { server: "https://k3s.lan:6443" }
users:
  - name: ci
    user: { token: "start-test-token" }
contexts:
  - name: lab
    context: { cluster: lab, user: ci }
current-context: lab
`;

describe("k3s-deploy's start", () => {
  it("a client dry run renders the plan without loading the API client, the deploy or the teardown", () => {
    mkdirSync(join(workspace, "k8s"));
    writeFileSync(
      join(workspace, "k8s", "web.yaml"),
      "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n    - port: 80\n",
    );
    const run = modulesLoadedBy([entry], {
      cwd: workspace,
      env: {
        PATH: process.env.PATH,
        HOME: workspace,
        DRONE: "true",
        DRONE_REPO: "acme/calchat",
        DRONE_BUILD_NUMBER: "7",
        DRONE_BUILD_EVENT: "push",
        DRONE_BRANCH: "feature/login",
        DRONE_COMMIT_SHA: "3f2c1a0b9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b",
        PLUGIN_KUBECONFIG: KUBECONFIG,
        PLUGIN_NAMESPACE: "preview-{{ branch }}",
        PLUGIN_MANIFESTS: "k8s/",
        PLUGIN_DRY_RUN: "true",
      },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("object:   Service/web");
    expect(run.stdout).not.toContain("start-test-token");
    expect(run.modules.some((url) => url.endsWith("/plugins/k3s-deploy/src/plan.ts"))).toBe(true);
    expect(
      run.modules.filter((url) =>
        /@kubernetes\/client-node|\/src\/(cluster|api|deploy|teardown|rollout|prune)\.ts$/.test(url),
      ),
    ).toEqual([]);
  });
});
