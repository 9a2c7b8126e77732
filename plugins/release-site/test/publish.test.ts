import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { droneEnv, jsonOf, runReleaseSite, SECRET_KEY, storeTests } from "./helpers.ts";

const { store, workspace } = await storeTests();
const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");
const json = (key: string) => jsonOf(store, key);

describe("release-site publish", () => {
  it("publishes to stable, beta and alpha by version, with checksums, latest.json, index.json and the page", async () => {
    await workspace.dist({ "calchat.apk": "stable build\n" });
    const stable = await runReleaseSite(droneEnv(store.endpoint, { PLUGIN_PREFIX: "p1" }), workspace.dir);
    expect(stable.code, stable.output).toBe(0);
    await workspace.dist({ "calchat.apk": "beta build\n" });
    const beta = await runReleaseSite(
      droneEnv(store.endpoint, { PLUGIN_PREFIX: "p1", DRONE_TAG: "v1.3.0-rc.1" }),
      workspace.dir,
    );
    expect(beta.code, beta.output).toBe(0);
    await workspace.dist({ "calchat.apk": "main build\n" });
    const alpha = await runReleaseSite(
      droneEnv(store.endpoint, {
        PLUGIN_PREFIX: "p1",
        DRONE_TAG: "",
        DRONE_BUILD_EVENT: "push",
        DRONE_BRANCH: "main",
      }),
      workspace.dir,
    );
    expect(alpha.code, alpha.output).toBe(0);
    expect(await workspace.outputs()).toMatchObject({
      RELEASE_SITE_CHANNEL: "alpha",
      RELEASE_SITE_VERSION: "0.0.0-main.12",
      RELEASE_SITE_URL: `${store.endpoint}/site/p1/alpha/0.0.0-main.12/`,
      RELEASE_SITE_MANIFEST: `${store.endpoint}/site/p1/alpha/latest.json`,
    });

    for (const [channel, version, body] of [
      ["stable", "1.2.0", "stable build\n"],
      ["beta", "1.3.0-rc.1", "beta build\n"],
      ["alpha", "0.0.0-main.12", "main build\n"],
    ] as const) {
      const latest = await json(`p1/${channel}/latest.json`);
      expect(latest).toMatchObject({ version, channel, commit: "3f2a9c1d5e7b8a9c0d1e2f3a4b5c6d7e8f9a0b1c" });
      const file = await store.get(`p1/${channel}/${version}/calchat.apk`);
      expect(file.body.toString()).toBe(body);
      expect(latest.files).toEqual([
        {
          name: "calchat.apk",
          size: file.body.length,
          sha256: sha256(file.body),
          url: `${store.endpoint}/site/p1/${channel}/${version}/calchat.apk`,
        },
      ]);
      expect(file.headers["content-type"]).toBe("application/vnd.android.package-archive");
      expect(file.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
      expect((await store.get(`p1/${channel}/${version}/SHA256SUMS`)).body.toString()).toBe(
        `${sha256(file.body)}  calchat.apk\n`,
      );
      expect((await store.get(`p1/${channel}/latest.json`)).headers["cache-control"]).toBe("no-cache");
    }
    const index = await json("p1/index.json");
    expect(Object.keys(index.channels)).toEqual(["alpha", "beta", "stable"]);
    const page = (await store.get("p1/index.html")).body.toString();
    for (const [channel, { versions }] of Object.entries(
      index.channels as Record<
        string,
        { versions: { version: string; files: { name: string; sha256: string }[] }[] }
      >,
    )) {
      for (const entry of versions) {
        expect(page).toContain(`href="${channel}/${entry.version}/calchat.apk"`);
        expect(page).toContain(entry.files[0]?.sha256);
      }
    }
    expect(page).not.toContain("<script");
    expect(stable.output + beta.output + alpha.output).not.toContain(SECRET_KEY);
  });
});
