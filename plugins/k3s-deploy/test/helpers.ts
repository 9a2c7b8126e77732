import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type CapturedRun, runCaptured, runCapturedProcess } from "@hangar/kit";
import { k3sDeploy } from "../src/plugin.ts";

export const MONGO_PASSWORD = "mongo-pw-9f8e7d6c5b4a";

/** A Drone push build of acme/calchat on a feature branch. */
export function droneEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    CI: "true",
    DRONE: "true",
    DRONE_REPO: "acme/calchat",
    DRONE_REPO_OWNER: "acme",
    DRONE_REPO_NAME: "calchat",
    DRONE_BUILD_NUMBER: "7",
    DRONE_BUILD_EVENT: "push",
    DRONE_BRANCH: "feature/login",
    DRONE_COMMIT_SHA: "3f2c1a0b9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b",
    PLUGIN_NAMESPACE: "preview-{{ branch }}",
    ...overrides,
  };
}

export type Run = CapturedRun;

export const runK3sDeploy = (env: Record<string, string>, workspace: string): Promise<Run> =>
  runCaptured(k3sDeploy, env, workspace);

/** The plugin as its own process, as in a real step: for the process-wide TLS trust. */
export const runK3sDeployIsolated = (env: Record<string, string>, workspace: string): Promise<Run> =>
  runCapturedProcess(path.resolve(import.meta.dirname, "../src/index.ts"), env, workspace);

export const WEB = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: calchat-server
spec:
  replicas: 2
  selector:
    matchLabels: { app: calchat-server }
  template:
    metadata:
      labels: { app: calchat-server }
    spec:
      containers:
        - name: server
          image: calchat-server:latest
          envFrom:
            - secretRef: { name: calchat-db }
---
apiVersion: v1
kind: Service
metadata:
  name: calchat-server
spec:
  selector: { app: calchat-server }
  ports:
    - port: 80
      targetPort: 8080
`;

export const CONFIG = `apiVersion: v1
kind: ConfigMap
metadata:
  name: calchat-config
data:
  BRANCH: "{{ branch }}"
  PUBLIC_URL: "https://{{ namespace }}.preview.example.com"
`;

export async function workspaceWith(
  files: Record<string, string>,
): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), "k3s-deploy-"));
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export async function outputsOf(workspace: string): Promise<Record<string, string>> {
  return JSON.parse(await readFile(path.join(workspace, ".hangar", "outputs.json"), "utf8"));
}
