/**
 * image-publish on a slow link to the registry: a line every 5 s while the layer goes up; the
 * summary and the card give the total and the rate.
 */
import { randomBytes } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { RegistryClient } from "@hangar/oci";
import { type Registry, type SlowLink, startSlowLink, testbed } from "@hangar/testbed";
import { afterAll, describe, expect, it } from "vitest";
import { buildEnv, gitWorkspace, pushTwoPlatformBase, runImagePublish } from "./helpers.ts";

const registry: Registry | undefined = await testbed.registry();
let link: SlowLink | undefined;
let dir = "";

describe.skipIf(!registry)("image-publish on a slow link", () => {
  afterAll(async () => {
    await link?.stop();
    await registry?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("says how far the layer's upload is every 5 s; the summary and the card give the total and the rate", {
    timeout: 60_000,
  }, async () => {
    const reg = registry as Registry;
    await pushTwoPlatformBase(new RegistryClient({ host: reg.host }), "base/node", "24");
    // 1.5 MiB that gzip cannot shrink, at 192 KiB/s: about 8 s, so one progress line.
    link = await startSlowLink({ host: "127.0.0.1", port: reg.port }, 192 * 1024);
    dir = gitWorkspace({ "data.bin": randomBytes(1536 * 1024) });
    const host = `${link.host}:${link.port}`;
    const cardPath = `${dir}-card.json`;
    const run = await runImagePublish(
      {
        ...buildEnv(dir, { repo: `${host}/acme/big`, base: `${host}/base/node:24` }),
        DRONE_CARD_PATH: cardPath,
      },
      dir,
    );
    expect(run.code, run.output).toBe(0);
    const lines = run.output
      .split("\n")
      .filter((l) => /sha256:[0-9a-f]{12} → .*: .* of 1\.5 MiB \(\d+%\), /.test(l));
    expect(lines.length, run.output).toBeGreaterThanOrEqual(1);
    expect(lines.length).toBeLessThanOrEqual(2);
    expect(run.output).toMatch(/uploaded 1\.5 MiB in 3 blobs at [\d.]+ KiB\/s/);
    const card = JSON.parse(readFileSync(cardPath, "utf8"));
    rmSync(cardPath, { force: true });
    expect(card.data.facts).toContainEqual({
      name: "Uploaded",
      value: expect.stringMatching(/^1\.5 MiB in 3 blobs at [\d.]+ KiB\/s$/),
    });
  });
});
