import { chmod, readFile } from "node:fs/promises";
import path from "node:path";
import {
  createTlsCertificate,
  imageExists,
  type KubernetesStandIn,
  requireServer,
  runDroneStep,
  startKubernetesStandIn,
  type TlsCertificate,
  testbed,
} from "@hangar/testbed";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CONFIG, droneEnv, MONGO_PASSWORD, WEB, workspaceWith } from "./helpers.ts";

const IMAGE = "hangar/k3s-deploy:dev";

const docker = await testbed.docker();
const image = docker
  ? await requireServer(`the image ${IMAGE} (built by \`pnpm images\`)`, async () => {
      if (!(await imageExists(IMAGE))) throw new Error(`${IMAGE} does not exist; run \`pnpm images\` first`);
      return IMAGE;
    })
  : undefined;

let k: KubernetesStandIn;
let certificate: TlsCertificate;
let workspace: Awaited<ReturnType<typeof workspaceWith>>;
beforeAll(async () => {
  certificate = await createTlsCertificate();
});
afterAll(() => certificate.remove());
beforeEach(async () => {
  k = await startKubernetesStandIn({ stepMs: 30, tls: certificate });
  workspace = await workspaceWith({ "deploy/k8s/web.yaml": WEB, "deploy/k8s/config.yaml": CONFIG });
  // The image runs as uid 1000, as it would on a runner whose workspace it may write to.
  await chmod(workspace.dir, 0o777);
});
afterEach(async () => {
  await k.stop();
  await workspace.remove();
});

describe.skipIf(!image)("the k3s-deploy image, run the Drone way", () => {
  it("deploys the preview from the mounted workspace and publishes the outputs", async () => {
    const result = await runDroneStep({
      image: IMAGE,
      workspace: workspace.dir,
      env: droneEnv({
        PLUGIN_KUBECONFIG: Buffer.from(k.kubeconfig()).toString("base64"),
        PLUGIN_MANIFESTS: "deploy/k8s/",
        PLUGIN_IMAGES: "calchat-server=git.example.com/calchat/server:3f2c1a0b",
        PLUGIN_SECRETS: JSON.stringify({ "calchat-db": ["MONGO_PASSWORD"] }),
        PLUGIN_URL: "https://{{ namespace }}.preview.example.com",
        MONGO_PASSWORD,
      }),
    });
    const output = result.stdout + result.stderr;
    expect(result.exitCode, output).toBe(0);
    expect(k.get("apps/v1", "Deployment", "preview-feature-login", "calchat-server")?.status).toMatchObject({
      availableReplicas: 2,
    });
    const outputs = await readFile(path.join(workspace.dir, ".hangar", "outputs.json"), "utf8");
    expect(JSON.parse(outputs)).toMatchObject({
      K3S_DEPLOY_URL: "https://preview-feature-login.preview.example.com",
    });
    for (const text of [output, outputs]) {
      expect(text).not.toContain(MONGO_PASSWORD);
      expect(text).not.toContain(k.token);
    }
    expect(k.schemaProblems()).toEqual([]);
  });

  it("fails before any API call on bad settings, exit code 2", async () => {
    const result = await runDroneStep({
      image: IMAGE,
      workspace: workspace.dir,
      env: droneEnv({ PLUGIN_KUBECONFIG: k.kubeconfig(), PLUGIN_MANIFESTS: "deploy/nothing/" }),
    });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("deploy/nothing/");
    expect(k.requests()).toEqual([]);
  });
});
