/**
 * The image rules: checked on the Dockerfile's text always, and on the built hangar/<plugin>:dev
 * images when the Docker Engine is there (skipped loudly on a developer's machine without it; a
 * failure under CI, where `pnpm images` runs before the tests).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  type DockerInstruction,
  dockerfileInstructions,
  imageExists,
  requireServer,
  run,
  testbed,
} from "@hangar/testbed";
import { describe, expect, it } from "vitest";
import { bundleablePlugins, ROOT } from "../../scripts/build.ts";
import { APPIUM_HOME_NAME, hasRuntime, RUNTIME_ENV } from "../emulator-e2e/runtime.ts";

const ENTRYPOINT = ["node", "/opt/hangar/index.mjs"];
const OCI_LABELS = ["title", "description", "source", "version", "revision", "licenses", "base.name"].map(
  (key) => `org.opencontainers.image.${key}`,
);

/** images/<…>/Dockerfile's instructions. */
const instructionsOf = (...parts: string[]) =>
  dockerfileInstructions(readFileSync(join(ROOT, "images", ...parts, "Dockerfile"), "utf8"));

const dockerfile = instructionsOf();

describe("images/Dockerfile", () => {
  it("takes the base image as a build argument, default the official Node 24 image", () => {
    expect(dockerfile[0]).toEqual({ keyword: "ARG", args: "BASE_IMAGE=node:24-bookworm-slim" });
    expect(dockerfile[1]).toEqual({ keyword: "FROM", args: "$" + "{BASE_IMAGE}" });
    expect(dockerfile.filter((i) => i.keyword === "FROM")).toHaveLength(1);
  });

  it("has no RUN step and assumes no WORKDIR", () => {
    const keywords = dockerfile.map((i) => i.keyword);
    expect(keywords).not.toContain("RUN");
    expect(keywords).not.toContain("WORKDIR");
  });

  it("copies the build context (the plugin's dist/) to /opt/hangar", () => {
    expect(dockerfile.filter((i) => i.keyword === "COPY")).toEqual([
      { keyword: "COPY", args: ". /opt/hangar/" },
    ]);
  });

  it("runs as a numeric non-root user, the bundle with source maps as entrypoint", () => {
    const users = dockerfile.filter((i) => i.keyword === "USER").map((i) => i.args);
    expect(users).toHaveLength(1);
    expect(users[0]).toMatch(/^[1-9][0-9]*:[1-9][0-9]*$/);
    const entrypoint = dockerfile.find((i) => i.keyword === "ENTRYPOINT");
    expect(JSON.parse(entrypoint?.args ?? "null")).toEqual(ENTRYPOINT);
  });

  it("sets the OCI labels", () => {
    const labels = dockerfile
      .filter((i) => i.keyword === "LABEL")
      .map((i) => i.args)
      .join(" ");
    for (const label of OCI_LABELS) expect(labels).toContain(`${label}=`);
  });
});

const runtimeDockerfile = instructionsOf("emulator-e2e");

describe("images/emulator-e2e/Dockerfile (a plugin image with a runtime layer)", () => {
  const pick = (list: DockerInstruction[], keyword: string) => list.filter((i) => i.keyword === keyword);

  it("is images/Dockerfile's image: base argument, labels, user, entrypoint, no RUN or WORKDIR", () => {
    expect(runtimeDockerfile.slice(0, 2)).toEqual(dockerfile.slice(0, 2));
    for (const keyword of ["LABEL", "USER", "ENTRYPOINT"]) {
      expect(pick(runtimeDockerfile, keyword), keyword).toEqual(pick(dockerfile, keyword));
    }
    const keywords = runtimeDockerfile.map((i) => i.keyword);
    expect(keywords).not.toContain("RUN");
    expect(keywords).not.toContain("WORKDIR");
  });

  it("copies the runtime, then the bundle, with nothing that changes per build before the runtime", () => {
    expect(pick(runtimeDockerfile, "COPY")).toEqual([
      { keyword: "COPY", args: "runtime/ /opt/hangar/" },
      { keyword: "COPY", args: "dist/ /opt/hangar/" },
    ]);
    const runtimeAt = runtimeDockerfile.findIndex((i) => i.args === "runtime/ /opt/hangar/");
    const before = runtimeDockerfile
      .slice(0, runtimeAt)
      .map((i) => i.args)
      .join("\n");
    expect(before).not.toMatch(/VERSION|REVISION/);
  });

  it("sets APPIUM_HOME as images/publish.ts does", () => {
    expect(pick(runtimeDockerfile, "ENV")).toEqual(
      Object.entries(RUNTIME_ENV).map(([name, value]) => ({ keyword: "ENV", args: `${name}=${value}` })),
    );
  });
});

describe("the image scripts", () => {
  it.each([
    "images/build.sh",
    "images/base/build.sh",
    "images/base/foreign-rootfs.sh",
    "images/base/lib.sh",
    "images/publish.sh",
  ])("%s is valid bash", async (script) => {
    await run("bash", ["-n", join(ROOT, script)]);
  });
});

// --- built images -----------------------------------------------------------------------------------

interface ImageInfo {
  Size: number;
  RootFS: { Layers: string[] };
  Config: {
    User: string;
    Entrypoint: string[] | null;
    WorkingDir: string;
    Labels: Record<string, string> | null;
  };
}

async function inspect(image: string): Promise<ImageInfo> {
  const { stdout } = await run("docker", ["image", "inspect", image]);
  const [info] = JSON.parse(stdout) as ImageInfo[];
  if (!info) throw new Error(`docker image inspect ${image} printed nothing`);
  return info;
}

const plugins = bundleablePlugins();
const docker = await testbed.docker();
const images = docker
  ? await requireServer(`the images hangar/<plugin>:dev (built by \`pnpm images\`)`, async () => {
      const missing = [];
      for (const p of plugins) if (!(await imageExists(`hangar/${p}:dev`))) missing.push(`hangar/${p}:dev`);
      if (missing.length > 0) throw new Error(`${missing.join(", ")} missing; run \`pnpm images\` first`);
      return plugins.map((p) => ({ plugin: p, image: `hangar/${p}:dev` }));
    })
  : undefined;

describe.skipIf(!images || images.length === 0)("the built plugin images", () => {
  it.each(images ?? [])(
    "$image: user, entrypoint, labels, no working directory",
    async ({ plugin, image }) => {
      const { Config: config } = await inspect(image);
      expect(config.User).toBe("1000:1000");
      expect(config.Entrypoint).toEqual(ENTRYPOINT);
      expect(config.WorkingDir).toBe("");
      const labels = config.Labels ?? {};
      for (const label of OCI_LABELS) expect(labels[label], label).toBeTruthy();
      expect(labels["org.opencontainers.image.title"]).toBe(`hangar/${plugin}`);
      expect(labels["io.hangar.plugin"]).toBe(plugin);
    },
  );

  it.each(images ?? [])(
    "$image: one layer (the bundle's COPY) on its base; emulator-e2e's runtime layer below it",
    async ({ plugin, image }) => {
      const info = await inspect(image);
      const baseName = info.Config.Labels?.["org.opencontainers.image.base.name"] ?? "";
      const base = await inspect(baseName);
      expect(info.RootFS.Layers.slice(0, base.RootFS.Layers.length)).toEqual(base.RootFS.Layers);
      expect(info.RootFS.Layers).toHaveLength(base.RootFS.Layers.length + (hasRuntime(plugin) ? 2 : 1));
    },
  );

  it.each(images ?? [])(
    "$image: runs as uid 1000 with the plugin's dist/ (entry, chunks, their maps), read-only",
    async ({ plugin, image }) => {
      const script = [
        "const fs = require('node:fs');",
        "const files = fs.readdirSync('/opt/hangar').sort();",
        "let writable = true; try { fs.accessSync('/opt/hangar/index.mjs', fs.constants.W_OK) } catch { writable = false }",
        "const linked = fs.readFileSync('/opt/hangar/index.mjs', 'utf8').includes('//# sourceMappingURL=index.mjs.map');",
        "console.log(JSON.stringify({ uid: process.getuid(), gid: process.getgid(), files, writable, linked }));",
      ].join("\n");
      const { stdout } = await run("docker", [
        "run",
        "--rm",
        "--network",
        "host",
        "--entrypoint",
        "node",
        image,
        "-e",
        script,
      ]);
      const seen = JSON.parse(stdout) as { files: string[] };
      expect(seen).toEqual({ uid: 1000, gid: 1000, files: seen.files, writable: false, linked: true });
      // The entry, the chunks it loads on first use, and one source map each: nothing else but a
      // runtime's node_modules and APPIUM_HOME (emulator-e2e).
      const code = seen.files.filter((f) => f.endsWith(".mjs"));
      expect(code).toContain("index.mjs");
      const runtime = hasRuntime(plugin) ? [APPIUM_HOME_NAME, "node_modules"] : [];
      expect(seen.files.sort()).toEqual([...code, ...code.map((f) => `${f}.map`), ...runtime].sort());
    },
  );

  it.each(images ?? [])("$image: --help exits 0", async ({ image }) => {
    const { stdout } = await run("docker", ["run", "--rm", "--network", "host", image, "--help"]);
    expect(stdout.trim()).not.toBe("");
  });
});
