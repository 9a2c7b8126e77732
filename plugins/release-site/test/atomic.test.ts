import { describe, expect, it } from "vitest";
import { droneEnv, runReleaseSite, SECRET_KEY, siteWorkspace, storeTests, textOf } from "./helpers.ts";

const { store, workspace } = await storeTests();
const text = (key: string) => textOf(store, key);
const writes = () =>
  store.requests.filter((r) => r.method === "PUT" || r.method === "POST" || r.method === "DELETE");

describe("release-site publish, atomically and idempotently", () => {
  it("a store refusing the second file leaves latest.json, index.json and the page as they were, and nothing of the failed version", async () => {
    const env = { PLUGIN_PREFIX: "atomic" };
    await workspace.dist({ "a.apk": "one\n", "b.apk": "two\n" });
    expect(
      (await runReleaseSite(droneEnv(store.endpoint, { ...env, DRONE_TAG: "v1.0.0" }), workspace.dir)).code,
    ).toBe(0);
    const before = await Promise.all(
      ["atomic/stable/latest.json", "atomic/index.json", "atomic/index.html"].map(text),
    );

    await workspace.dist({ "a.apk": "one, newer\n", "b.apk": "two, newer\n" });
    store.fault((request) =>
      request.method === "PUT" && request.key.endsWith("1.1.0/b.apk") ? "refuse" : undefined,
    );
    const failed = await runReleaseSite(
      droneEnv(store.endpoint, { ...env, DRONE_TAG: "v1.1.0", PLUGIN_PARALLEL: "1" }),
      workspace.dir,
    );
    expect(failed.code, failed.output).not.toBe(0);
    expect(failed.output).toContain("removed atomic/stable/1.1.0/a.apk");
    expect(
      await Promise.all(["atomic/stable/latest.json", "atomic/index.json", "atomic/index.html"].map(text)),
    ).toEqual(before);
    expect(await store.keys("atomic/stable/1.1.0/")).toEqual([]);
    expect(await store.keys("atomic/")).toEqual([
      "atomic/index.html",
      "atomic/index.json",
      "atomic/stable/1.0.0/SHA256SUMS",
      "atomic/stable/1.0.0/a.apk",
      "atomic/stable/1.0.0/b.apk",
      "atomic/stable/latest.json",
    ]);
  });

  it("a re-run uploads nothing and leaves the manifests byte for byte; a backport is listed without moving latest.json", async () => {
    const env = droneEnv(store.endpoint, { PLUGIN_PREFIX: "rerun", DRONE_TAG: "v2.0.0" });
    await workspace.dist({ "app.apk": "two\n" });
    expect((await runReleaseSite(env, workspace.dir)).code).toBe(0);
    const manifests = await Promise.all(["rerun/stable/latest.json", "rerun/index.json"].map(text));
    const seen = writes().length;
    const again = await runReleaseSite(env, workspace.dir);
    expect(again.code, again.output).toBe(0);
    expect(again.output).toContain("0 uploaded, 1 kept");
    expect(
      writes()
        .slice(seen)
        .filter((r) => r.key.endsWith(".apk") || r.key.endsWith("SHA256SUMS")),
    ).toEqual([]);
    expect(await Promise.all(["rerun/stable/latest.json", "rerun/index.json"].map(text))).toEqual(manifests);

    await workspace.dist({ "app.apk": "one point nine point one\n" });
    const backport = await runReleaseSite({ ...env, DRONE_TAG: "v1.9.1" }, workspace.dir);
    expect(backport.code, backport.output).toBe(0);
    expect(JSON.parse(await text("rerun/stable/latest.json")).version).toBe("2.0.0");
    const index = JSON.parse(await text("rerun/index.json"));
    expect(index.channels.stable.versions.map((v: { version: string }) => v.version)).toEqual([
      "2.0.0",
      "1.9.1",
    ]);
    expect(index.channels.stable.latest).toBe("2.0.0");
  });

  it("two publishes at once both end up in index.json and on the page", async () => {
    const other = await siteWorkspace();
    try {
      await workspace.dist({ "app.apk": "beta\n" });
      await other.dist({ "app.apk": "alpha\n" });
      const [beta, alpha] = await Promise.all([
        runReleaseSite(
          droneEnv(store.endpoint, { PLUGIN_PREFIX: "race", DRONE_TAG: "v3.0.0-beta.1" }),
          workspace.dir,
        ),
        runReleaseSite(
          droneEnv(store.endpoint, { PLUGIN_PREFIX: "race", DRONE_TAG: "v3.0.0-alpha.4" }),
          other.dir,
        ),
      ]);
      expect(beta.code, beta.output).toBe(0);
      expect(alpha.code, alpha.output).toBe(0);
      const index = JSON.parse(await text("race/index.json"));
      expect(index.channels.beta.latest).toBe("3.0.0-beta.1");
      expect(index.channels.alpha.latest).toBe("3.0.0-alpha.4");
      const page = await text("race/index.html");
      expect(page).toContain("beta/3.0.0-beta.1/app.apk");
      expect(page).toContain("alpha/3.0.0-alpha.4/app.apk");
      // The store honours If-Match: no lock object is taken, and the probe leaves nothing.
      expect(store.requests.filter((r) => r.key.startsWith("race/index.json.lock"))).toEqual([]);
      expect((await store.keys("race/")).filter((key) => key.includes("probe"))).toEqual([]);
    } finally {
      await other.remove();
    }
  });

  it("a wrong secret key is named, without the key", async () => {
    await workspace.dist({ "app.apk": "x\n" });
    const wrong = "wrong-secret/0c1d2e3f";
    const run = await runReleaseSite(
      droneEnv(store.endpoint, { PLUGIN_PREFIX: "auth", PLUGIN_SECRET_KEY: wrong }),
      workspace.dir,
    );
    expect(run.code).not.toBe(0);
    expect(run.output).toContain("secret_key");
    expect(run.output).not.toContain(wrong);
    expect(run.output).not.toContain(SECRET_KEY);
  });

  it("a store that never answers is bounded by timeout", async () => {
    await workspace.dist({ "app.apk": "x\n" });
    store.fault(() => "silent");
    const started = Date.now();
    const run = await runReleaseSite(
      droneEnv(store.endpoint, { PLUGIN_PREFIX: "silent", PLUGIN_TIMEOUT: "1s" }),
      workspace.dir,
    );
    expect(run.code).not.toBe(0);
    expect(run.output).toContain("E_S3_TIMEOUT");
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it("an index.json that never ends (no Content-Length) is cut at 16 MiB, and the publish leaves nothing", async () => {
    await workspace.dist({ "app.apk": "x\n" });
    store.fault((request) =>
      request.method === "GET" && request.key.endsWith("index.json") ? "endless" : undefined,
    );
    const run = await runReleaseSite(droneEnv(store.endpoint, { PLUGIN_PREFIX: "endless" }), workspace.dir);
    expect(run.code).not.toBe(0);
    expect(run.output).toContain("E_S3_TOO_LARGE");
    expect(await store.keys("endless/")).toEqual([]);
  });
});
