import { readFileSync } from "node:fs";
import path from "node:path";
import { type DockerInstruction, dockerfileInstructions } from "@hangar/testbed";
import { describe, expect, it } from "vitest";
import { emulatorE2eSettings } from "../src/settings.ts";
import { sdkTools } from "../src/tools/sdk-paths.ts";

/**
 * images/emulator-e2e/sdk.Dockerfile cannot be built here (it downloads from Google), so what can be
 * checked offline is: it builds on the published emulator-e2e image, and its SDK is where the plugin
 * looks by default, in the layout the plugin expects, for the system image the defaults ask for.
 */
const ROOT = path.resolve(import.meta.dirname, "../../..");
const text = readFileSync(path.join(ROOT, "images/emulator-e2e/sdk.Dockerfile"), "utf8");
const image = readFileSync(path.join(ROOT, "images/emulator-e2e/Dockerfile"), "utf8");

const steps = dockerfileInstructions(text);
const args = Object.fromEntries(
  steps
    .filter((i) => i.keyword === "ARG")
    .map((i) => i.args.split("="))
    .map(([name, value]) => [name, value ?? ""]),
);
const env: Record<string, string> = {};
for (const step of steps.filter((i) => i.keyword === "ENV"))
  for (const [, name, value] of step.args.matchAll(/(\w+)=(\S+)/g)) env[name as string] = value as string;
const run = steps
  .filter((i) => i.keyword === "RUN")
  .map((i) => i.args)
  .join("\n");
/** "${ANDROID_SDK_ROOT}/x" as the shell would expand it with the Dockerfile's ENV. */
const expand = (s: string) => s.replace(/\$\{(\w+)\}/g, (_, name: string) => env[name] ?? args[name] ?? "");

describe("images/emulator-e2e/sdk.Dockerfile", () => {
  it("builds on the published emulator-e2e image, named by a build argument", () => {
    expect(steps[0]).toEqual({ keyword: "ARG", args: "EMULATOR_E2E_IMAGE=hangar/emulator-e2e:latest" });
    expect(steps[1]).toEqual({ keyword: "FROM", args: "$" + "{EMULATOR_E2E_IMAGE}" });
    expect(steps.filter((i) => i.keyword === "FROM")).toHaveLength(1);
  });

  it("puts the SDK where the plugin looks by default (ANDROID_SDK_ROOT, /opt/android-sdk)", () => {
    expect(emulatorE2eSettings.sdk_root.env).toEqual(["ANDROID_SDK_ROOT", "ANDROID_HOME"]);
    expect(emulatorE2eSettings.sdk_root.defaultText).toContain("/opt/android-sdk");
    expect(env.ANDROID_SDK_ROOT).toBe("/opt/android-sdk");
    expect(env.ANDROID_HOME).toBe(env.ANDROID_SDK_ROOT);
    // uid 1000's home in the Node images; the AVDs are written there at run time.
    expect(env.ANDROID_AVD_HOME).toMatch(/^\/home\/node\//);
  });

  it("installs the tools in the layout the plugin calls them from", () => {
    const tools = sdkTools(env.ANDROID_SDK_ROOT ?? "");
    const commands = expand(run);
    // The zip unpacks to cmdline-tools/cmdline-tools; sdkmanager expects it as cmdline-tools/latest.
    expect(commands).toContain(
      `mv "${tools.root}/cmdline-tools/cmdline-tools" "${path.dirname(path.dirname(tools.sdkmanager))}"`,
    );
    expect(commands).toContain(`"${tools.sdkmanager}" --install`);
    expect(path.dirname(tools.avdmanager)).toBe(path.dirname(tools.sdkmanager));
    // sdkmanager puts these packages at platform-tools/ and emulator/, where adb and emulator are.
    expect(commands).toMatch(
      /--install\s+"platform-tools"\s+"emulator"\s+"build-tools;\d+\.\d+\.\d+"\s+"system-images;/,
    );
    // aapt2, where apk-package.ts looks for it: the package is read from the APK with it.
    expect(commands).toContain(`"build-tools;${args.BUILD_TOOLS_VERSION}"`);
    expect(tools.adb).toBe(`${tools.root}/platform-tools/adb`);
    expect(tools.emulator).toBe(`${tools.root}/emulator/emulator`);
  });

  it("installs the system image the plugin's defaults ask for, with pinned tools", () => {
    expect(Number(args.API_LEVEL)).toBe(emulatorE2eSettings.api_level.default);
    expect(args.TARGET).toBe(emulatorE2eSettings.target.default);
    expect(args.ARCH).toBe(emulatorE2eSettings.arch.default);
    expect(run).toContain('"system-images;android-$' + "{API_LEVEL};$" + "{TARGET};$" + '{ARCH}"');
    expect(args.CMDLINE_TOOLS_BUILD).toMatch(/^\d+$/);
    expect(args.CMDLINE_TOOLS_SHA256).toMatch(/^[0-9a-f]{64}$/);
    expect(run).toContain("sha256sum -c -");
    expect(args.PLATFORM_TOOLS_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
    expect(args.EMULATOR_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
    expect(run).toMatch(/openjdk-17-jre-headless/);
  });

  it("runs as uid 1000 with the plugin's entrypoint, as the image it builds on", () => {
    const users = steps.filter((i) => i.keyword === "USER").map((i) => i.args);
    expect(users.at(-1)).toBe("1000:1000");
    const entrypoint = (source: DockerInstruction[]) =>
      JSON.parse(source.find((i) => i.keyword === "ENTRYPOINT")?.args ?? "null");
    expect(entrypoint(steps)).toEqual(["node", "/opt/hangar/index.mjs"]);
    expect(entrypoint(steps)).toEqual(entrypoint(dockerfileInstructions(image)));
  });

  it("says how to build it, and the docs point at it instead of a copy", () => {
    expect(text).toMatch(/docker build -f images\/emulator-e2e\/sdk\.Dockerfile/);
    expect(text).toContain("--build-arg EMULATOR_E2E_IMAGE=");
    const docs = readFileSync(path.join(ROOT, "docs/emulator-e2e.md"), "utf8");
    const section = docs.slice(
      docs.indexOf("## The image"),
      docs.indexOf("\n## ", docs.indexOf("## The image") + 1),
    );
    expect(section).toContain("images/emulator-e2e/sdk.Dockerfile");
    expect(section).not.toMatch(/```Dockerfile/);
  });
});
