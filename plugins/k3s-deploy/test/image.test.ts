import { type PluginImage, pluginImage } from "@hangar/testbed";
import { describe, expect, it } from "vitest";
import { CONFIG, droneEnv, MONGO_PASSWORD, perTestCluster, WEB } from "./helpers.ts";

const image = await pluginImage("hangar/k3s-deploy:dev");

describe.skipIf(!image)("the k3s-deploy image, run the Drone way", () => {
  const step = image as PluginImage;
  const bed = perTestCluster(
    { stepMs: 30 },
    { files: { "deploy/k8s/web.yaml": WEB, "deploy/k8s/config.yaml": CONFIG }, worldWritable: true },
  );
  const { workspace } = bed;

  it("deploys the preview from the mounted workspace and publishes the outputs", async () => {
    const result = await step.run(
      workspace.dir,
      droneEnv({
        PLUGIN_KUBECONFIG: Buffer.from(bed.k.kubeconfig()).toString("base64"),
        PLUGIN_MANIFESTS: "deploy/k8s/",
        PLUGIN_IMAGES: "calchat-server=git.example.com/calchat/server:3f2c1a0b",
        PLUGIN_SECRETS: JSON.stringify({ "calchat-db": ["MONGO_PASSWORD"] }),
        PLUGIN_URL: "https://{{ namespace }}.preview.example.com",
        MONGO_PASSWORD,
      }),
    );
    expect(result.exitCode, result.output).toBe(0);
    expect(
      bed.k.get("apps/v1", "Deployment", "preview-feature-login", "calchat-server")?.status,
    ).toMatchObject({
      availableReplicas: 2,
    });
    expect(result.outputs).toMatchObject({
      K3S_DEPLOY_URL: "https://preview-feature-login.preview.example.com",
    });
    for (const text of [result.output, JSON.stringify(result.outputs)]) {
      expect(text).not.toContain(MONGO_PASSWORD);
      expect(text).not.toContain(bed.k.token);
    }
  });

  it("fails before any API call on bad settings, exit code 2", async () => {
    const result = await step.run(
      workspace.dir,
      droneEnv({ PLUGIN_KUBECONFIG: bed.k.kubeconfig(), PLUGIN_MANIFESTS: "deploy/nothing/" }),
    );
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("deploy/nothing/");
    expect(bed.k.requests()).toEqual([]);
  });
});
