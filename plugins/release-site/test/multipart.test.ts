import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { droneEnv, runReleaseSite, storeTests } from "./helpers.ts";

const { store, workspace } = await storeTests();

describe("release-site large files", () => {
  it("a file over one part goes up as a multipart upload, checked by size and SHA-256, and a re-run keeps it", async () => {
    const bytes = randomBytes(17 * 1024 * 1024 + 123);
    await workspace.dist({ "big.bin": bytes });
    const env = droneEnv(store.endpoint, { PLUGIN_PREFIX: "big", DRONE_TAG: "v1.0.0" });
    const run = await runReleaseSite(env, workspace.dir);
    expect(run.code, run.output).toBe(0);
    expect(store.requests.filter((r) => r.method === "PUT" && r.query.includes("partNumber="))).toHaveLength(
      3,
    );
    const stored = (await store.get("big/stable/1.0.0/big.bin")).body;
    expect(createHash("sha256").update(stored).digest("hex")).toBe(
      createHash("sha256").update(bytes).digest("hex"),
    );
    const again = await runReleaseSite(env, workspace.dir);
    expect(again.output).toContain("0 uploaded, 1 kept");
  });

  it("a multipart upload the store refuses half way is aborted and leaves nothing", async () => {
    await workspace.dist({ "big.bin": randomBytes(17 * 1024 * 1024) });
    store.fault((r) => (r.method === "PUT" && r.query.includes("partNumber=2") ? "refuse" : undefined));
    const run = await runReleaseSite(
      droneEnv(store.endpoint, { PLUGIN_PREFIX: "bigfail", DRONE_TAG: "v1.0.0" }),
      workspace.dir,
    );
    store.fault(undefined);
    expect(run.code).not.toBe(0);
    expect(store.requests.filter((r) => r.method === "DELETE" && r.query.includes("uploadId="))).toHaveLength(
      1,
    );
    expect(await store.keys("bigfail/")).toEqual([]);
  });
});
