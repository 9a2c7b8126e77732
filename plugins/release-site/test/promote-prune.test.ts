import { describe, expect, it } from "vitest";
import { droneEnv, jsonOf, runReleaseSite, storeTests } from "./helpers.ts";

const { store, workspace } = await storeTests();
const json = (key: string) => jsonOf(store, key);

describe("release-site promote and prune", () => {
  it("promote copies a beta to stable inside the store, without a download, and updates the manifests", async () => {
    await workspace.dist({ "app.apk": "the beta that becomes stable\n" });
    const env = droneEnv(store.endpoint, { PLUGIN_PREFIX: "promo", DRONE_TAG: "v1.4.0-rc.2" });
    expect((await runReleaseSite(env, workspace.dir)).code).toBe(0);
    const seen = store.requests.length;
    const promote = await runReleaseSite(
      { ...env, PLUGIN_ACTION: "promote", PLUGIN_CHANNEL: "stable", PLUGIN_FILES: "" },
      workspace.dir,
    );
    expect(promote.code, promote.output).toBe(0);
    const during = store.requests.slice(seen);
    expect(during.filter((r) => r.method === "GET" && r.key.endsWith(".apk"))).toEqual([]);
    expect(
      during.filter((r) => r.method === "PUT" && r.key === "promo/stable/1.4.0-rc.2/app.apk"),
    ).toHaveLength(1);
    const latest = await json("promo/stable/latest.json");
    expect(latest).toMatchObject({ version: "1.4.0-rc.2", channel: "stable" });
    expect((await store.get("promo/stable/1.4.0-rc.2/app.apk")).body.toString()).toBe(
      "the beta that becomes stable\n",
    );
    expect((await json("promo/index.json")).channels.beta.latest).toBe("1.4.0-rc.2");
    expect(await workspace.outputs()).toMatchObject({ RELEASE_SITE_CHANNEL: "stable" });
  });

  it("prune keeps the newest `keep` versions per channel and the one latest.json names", async () => {
    const env = droneEnv(store.endpoint, { PLUGIN_PREFIX: "prune" });
    for (const tag of ["v1.0.0", "v1.1.0", "v1.2.0", "v0.9.5"]) {
      await workspace.dist({ "app.apk": `${tag}\n` });
      expect((await runReleaseSite({ ...env, DRONE_TAG: tag }, workspace.dir)).code).toBe(0);
    }
    const run = await runReleaseSite(
      { ...env, PLUGIN_ACTION: "prune", PLUGIN_KEEP: "2", PLUGIN_FILES: "" },
      workspace.dir,
    );
    expect(run.code, run.output).toBe(0);
    const index = await json("prune/index.json");
    expect(index.channels.stable.versions.map((v: { version: string }) => v.version)).toEqual([
      "1.2.0",
      "1.1.0",
    ]);
    expect((await json("prune/stable/latest.json")).version).toBe("1.2.0");
    expect(await store.keys("prune/stable/")).toEqual([
      "prune/stable/1.1.0/SHA256SUMS",
      "prune/stable/1.1.0/app.apk",
      "prune/stable/1.2.0/SHA256SUMS",
      "prune/stable/1.2.0/app.apk",
      "prune/stable/latest.json",
    ]);
    expect((await store.get("prune/index.html")).body.toString()).not.toContain("1.0.0/app.apk");
  });
});
