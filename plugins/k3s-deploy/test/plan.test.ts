import { tempWorkspace, type Workspace } from "@hangar/testbed";
import { afterEach, describe, expect, it } from "vitest";
import { imageName } from "../src/manifests.ts";
import { droneEnv, labKubeconfig, runK3sDeploy, WEB } from "./helpers.ts";

const KUBECONFIG = labKubeconfig("kube-secret-token-abcdef");

let workspace: Workspace | undefined;
afterEach(async () => {
  await workspace?.remove();
});

async function dryRun(
  extra: Record<string, string>,
  files: Record<string, string> = { "k8s/web.yaml": WEB },
) {
  workspace = await tempWorkspace("k3s-deploy", { files: files });
  return runK3sDeploy(
    droneEnv({ PLUGIN_KUBECONFIG: KUBECONFIG, PLUGIN_MANIFESTS: "k8s/", PLUGIN_DRY_RUN: "client", ...extra }),
    workspace.dir,
  );
}

describe("k3s-deploy settings and plan", () => {
  it("reads the image name without registry port, tag or digest", () => {
    expect(imageName("registry.lan:5000/team/app:1.2")).toBe("registry.lan:5000/team/app");
    expect(imageName("app@sha256:abc")).toBe("app");
    expect(imageName("app")).toBe("app");
  });

  it("accepts a base64 kubeconfig and never prints its token", async () => {
    const run = await dryRun({
      PLUGIN_KUBECONFIG: Buffer.from(KUBECONFIG).toString("base64"),
      PLUGIN_DEBUG: "true",
    });
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain("deploy to namespace preview-feature-login on https://k3s.lan:6443");
    expect(run.output).not.toContain("kube-secret-token-abcdef");
  });

  it("overrides by the last path segment too, and warns about an override nothing uses", async () => {
    const run = await dryRun({ PLUGIN_IMAGES: "calchat-server=reg/calchat/server:9,unused=x:1" });
    expect(run.output).toContain("image:    overridden in Deployment/calchat-server server");
    expect(run.stderr).toContain('images: no container uses an image named "unused"');
  });

  it("names every problem at once: two ways of access, a foreign namespace, a bad manifest", async () => {
    const run = await dryRun(
      { PLUGIN_SERVER: "https://k3s.lan:6443", PLUGIN_CONTEXT: "nope" },
      {
        "k8s/web.yaml": WEB,
        "k8s/other.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: kube-system\n",
        "k8s/broken.yaml": "kind: ConfigMap\nmetadata: {}\n",
        "k8s/template.yaml":
          "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: t\ndata:\n  a: '{{ nope }}'\n",
      },
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("kubeconfig: and `server`/`token` are two ways");
    expect(run.stderr).toContain('names namespace "kube-system"');
    expect(run.stderr).toContain("k8s/broken.yaml#1: has no apiVersion, metadata.name");
    expect(run.stderr).toContain("unknown placeholder {{ nope }}");
  });

  it("refuses plain http for a token, and warns when insecure is on", async () => {
    const viaToken = (server: string, extra: Record<string, string> = {}) =>
      dryRun({ PLUGIN_KUBECONFIG: "", PLUGIN_SERVER: server, PLUGIN_TOKEN: "t0k3n-value", ...extra });
    const http = await viaToken("http://k3s.lan:6443");
    expect(http.code).toBe(2);
    expect(http.stderr).toContain("server: must be an https:// URL");
    const insecure = await viaToken("https://k3s.lan:6443", { PLUGIN_INSECURE: "true" });
    expect(insecure.code, insecure.output).toBe(0);
    expect(insecure.stderr).toContain("insecure is on");
    expect(insecure.output).toContain("certificate NOT verified");
    expect(insecure.output).not.toContain("t0k3n-value");
  });

  it("takes dry_run: true (a pipeline-wide HANGAR_DRY_RUN) as client, and false as a real run", async () => {
    const run = await dryRun({ PLUGIN_DRY_RUN: "true" });
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain("dry run, nothing is changed");
    // A real run: it goes for the API server (a closed port on loopback here) and fails.
    const real = await dryRun({
      PLUGIN_DRY_RUN: "false",
      PLUGIN_KUBECONFIG: KUBECONFIG.replace("https://k3s.lan:6443", "https://127.0.0.1:9"),
      PLUGIN_TIMEOUT: "5s",
    });
    expect(real.code).toBe(1);
    expect(real.output).not.toContain("dry run, nothing is changed");
  });

  it("plans a delete without manifests", async () => {
    const run = await dryRun({ PLUGIN_ACTION: "delete", PLUGIN_MANIFESTS: "" });
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain("delete namespace preview-feature-login");
  });
});
