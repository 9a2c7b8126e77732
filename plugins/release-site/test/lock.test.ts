import { describe, expect, it } from "vitest";
import { droneEnv, jsonOf, runReleaseSite, siteWorkspace, storeTests, textOf } from "./helpers.ts";

/** A store that takes If-Match and If-None-Match on a PUT and writes anyway, as Garage does. */
const { store, workspace } = await storeTests({ conditionalWrites: false });
const lockWrites = (prefix: string) =>
  store.requests
    .filter((r) => r.key === `${prefix}/index.json.lock` && r.method !== "GET")
    .map((r) => r.method);

describe("release-site on a store that ignores conditional writes", () => {
  it("two publishes at once take turns through the lock object and are both listed", async () => {
    // Each read of index.json takes 1 s, so both builds read it before either writes it.
    store.fault((r) => (r.method === "GET" && r.key === "garage/index.json" ? { delayMs: 1000 } : undefined));
    const other = await siteWorkspace();
    try {
      await workspace.dist({ "app.apk": "beta\n" });
      await other.dist({ "app.apk": "alpha\n" });
      const env = droneEnv(store.endpoint, { PLUGIN_PREFIX: "garage" });
      const [beta, alpha] = await Promise.all([
        runReleaseSite({ ...env, DRONE_TAG: "v3.0.0-beta.1" }, workspace.dir),
        runReleaseSite({ ...env, DRONE_TAG: "v3.0.0-alpha.4" }, other.dir),
      ]);
      expect(beta.code, beta.output).toBe(0);
      expect(alpha.code, alpha.output).toBe(0);
      const index = await jsonOf(store, "garage/index.json");
      expect(index.channels.beta.latest).toBe("3.0.0-beta.1");
      expect(index.channels.alpha.latest).toBe("3.0.0-alpha.4");
      const page = await textOf(store, "garage/index.html");
      expect(page).toContain("beta/3.0.0-beta.1/app.apk");
      expect(page).toContain("alpha/3.0.0-alpha.4/app.apk");
      expect(beta.output).toContain("the store ignores conditional writes (as Garage does)");
      expect(lockWrites("garage").filter((method) => method === "DELETE")).toHaveLength(2);
      expect(await store.keys("garage/")).not.toContain("garage/index.json.lock");
    } finally {
      await other.remove();
    }
  });

  it("a lock left by a killed run is waited for until it expires, then taken over", async () => {
    const expires = new Date(Date.now() + 2000).toISOString();
    await store.put(
      "killed/index.json.lock",
      JSON.stringify({ owner: "f3b1", build: "acme/calchat#11", expires }),
      "application/json",
    );
    await workspace.dist({ "app.apk": "x\n" });
    const started = Date.now();
    const run = await runReleaseSite(
      droneEnv(store.endpoint, { PLUGIN_PREFIX: "killed", PLUGIN_LOCK: "object" }),
      workspace.dir,
    );
    expect(run.code, run.output).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect(run.output).toContain(`killed/index.json.lock: held by acme/calchat#11 until ${expires}; waiting`);
    expect(run.output).toContain(`acme/calchat#11's lock expired at ${expires}; taking it over`);
    expect((await jsonOf(store, "killed/index.json")).channels.stable.latest).toBe("1.2.0");
    expect(await store.keys("killed/")).not.toContain("killed/index.json.lock");
  });

  it("a lock whose holder is not a plain line is never printed: it is taken over as not this plugin's", async () => {
    const forged = "acme/calchat#11\n\u001b[2K✔ published 9.9.9 to stable";
    const expires = new Date(Date.now() + 60_000).toISOString();
    await store.put(
      "forged/index.json.lock",
      JSON.stringify({ owner: "f3b1", build: forged, expires }),
      "application/json",
    );
    await workspace.dist({ "app.apk": "x\n" });
    const run = await runReleaseSite(
      droneEnv(store.endpoint, { PLUGIN_PREFIX: "forged", PLUGIN_LOCK: "object" }),
      workspace.dir,
    );
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain("forged/index.json.lock: not a lock of this plugin; taking it over");
    expect(run.output).not.toContain("published 9.9.9");
    expect(run.output).not.toContain("\u001b[2K");
  });

  it("a failed write of index.json releases the lock and leaves nothing of the version", async () => {
    store.fault((r) => (r.method === "PUT" && r.key === "failing/index.json" ? "refuse" : undefined));
    await workspace.dist({ "app.apk": "x\n" });
    const run = await runReleaseSite(droneEnv(store.endpoint, { PLUGIN_PREFIX: "failing" }), workspace.dir);
    expect(run.code).not.toBe(0);
    expect(lockWrites("failing")).toEqual(["PUT", "DELETE"]);
    expect(await store.keys("failing/")).toEqual([]);
  });
});
