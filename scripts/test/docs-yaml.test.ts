// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the docs' ${VAR} references are what this reads
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { Masker, readContext, readSettings, type SettingsSchema, withCommon } from "@hangar/kit";
import { encodeEnvironment, encodeSettings, type PipelineStep, stepsInSnippet } from "@hangar/testbed";
import { describe, expect, it } from "vitest";
import { composeDeploy } from "../../plugins/compose-deploy/src/plugin.ts";
import { emulatorE2e } from "../../plugins/emulator-e2e/src/plugin.ts";
import { giteaRelease } from "../../plugins/gitea-release/src/plugin.ts";
import { k3sDeploy } from "../../plugins/k3s-deploy/src/plugin.ts";
import { notifyEmail } from "../../plugins/notify-email/src/plugin.ts";
import { proxmoxVm } from "../../plugins/proxmox-vm/src/plugin.ts";

/**
 * Every pipeline step in the docs and examples that uses one of hangar's images: its settings
 * must be ones the plugin knows, with values it accepts, so a user who copies it gets no
 * "unknown setting" and no parse error. (Servers and files are not reached: that is the demo's job.)
 */
const root = path.resolve(import.meta.dirname, "../..");
const schemas: Record<string, SettingsSchema> = Object.fromEntries(
  [composeDeploy, emulatorE2e, giteaRelease, k3sDeploy, notifyEmail, proxmoxVm].map((plugin) => [
    plugin.name,
    withCommon(plugin.settings),
  ]),
);

// Problems that depend on the build or the machine, not on what the YAML says.
const CONTEXTUAL = new Set(["E_SETTING_REQUIRED", "E_SETTING_SECRET"]);

const BUILD = {
  DRONE: "true",
  DRONE_BUILD_NUMBER: "128",
  DRONE_BUILD_EVENT: "push",
  DRONE_BRANCH: "feature/login-form",
  DRONE_TAG: "v1.4.0",
  DRONE_COMMIT_SHA: "9c4e1f0b7a2d8e6c5b3a1f0e9d8c7b6a5f4e3d2c",
  DRONE_COMMIT_MESSAGE: "feat: times",
  DRONE_REPO: "calchat/server",
  DRONE_REPO_LINK: "https://git.example.com/calchat/server",
};
const OUTPUTS = {
  PROXMOX_VM_IP: "192.0.2.10",
  PROXMOX_VM_NAME: "e2e-128",
  PROXMOX_VM_HOST_KEY_FINGERPRINT: "SHA256:Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXg",
  NOTIFY_EMAIL_MESSAGE_ID: "<id@x>",
  IMAGE_PUBLISH_REFS: `git.example.com/calchat/server@sha256:${"0".repeat(64)}`,
};

async function sources(): Promise<string[]> {
  const docs = (await readdir(path.join(root, "docs")))
    .filter((file) => file.endsWith(".md"))
    .map((f) => `docs/${f}`);
  return ["README.md", ...docs, "examples/calchat/.drone.yml"];
}

function yamlBlocks(file: string, text: string): string[] {
  if (file.endsWith(".yml")) return [text];
  return [...text.matchAll(/```ya?ml\n([\s\S]*?)```/g)].map((match) => match[1] ?? "");
}

function stepsOf(file: string, yaml: string): PipelineStep[] {
  try {
    return stepsInSnippet(yaml, BUILD);
  } catch (error) {
    throw new Error(`${file}: a yaml block does not parse: ${(error as Error).message}`);
  }
}

describe("the pipeline YAML in the docs and examples", async () => {
  const cases: [string, string, PipelineStep][] = [];
  for (const file of await sources()) {
    const text = await readFile(path.join(root, file), "utf8");
    for (const block of yamlBlocks(file, text)) {
      for (const step of stepsOf(file, block)) {
        const plugin = (step.image.split("/").pop() ?? "").split(/[:@]/)[0] ?? "";
        if (plugin in schemas) cases.push([file, `${step.name ?? "(unnamed)"} (${plugin})`, step]);
      }
    }
  }

  it("holds steps for every plugin", () => {
    const plugins = new Set(cases.map(([, name]) => /\((.*)\)$/.exec(name)?.[1]));
    for (const plugin of Object.keys(schemas)) expect(plugins, plugin).toContain(plugin);
  });

  it.each(cases)("%s: %s uses settings its plugin knows, with values it accepts", (_file, _name, step) => {
    const plugin = (step.image.split("/").pop() ?? "").split(/[:@]/)[0] ?? "";
    const secret = () => "a-secret-value";
    const env = {
      ...BUILD,
      ...encodeEnvironment(step.environment, secret).env,
      ...encodeSettings(step.settings, secret).env,
    };
    const result = readSettings({
      plugin,
      schema: schemas[plugin] as SettingsSchema,
      env,
      context: readContext(env, "/drone/src"),
      outputs: OUTPUTS,
      masker: new Masker(),
    });
    expect(result.warnings).toEqual([]);
    expect(result.problems.filter((problem) => !CONTEXTUAL.has(problem.code))).toEqual([]);
  });
});
