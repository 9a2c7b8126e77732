import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { HangarError, type Logger } from "@hangar/kit";
import type { E2ePlan } from "../plan.ts";
import type { Started } from "../runners/runner.ts";
import type { Processes } from "../stages/processes.ts";
import { planSecrets, toolEnvironment } from "./spec-env.ts";

/**
 * WebdriverIO runs as its own process (`wdio run <config>`), always in the plugin's container:
 * its launcher changes NODE_OPTIONS and forks workers, none of which belongs in the plugin's
 * process, and a process group is stopped whole on cancel. It is not bundled either: the
 * launcher resolves its framework, reporters and `tsx` (for TypeScript specs) at run time.
 */

/**
 * A runtime package next to the plugin: the image carries them in /opt/hangar/node_modules, in a layer
 * of their own (images/emulator-e2e/package-lock.json); a bundle run elsewhere may lack them.
 */
function resolveUrl(name: string): string {
  try {
    return import.meta.resolve(name);
  } catch {
    throw new HangarError("E_WDIO_MISSING", `${name} is not installed next to the plugin`, {
      hint: "The emulator-e2e image carries WebdriverIO and Appium next to the plugin; a bundle run elsewhere needs images/emulator-e2e/package.json's packages installed next to it (npm ci there, node_modules beside index.mjs); see docs/emulator-e2e.md#the-image.",
    });
  }
}

function resolvePackage(name: string): string {
  return fileURLToPath(resolveUrl(name));
}

export interface WdioInput {
  appiumUrl: string;
  apkOnRunner: string;
}

/** The default capabilities, the user's config's, the plugin's, then the `capabilities` setting. */
export function capabilities(plan: E2ePlan, apk: string): Record<string, unknown> {
  return {
    platformName: "Android",
    "appium:automationName": "UiAutomator2",
    "appium:udid": plan.emulator.serial,
    "appium:app": apk,
    ...(plan.appPackage ? { "appium:appPackage": plan.appPackage } : {}),
    ...plan.capabilities,
  };
}

/**
 * A config file that loads the user's (when given) and sets what the plugin owns: the server,
 * the capabilities, the JUnit reporter, screenshots of failed tests, spec retries.
 */
export function generatedConfig(plan: E2ePlan, input: WdioInput): string {
  const url = new URL(input.appiumUrl);
  const options = {
    userConfig: plan.wdio.config ? path.resolve(plan.workspace, plan.wdio.config) : null,
    specs: plan.wdio.specs.map((spec) => path.resolve(plan.workspace, spec)),
    hostname: url.hostname,
    port: Number(url.port || (url.protocol === "https:" ? 443 : 80)),
    protocol: url.protocol.replace(":", ""),
    path: url.pathname === "" ? "/" : url.pathname,
    capabilities: capabilities(plan, input.apkOnRunner),
    retries: plan.retries,
    junitDir: path.join(plan.artifacts.absolute, "junit"),
    screenshotDir: path.join(plan.artifacts.absolute, "screenshots"),
    logDir: path.join(plan.artifacts.absolute, "wdio"),
    sessionsFile: sessionsFile(plan),
    junitReporter: resolveUrl("@wdio/junit-reporter"),
    specReporter: resolveUrl("@wdio/spec-reporter"),
  };
  return `// Written by emulator-e2e for this run; the options are the plugin's, the rest is the user's config.
import { appendFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
const hangar = ${JSON.stringify(options, null, 2)};
const { default: JunitReporter } = await import(hangar.junitReporter);
const { default: SpecReporter } = await import(hangar.specReporter);
let base = {};
if (hangar.userConfig) {
  const loaded = await import(pathToFileURL(hangar.userConfig).href);
  base = loaded.config ?? loaded.default?.config ?? loaded.default ?? {};
}
// The user's paths are relative to their config file, not to this one.
const userDir = hangar.userConfig ? path.dirname(hangar.userConfig) : process.cwd();
const absolute = (p) => (typeof p === "string" ? path.resolve(userDir, p) : Array.isArray(p) ? p.map(absolute) : p);
const hooks = (hook) => (hook === undefined ? [] : Array.isArray(hook) ? hook : [hook]);
const baseCaps = Array.isArray(base.capabilities) ? (base.capabilities[0] ?? {}) : {};
const safe = (text) => text.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 120);
// Every session this run opens, so that a cancelled run's sessions can be ended on a server the
// plugin did not start (appium_url).
const recordSession = (id) => {
  if (!id) return;
  mkdirSync(path.dirname(hangar.sessionsFile), { recursive: true });
  appendFileSync(hangar.sessionsFile, \`\${id}\\n\`);
};
export const config = {
  ...base,
  runner: "local",
  framework: base.framework ?? "mocha",
  specs: hangar.specs.length > 0 ? hangar.specs : absolute(base.specs ?? []),
  exclude: absolute(base.exclude ?? []),
  hostname: hangar.hostname,
  port: hangar.port,
  protocol: hangar.protocol,
  path: hangar.path,
  // One emulator: one session at a time.
  maxInstances: 1,
  capabilities: [{ ...baseCaps, ...hangar.capabilities }],
  // The plugin starts Appium itself (or uses appium_url).
  services: (base.services ?? []).filter((s) => s !== "appium" && !(Array.isArray(s) && s[0] === "appium")),
  reporters: [
    [SpecReporter, { showPreface: false }],
    [JunitReporter, { outputDir: hangar.junitDir, outputFileFormat: (o) => \`results-\${o.cid}.xml\` }],
  ],
  specFileRetries: hangar.retries,
  outputDir: hangar.logDir,
  logLevel: base.logLevel ?? "warn",
  mochaOpts: { ui: "bdd", timeout: 60000, ...(base.mochaOpts ?? {}) },
  before: [
    async function () {
      recordSession(browser.sessionId);
    },
    ...hooks(base.before),
  ],
  onReload: [...hooks(base.onReload), (_oldId, newId) => recordSession(newId)],
  afterTest: [
    ...hooks(base.afterTest),
    async function (test, context, result) {
      if (result.passed) return;
      const name = safe(\`\${test.parent ? \`\${test.parent} \` : ""}\${test.title}\`);
      const file = path.join(hangar.screenshotDir, \`\${name}-\${Date.now()}.png\`);
      await browser.saveScreenshot(file).catch((error) => console.warn(\`no screenshot of "\${test.title}": \${error.message}\`));
    },
  ],
};
`;
}

/** Where the generated config records the WebDriver sessions the run opened, one id a line. */
export function sessionsFile(plan: E2ePlan): string {
  return path.join(plan.artifacts.absolute, "wdio", "sessions.txt");
}

/** Runs the tests; every line WebdriverIO prints goes to the step's log and to wdio.log. */
export async function startWdio(
  plan: E2ePlan,
  input: WdioInput,
  processes: Processes,
  log: Logger,
  env: Readonly<Record<string, string | undefined>>,
): Promise<Started> {
  const configFile = path.join(plan.artifacts.absolute, "wdio.conf.generated.mjs");
  await mkdir(path.join(plan.artifacts.absolute, "screenshots"), { recursive: true });
  await writeFile(configFile, generatedConfig(plan, input));
  const cli = path.join(path.dirname(resolvePackage("@wdio/cli")), "..", "bin", "wdio.js");
  log.section("running the tests");
  log.info(`+ wdio run ${path.relative(plan.workspace, configFile)}`);
  // The spec code is the repository's: it gets none of the step's settings or secrets.
  const childEnv = toolEnvironment(env, planSecrets(plan));
  const child = spawn(process.execPath, [cli, "run", configFile], {
    cwd: plan.workspace,
    env: { ...childEnv, FORCE_COLOR: "0" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const file = createWriteStream(path.join(plan.artifacts.absolute, "wdio.log"));
  const forward = (stream: NodeJS.ReadableStream) => {
    let rest = "";
    stream.on("data", (chunk: Buffer) => {
      file.write(chunk);
      const lines = (rest + chunk.toString()).split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) if (line.trim() !== "") log.info(line);
    });
    stream.on("end", () => {
      if (rest.trim() !== "") log.info(rest);
    });
  };
  forward(child.stdout);
  forward(child.stderr);
  let alive = true;
  const exited = new Promise<number | null>((resolve) => {
    child.on("error", () => resolve(127));
    child.on("close", (code) => {
      alive = false;
      file.end();
      resolve(code);
    });
  });
  const started: Started = {
    name: "WebdriverIO",
    pid: child.pid ?? -1,
    exited,
    running: () => alive,
    kill: (signal) => {
      if (!alive || child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // Gone already.
      }
    },
  };
  processes.wdio = started;
  processes.sessionsFile = sessionsFile(plan);
  return started;
}
