import { readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { standinApkBytes } from "@hangar/testbed";
import { afterAll, describe, expect, it } from "vitest";
import { APP_PACKAGE, externalAppium, perTestRun, QUICK, runStep } from "./helpers.ts";

const TOKEN = "gitea-token-5f0c2a9d81e4";
const NETRC = "netrc-password-71be03c4";

/** The repository's spec code: it writes down the environment it was given. */
const DUMP_SPEC = `import { writeFileSync } from "node:fs";
describe("the environment", () => {
  it("is written down", () => {
    writeFileSync(process.env.E2E_DUMP, JSON.stringify(process.env));
  });
});
`;

describe("what the repository's spec code is given", { timeout: 180_000 }, () => {
  const appium = externalAppium();
  const apk = standinApkBytes({ package: APP_PACKAGE, versionCode: 7 });
  const downloads = createServer((request, response) => {
    const ok = request.headers.authorization === `token ${TOKEN}`;
    response.writeHead(ok ? 200 : 401, { "content-type": "application/octet-stream" });
    response.end(ok ? apk : "");
  });
  afterAll(async () => {
    await appium.close();
    await new Promise<void>((resolve) => downloads.close(() => resolve()));
  });
  const bed = perTestRun();

  it("its environment holds none of the step's settings, secrets or clone credentials", async () => {
    const url = await appium.listen();
    await new Promise<void>((resolve) => downloads.listen(0, "127.0.0.1", () => resolve()));
    const appUrl = `http://127.0.0.1:${(downloads.address() as AddressInfo).port}/app.apk`;
    const settings = { app: appUrl, app_token: TOKEN, specs: "e2e/env.spec.mjs", appium_url: url };
    const { ws, env: stepEnv } = await bed.setUp(QUICK, settings, []);
    await writeFile(path.join(ws.dir, "e2e", "env.spec.mjs"), DUMP_SPEC);
    const dump = path.join(ws.dir, "env.json");
    const env = {
      ...stepEnv,
      // The same secret under a name of its own, as `environment: … from_secret` gives it.
      GITEA_TOKEN: TOKEN,
      DRONE_NETRC_MACHINE: "gitea.example.com",
      DRONE_NETRC_PASSWORD: NETRC,
      E2E_DUMP: dump,
      E2E_USER: "tester",
    };
    const run = await runStep(env, ws.dir);
    expect(run.code, run.output).toBe(0);
    const seen = JSON.parse(await readFile(dump, "utf8")) as Record<string, string>;
    expect(Object.keys(seen).filter((key) => key.startsWith("PLUGIN_"))).toEqual([]);
    expect(Object.keys(seen).filter((key) => key.startsWith("DRONE_NETRC_"))).toEqual([]);
    expect(seen.GITEA_TOKEN).toBeUndefined();
    const text = JSON.stringify(seen);
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(NETRC);
    // What the pipeline gave the step for its tests still reaches them.
    expect(seen.E2E_USER).toBe("tester");
    expect(seen.DRONE_REPO).toBe("calchat/app");
  });
});
