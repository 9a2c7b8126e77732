// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Drone's ${VAR} substitution is what these tests are about
import { describe, expect, it, vi } from "vitest";
import { buildVariables, type SimulatedBuild } from "../src/drone-exec/build.ts";
import { encodeEnvironment, encodeSettings } from "../src/drone-exec/encode.ts";
import { executePipeline } from "../src/drone-exec/execute.ts";
import { stepTable } from "../src/drone-exec/local-build.ts";
import { readPipeline } from "../src/drone-exec/pipeline.ts";
import { substitute } from "../src/drone-exec/substitute.ts";
import { stepRuns } from "../src/drone-exec/when.ts";

const build = (over: Partial<SimulatedBuild> = {}): SimulatedBuild => ({
  event: "push",
  branch: "main",
  number: 7,
  repo: "calchat/server",
  commit: {
    sha: "9c4e1f0b7a2d8e6c5b3a1f0e9d8c7b6a5f4e3d2c",
    message: "feat: times",
    author: "lea",
    authorName: "Lea",
    authorEmail: "lea@example.com",
  },
  forge: "https://git.example.com",
  server: "https://drone.example.com",
  ...over,
});

describe("Drone's ${VAR} substitution", () => {
  const vars = {
    DRONE_COMMIT_SHA: "9c4e1f0b7a2d",
    DRONE_TAG: "v1.4.0",
    REF: "refs/heads/feature/x",
    EMPTY: "",
  };

  it("substitutes the forms .drone.yml files use, and $$ passes ${VAR} on", () => {
    expect(substitute("tag: ${DRONE_COMMIT_SHA:0:8}", vars)).toBe("tag: 9c4e1f0b");
    expect(substitute("${DRONE_TAG##v} ${REF#refs/heads/} ${REF##*/} ${DRONE_TAG%.*}", vars)).toBe(
      "1.4.0 feature/x x v1.4",
    );
    expect(substitute("${EMPTY:-none} ${MISSING} ${DRONE_TAG:=x}", vars)).toBe("none  v1.4.0");
    expect(substitute("host: $${PROXMOX_VM_IP} cost $$5", vars)).toBe("host: ${PROXMOX_VM_IP} cost $5");
  });
});

describe("when", () => {
  const facts = {
    branch: "main",
    event: "push",
    ref: "refs/heads/main",
    repo: "calchat/server",
    status: "success",
  } as const;

  it("matches branches as globs, events exactly, and every condition must hold", () => {
    expect(stepRuns({ branch: ["feature/*"] }, { ...facts, branch: "feature/login-form" }).runs).toBe(true);
    expect(stepRuns({ branch: ["feature/*"] }, facts).runs).toBe(false);
    expect(stepRuns({ branch: { exclude: ["main"] } }, facts).runs).toBe(false);
    expect(stepRuns({ branch: "main", event: ["tag"] }, facts).runs).toBe(false);
    expect(stepRuns({ event: ["push", "tag"] }, facts).runs).toBe(true);
  });

  it("has no branch on a tag build", () => {
    expect(stepRuns({ branch: ["main"] }, { ...facts, branch: "", event: "tag" })).toEqual({
      runs: false,
      why: "branch (none) does not match",
      notes: [],
    });
  });

  it("runs a step only on success unless its status says otherwise", () => {
    expect(stepRuns(undefined, { ...facts, status: "failure" })).toEqual({
      runs: false,
      why: "build is a failure",
      notes: [],
    });
    expect(stepRuns({ status: ["failure"] }, facts).runs).toBe(false);
    expect(stepRuns({ status: ["failure"] }, { ...facts, status: "failure" }).runs).toBe(true);
    expect(stepRuns({ status: ["success", "failure"] }, { ...facts, status: "failure" }).runs).toBe(true);
  });
});

describe("settings as Drone encodes them", () => {
  it("upper-cases the key only, joins scalar lists, writes objects as JSON, resolves from_secret", () => {
    const secrets: Record<string, string> = { vps_ssh_key: "KEY" };
    const { env, missingSecrets } = encodeSettings(
      {
        host: "vps.example.com",
        "from.address": "ci@example.com",
        port: 22,
        insecure: false,
        compose_files: ["deploy/compose.yml", "deploy/compose.prod.yml"],
        env: { IMAGE_TAG: "9c4e1f0b" },
        hosts: [{ name: "a" }],
        key: { from_secret: "vps_ssh_key" },
        password: { from_secret: "unknown" },
      },
      (name) => secrets[name],
    );
    expect(env).toEqual({
      PLUGIN_HOST: "vps.example.com",
      "PLUGIN_FROM.ADDRESS": "ci@example.com",
      PLUGIN_PORT: "22",
      PLUGIN_INSECURE: "false",
      PLUGIN_COMPOSE_FILES: "deploy/compose.yml,deploy/compose.prod.yml",
      PLUGIN_ENV: '{"IMAGE_TAG":"9c4e1f0b"}',
      PLUGIN_HOSTS: '[{"name":"a"}]',
      PLUGIN_KEY: "KEY",
      PLUGIN_PASSWORD: "",
    });
    expect(missingSecrets).toEqual(["unknown"]);
    expect(
      encodeEnvironment({ MONGO_PASSWORD: { from_secret: "vps_ssh_key" }, N: 1 }, (n) => secrets[n]).env,
    ).toEqual({
      MONGO_PASSWORD: "KEY",
      N: "1",
    });
  });
});

describe("executePipeline", () => {
  const yaml = `
kind: pipeline
type: docker
name: app
steps:
  - name: test
    image: node:24
    commands: [npm test]
  - name: deploy
    image: git.example.com/ci/compose-deploy:1
    settings:
      host: \${DEPLOY_HOST}
      env: { IMAGE_TAG: "\${DRONE_COMMIT_SHA:0:8}" }
      target: $\${PROXMOX_VM_IP}
    when: { branch: [main], event: [push] }
  - name: preview
    image: git.example.com/ci/k3s-deploy:1
    when: { branch: ["feature/*"] }
  - name: notify
    image: git.example.com/ci/notify-email:1
    settings: { password: { from_secret: smtp } }
    when: { status: [failure] }
`;
  const image = (step: { image: string }) =>
    step.image.startsWith("git.example.com/ci/")
      ? `hangar/${step.image.split("/").pop()?.split(":")[0]}:dev`
      : undefined;

  it("runs the steps whose when holds, in order, and the failure steps after a failure", async () => {
    const calls: { image: string; env: Record<string, string> }[] = [];
    const result = await executePipeline({
      pipeline: yaml,
      build: build(),
      workspace: "/tmp/ws",
      secrets: { smtp: "s3cret" },
      variables: { DEPLOY_HOST: "127.0.0.1:2222" },
      image,
      runStep: async ({ image: img, env }) => {
        calls.push({ image: img, env });
        return { exitCode: img.includes("compose") ? 1 : 0, stdout: "", stderr: "boom" };
      },
    });
    expect(result.status).toBe("failure");
    expect(result.steps.map((step) => [step.name, step.outcome])).toEqual([
      ["test", "not run"],
      ["deploy", "failure"],
      ["preview", "skipped"],
      ["notify", "success"],
    ]);
    expect(calls.map((call) => call.image)).toEqual(["hangar/compose-deploy:dev", "hangar/notify-email:dev"]);
    expect(calls[0]?.env).toMatchObject({
      PLUGIN_HOST: "127.0.0.1:2222",
      PLUGIN_ENV: '{"IMAGE_TAG":"9c4e1f0b"}',
      PLUGIN_TARGET: "${PROXMOX_VM_IP}",
      DRONE_BUILD_STATUS: "success",
      DRONE_STEP_NAME: "deploy",
    });
    expect(calls[1]?.env).toMatchObject({
      PLUGIN_PASSWORD: "s3cret",
      DRONE_BUILD_STATUS: "failure",
      DRONE_FAILED_STEPS: "deploy",
    });
  });

  it("simulates a tag build and a feature branch", async () => {
    const ran = async (over: Partial<SimulatedBuild>) => {
      const result = await executePipeline({
        pipeline: yaml,
        build: build(over),
        workspace: "/tmp/ws",
        secrets: {},
        image,
        runStep: async () => ({ exitCode: 0, stdout: "", stderr: "" }),
      });
      return result.steps.filter((step) => step.outcome === "success").map((step) => step.name);
    };
    expect(await ran({ event: "tag", tag: "v1.4.0" })).toEqual([]);
    expect(await ran({ branch: "feature/login-form" })).toEqual(["preview"]);
    expect(buildVariables(build({ event: "tag", tag: "v1.4.0" }), "success", [])).toMatchObject({
      DRONE_TAG: "v1.4.0",
      DRONE_BRANCH: "",
      DRONE_COMMIT_REF: "refs/tags/v1.4.0",
    });
  });

  it("gives every step the build's one start time, with which the steps stamp their outputs", async () => {
    const started: string[] = [];
    const yamlOfTwo = `kind: pipeline
type: docker
name: default
steps:
  - name: first
    image: hangar/a:dev
  - name: second
    image: hangar/b:dev
`;
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(new Date("2026-12-07T10:00:00Z"));
      await executePipeline({
        pipeline: yamlOfTwo,
        build: build(),
        workspace: "/tmp/ws",
        secrets: {},
        image: (step) => step.image,
        runStep: async ({ env }) => {
          started.push(env.DRONE_BUILD_STARTED ?? "");
          vi.setSystemTime(new Date("2026-12-07T10:05:00Z"));
          return { exitCode: 0, stdout: "", stderr: "" };
        },
      });
    } finally {
      vi.useRealTimers();
    }
    expect(started).toEqual(["1796637600", "1796637600"]);
  });

  it("replaces a step's settings only where told, and says so in the report and the table", async () => {
    const calls: Record<string, string>[] = [];
    const result = await executePipeline({
      pipeline: yaml,
      build: build(),
      workspace: "/tmp/ws",
      secrets: {},
      variables: { DEPLOY_HOST: "127.0.0.1:2222" },
      settingOverrides: { deploy: { env: { IMAGE_TAG: "stand-in" } } },
      image,
      runStep: async ({ env }) => {
        calls.push(env);
        return { exitCode: 0, stdout: "", stderr: "" };
      },
    });
    expect(calls[0]).toMatchObject({ PLUGIN_HOST: "127.0.0.1:2222", PLUGIN_ENV: '{"IMAGE_TAG":"stand-in"}' });
    const deploy = result.steps.find((step) => step.name === "deploy");
    expect(deploy?.overridden).toEqual(["env"]);
    expect(result.steps.find((step) => step.name === "notify")?.overridden).toBeUndefined();
    expect(stepTable(result.steps)).toMatch(
      /deploy\s+git\.example\.com\/ci\/compose-deploy:1\s+success \[set here: env\]/,
    );
  });

  it("refuses a file without a docker pipeline, or a step without an image", () => {
    expect(() => readPipeline("kind: secret\nname: x\n", {})).toThrow("no `kind: pipeline`");
    expect(() => readPipeline("kind: pipeline\nsteps:\n  - name: a\n", {})).toThrow("step a has no image");
  });
});
