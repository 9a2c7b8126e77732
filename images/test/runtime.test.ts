/**
 * emulator-e2e's runtime (images/emulator-e2e/runtime.ts): pinned to the versions the plugin is tested
 * with, locked, and staged as a folder that is the same for every platform (no Node add-on, no package
 * chosen by platform, no links)
 * with Appium's manifest pointing into /opt/hangar. Staging runs `npm ci` the first time (the npm
 * registry is needed), then comes from ~/.cache/hangar.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../scripts/build.ts";
import {
  APPIUM_HOME_MODE,
  APPIUM_HOME_NAME,
  MANIFEST,
  RUNTIME_DIR,
  stageRuntime,
} from "../emulator-e2e/runtime.ts";

const json = (file: string) => JSON.parse(readFileSync(file, "utf8"));
const runtime = json(join(RUNTIME_DIR, "package.json"));
const lock = json(join(RUNTIME_DIR, "package-lock.json"));
const plugin = json(join(ROOT, "plugins", "emulator-e2e", "package.json"));

describe("images/emulator-e2e/package.json", () => {
  it("pins exactly the versions of Appium and WebdriverIO the plugin is tested with", () => {
    const deps = runtime.dependencies as Record<string, string>;
    for (const name of Object.keys(plugin.dependencies).filter((n) =>
      /^(appium|webdriverio|@wdio\/)/.test(n),
    )) {
      expect(deps[name], name).toBe(plugin.dependencies[name]);
    }
    for (const [name, version] of Object.entries(deps)) expect(version, name).toMatch(/^\d+\.\d+\.\d+$/);
    expect(Object.keys(deps)).toContain("appium-uiautomator2-driver");
  });

  it("has a lockfile made from it", () => {
    expect(lock.packages[""].dependencies).toEqual(runtime.dependencies);
    for (const name of Object.keys(runtime.dependencies)) {
      expect(lock.packages[`node_modules/${name}`]?.version, name).toBe(runtime.dependencies[name]);
    }
  });
});

describe("the staged runtime", { timeout: 900_000 }, () => {
  it("holds no Node add-on and no package picked by platform, nor links; Appium's manifest points into /opt/hangar", () => {
    const { dir } = stageRuntime((line) => console.log(`[runtime] ${line}`));
    const native: string[] = [];
    const links: string[] = [];
    const walk = (folder: string) => {
      for (const entry of readdirSync(folder, { withFileTypes: true })) {
        const path = join(folder, entry.name);
        if (entry.isSymbolicLink()) links.push(path);
        else if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith(".node")) native.push(path);
      }
    };
    walk(dir);
    // The lockfile names every platform's binary package (esbuild's, sharp's); none is installed, so
    // the folder does not depend on the machine that made it.
    const byPlatform = Object.entries(lock.packages as Record<string, { os?: string[]; cpu?: string[] }>)
      .filter(([path, entry]) => path !== "" && (entry.os || entry.cpu))
      .map(([path]) => path);
    expect(byPlatform.length).toBeGreaterThan(0);
    expect(byPlatform.filter((path) => existsSync(join(dir, path)))).toEqual([]);
    expect(native).toEqual([]);
    expect(links).toEqual([]);
    expect(readdirSync(dir).sort()).toEqual([APPIUM_HOME_NAME, "node_modules"]);
    expect(statSync(join(dir, APPIUM_HOME_NAME)).mode & 0o7777).toBe(APPIUM_HOME_MODE);
    const manifest = readFileSync(join(dir, APPIUM_HOME_NAME, MANIFEST), "utf8");
    expect(manifest).toContain("installPath: /opt/hangar/node_modules/appium-uiautomator2-driver\n");
    expect(manifest).not.toContain(dir);
  });
});
