import { afterEach, expect } from "vitest";
import type { GiteaStandIn, GiteaStandInOptions } from "../src/gitea/options.ts";
import { startGiteaStandIn } from "../src/gitea/server.ts";

/**
 * Starts the Gitea stand-in (with `defaults` under the test's options) for a test; after the
 * test, what was sent to each one it started must have followed the schema, and they are stopped.
 */
export function giteaPerTest(defaults: GiteaStandInOptions = {}) {
  const started: GiteaStandIn[] = [];
  afterEach(async () => {
    const all = started.splice(0);
    try {
      for (const gitea of all) expect(gitea.schemaProblems()).toEqual([]);
    } finally {
      for (const gitea of all) await gitea.stop();
    }
  });
  return async (options: GiteaStandInOptions = {}): Promise<GiteaStandIn> => {
    const gitea = await startGiteaStandIn({ ...defaults, ...options });
    started.push(gitea);
    return gitea;
  };
}

/** fetch against the API with the token (unless `token: false`) and a JSON body. */
export async function api(g: GiteaStandIn, method: string, path: string, body?: unknown, token = true) {
  const headers: Record<string, string> = {};
  if (token) headers.Authorization = `token ${g.token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(`${g.apiUrl}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : undefined };
}
