import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type CapturedRun, runCaptured } from "@hangar/kit";
import { releaseSite } from "../src/plugin.ts";
import { ACCESS_KEY, BUCKET, SECRET_KEY } from "./s3-store.ts";

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

export async function tempWorkspace(): Promise<Workspace> {
  const dir = await mkdtemp(path.join(tmpdir(), "release-site-"));
  return {
    dir,
    dist: async (files) => {
      await rm(path.join(dir, "dist"), { recursive: true, force: true });
      await mkdir(path.join(dir, "dist"));
      for (const [name, body] of Object.entries(files)) await writeFile(path.join(dir, "dist", name), body);
    },
    outputs: async () => JSON.parse(await readFile(path.join(dir, ".hangar", "outputs.json"), "utf8")),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
