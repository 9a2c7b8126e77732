import { startHostileServer } from "@hangar/testbed";
import { describe, expect, it } from "vitest";
import { giteaTagType } from "../src/gitea-tag.ts";

const TOKEN = "gitea-token-7f3a9c";
const lookup = (url: string) => ({ url, owner: "acme", repo: "app", token: TOKEN, tag: "v1.2.0" });

describe("asking a hostile Gitea whether a tag is annotated", () => {
  it("refuses an endless answer instead of buffering it", async () => {
    const endless = await startHostileServer({ mode: "endless" });
    try {
      await expect(giteaTagType(lookup(endless.url), fetch, 10_000)).rejects.toThrow(
        /answered more than 65536 bytes/,
      );
    } finally {
      await endless.stop();
    }
  });

  it("does not follow a redirect with the token: the answer is refused", async () => {
    const elsewhere = await startHostileServer({ mode: "echo", status: 200 });
    const redirect = await startHostileServer({ mode: "redirect", location: `${elsewhere.url}/steal` });
    try {
      const asked = giteaTagType(lookup(redirect.url), fetch, 10_000);
      await expect(asked).rejects.toThrow(/answered 307/);
      expect(elsewhere.connections).toBe(0);
    } finally {
      await Promise.all([redirect.stop(), elsewhere.stop()]);
    }
  });
});
