import { chmod, copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runContainer } from "../src/drone-exec/container.ts";
import { executePipeline } from "../src/drone-exec/execute.ts";
import { imageExists } from "../src/drone-step.ts";
import { run } from "../src/run.ts";
import { makeTempDir } from "../src/temp-dir.ts";
import { testbed } from "../src/testbed.ts";

// A step image made here from the host's static busybox: it prints its environment and
// leaves a file in the workspace, so the test needs no registry and no `pnpm images`.
const IMAGE = "hangar-test/drone-exec-env:1";
const SCRIPT =
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell variable of the step's script
  "/bin/busybox env; echo on-stderr >&2; /bin/busybox touch /drone/src/made-in-step; exit ${EXIT_CODE:-0}";

async function stepImage(): Promise<string> {
  if (await imageExists(IMAGE)) return IMAGE;
  const root = await makeTempDir("drone-exec-image");
  try {
    await mkdir(join(root.path, "bin"));
    await copyFile("/bin/busybox", join(root.path, "bin/busybox"));
    await run("tar", ["-C", root.path, "-cf", join(root.path, "rootfs.tar"), "bin"]);
    await run("docker", [
      "import",
      "--change",
      `CMD ["/bin/busybox", "sh", "-c", ${JSON.stringify(SCRIPT)}]`,
      join(root.path, "rootfs.tar"),
      IMAGE,
    ]);
    return IMAGE;
  } finally {
    await root.remove();
  }
}

const docker = await testbed.docker();

describe.skipIf(!docker)("a step's environment reaches only its container", () => {
  const dirs: { remove(): Promise<void> }[] = [];
  afterAll(async () => {
    for (const dir of dirs) await dir.remove();
  });

  it("never runs a program the step's PATH names on this machine, nor lets DOCKER_HOST pick the engine", async () => {
    const image = await stepImage();
    const hostile = await makeTempDir("drone-exec-hostile");
    const workspace = await makeTempDir("drone-exec-ws");
    dirs.push(hostile, workspace);
    const bin = join(hostile.path, "bin");
    const ran = join(hostile.path, "fake-docker-ran");
    await mkdir(bin);
    // What a repository would commit: a `docker` that records it ran, with the environment it got.
    await writeFile(join(bin, "docker"), `#!/bin/sh\nenv > ${ran}\nexit 0\n`);
    await chmod(join(bin, "docker"), 0o755);
    await chmod(workspace.path, 0o777);
    const pipeline = `
kind: pipeline
name: app
steps:
  - name: deploy
    image: git.example.com/ci/compose-deploy:1
    environment:
      PATH: ${bin}
      DOCKER_HOST: unix://${hostile.path}/docker.sock
      LD_PRELOAD: ${hostile.path}/evil.so
      DEPLOY_KEY: { from_secret: deploy_key }
    settings:
      password: { from_secret: password }
`;
    const key =
      "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE=\n-----END OPENSSH PRIVATE KEY-----";
    const result = await executePipeline({
      pipeline,
      build: {
        event: "push",
        branch: "main",
        number: 3,
        repo: "calchat/server",
        commit: { sha: "9c4e1f0b", message: "m", author: "a", authorName: "A", authorEmail: "a@example.com" },
        forge: "https://git.example.com",
        server: "https://drone.example.com",
      },
      workspace: workspace.path,
      secrets: { deploy_key: key, password: "s3cret" },
      image: () => image,
    });
    await expect(readFile(ran, "utf8")).rejects.toThrow(/ENOENT/);
    const [step] = result.steps;
    expect(step?.outcome).toBe("success");
    // The container got all of it, the multi-line key whole.
    expect(step?.stdout).toContain(`PATH=${bin}\n`);
    expect(step?.stdout).toContain(`DOCKER_HOST=unix://${hostile.path}/docker.sock\n`);
    expect(step?.stdout).toContain(`DEPLOY_KEY=${key}\n`);
    expect(step?.stdout).toContain("PLUGIN_PASSWORD=s3cret\n");
    expect(step?.stdout).toContain("DRONE_STEP_NAME=deploy\n");
    expect(step?.stderr).toBe("on-stderr\n");
    await expect(readFile(join(workspace.path, "made-in-step"), "utf8")).resolves.toBe("");
    // Only this build's: other builds may run steps on the same engine at the same time.
    const left = await run("docker", [
      "ps",
      "-aq",
      "--filter",
      `label=hangar.drone-exec.workspace=${workspace.path}`,
    ]);
    expect(left.stdout.trim()).toBe("");
  }, 60_000);

  it("reports the container's exit code, and a missing image without pulling it", async () => {
    const image = await stepImage();
    const workspace = await makeTempDir("drone-exec-ws");
    dirs.push(workspace);
    const failed = await runContainer({ image, env: { EXIT_CODE: "3" }, workspace: workspace.path });
    expect(failed.exitCode).toBe(3);
    const missing = await runContainer({ image: "hangar/not-built:dev", env: {}, workspace: workspace.path });
    expect(missing).toMatchObject({ exitCode: 125, stderr: expect.stringContaining("pnpm images") });
  }, 60_000);
});
