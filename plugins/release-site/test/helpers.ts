import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { type CapturedRun, runCaptured } from "@hangar/kit";
import { type S3Store, type S3StoreOptions, tempWorkspace } from "@hangar/testbed";
import { afterAll, beforeEach } from "vitest";
import { releaseSite } from "../src/plugin.ts";
import { ACCESS_KEY, BUCKET, SECRET_KEY, startTestStore } from "./s3-store.ts";

export { SECRET_KEY };

/** A Drone build of acme/calchat publishing to the test store. */
export function droneEnv(endpoint: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    CI: "true",
    DRONE: "true",
    DRONE_REPO: "acme/calchat",
    DRONE_REPO_OWNER: "acme",
    DRONE_REPO_NAME: "calchat",
    DRONE_BUILD_NUMBER: "12",
    DRONE_BUILD_EVENT: "tag",
    DRONE_TAG: "v1.2.0",
    DRONE_COMMIT_SHA: "3f2a9c1d5e7b8a9c0d1e2f3a4b5c6d7e8f9a0b1c",
    PLUGIN_ENDPOINT: endpoint,
    PLUGIN_BUCKET: BUCKET,
    PLUGIN_ACCESS_KEY: ACCESS_KEY,
    PLUGIN_SECRET_KEY: SECRET_KEY,
    PLUGIN_FILES: "dist/*",
    PLUGIN_TIMEOUT: "5s",
    ...overrides,
  };
}

export const runReleaseSite = (env: Record<string, string>, workspace: string): Promise<CapturedRun> =>
  runCaptured(releaseSite, env, workspace);

export interface Workspace {
  dir: string;
  /** Replaces dist/ with these files. */
  dist(files: Record<string, string | Buffer>): Promise<void>;
  outputs(): Promise<Record<string, string>>;
  remove(): Promise<void>;
}

export async function siteWorkspace(): Promise<Workspace> {
  const { dir, remove } = await tempWorkspace("release-site");
  return {
    dir,
    dist: async (files) => {
      await rm(path.join(dir, "dist"), { recursive: true, force: true });
      await mkdir(path.join(dir, "dist"));
      for (const [name, body] of Object.entries(files)) await writeFile(path.join(dir, "dist", name), body);
    },
    outputs: async () => JSON.parse(await readFile(path.join(dir, ".hangar", "outputs.json"), "utf8")),
    remove,
  };
}

/**
 * What a test file against the store sets up: one store for the file (stopped after it), and a
 * fresh workspace for each test with the store's faults cleared. `workspace` is the current test's.
 */
export async function storeTests(
  options: S3StoreOptions = {},
): Promise<{ store: S3Store; workspace: Workspace }> {
  const store = await startTestStore(options);
  afterAll(() => store.stop());
  let current: Workspace | undefined;
  beforeEach(async () => {
    current = await siteWorkspace();
    store.fault(undefined);
    return () => current?.remove();
  });
  const now = (): Workspace => {
    if (!current) throw new Error("the workspace exists only while a test runs");
    return current;
  };
  return {
    store,
    workspace: {
      get dir() {
        return now().dir;
      },
      dist: (files) => now().dist(files),
      outputs: () => now().outputs(),
      remove: () => now().remove(),
    },
  };
}

/** An object of the store as text. */
export const textOf = async (store: S3Store, key: string): Promise<string> =>
  (await store.get(key)).body.toString("utf8");

/** A JSON object of the store, parsed. */
export const jsonOf = async (store: S3Store, key: string) => JSON.parse(await textOf(store, key));
