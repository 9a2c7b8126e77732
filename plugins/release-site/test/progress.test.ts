import { readFile } from "node:fs/promises";
import path from "node:path";
import { type SlowLink, startSlowLink } from "@hangar/testbed";
import { afterEach, describe, expect, it } from "vitest";
import { droneEnv, runReleaseSite, storeTests } from "./helpers.ts";

const { store, workspace } = await storeTests();
let link: SlowLink | undefined;
afterEach(() => link?.stop());

describe("release-site on a slow link", () => {
  it("says how far a long upload is every 5 s; the summary and the card give the total and the rate", {
    timeout: 40_000,
  }, async () => {
    // 1.5 MiB at 192 KiB/s: about 8 s, so one progress line and not a test that drags.
    const { hostname, port } = new URL(store.endpoint);
    link = await startSlowLink({ host: hostname, port: Number(port) }, 192 * 1024);
    await workspace.dist({ "app.apk": Buffer.alloc(1536 * 1024, 7) });
    const cardPath = path.join(workspace.dir, "card.json");
    const run = await runReleaseSite(
      droneEnv(`http://${link.host}:${link.port}`, {
        PLUGIN_PREFIX: "slow",
        PLUGIN_TIMEOUT: "30s",
        DRONE_CARD_PATH: cardPath,
      }),
      workspace.dir,
    );
    expect(run.code, run.output).toBe(0);
    const lines = run.output
      .split("\n")
      .filter((line) =>
        /app\.apk → s3:\/\/site\/slow\/stable\/1\.2\.0\/app\.apk: .* of 1\.5 MiB \(\d+%\), /.test(line),
      );
    expect(lines.length, run.output).toBeGreaterThanOrEqual(1);
    expect(lines.length).toBeLessThanOrEqual(2);
    // Bytes on their way (some may still sit in the socket buffers), not 0 until the end.
    expect(lines[0]).toMatch(/: [\d.]+ (KiB|MiB) of 1\.5 MiB \(([1-9]\d*)%\), [\d.]+ KiB\/s$/);
    expect(run.output).toMatch(/1 uploaded, 0 kept \(1\.5 MiB at [\d.]+ KiB\/s\)/);
    const card = JSON.parse(await readFile(cardPath, "utf8"));
    expect(card.data.facts).toContainEqual({
      name: "Uploaded",
      value: expect.stringMatching(/^1\.5 MiB at [\d.]+ KiB\/s$/),
    });
    expect((await store.get("slow/stable/1.2.0/app.apk")).body.length).toBe(1536 * 1024);
  });
});
