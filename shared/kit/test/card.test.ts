import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CARD_TEMPLATE_URL, type Card, writeCard } from "../src/card.ts";
import { Masker } from "../src/mask.ts";
import { capture, cardFromLog, tempDir } from "./helpers.ts";

const secret = "smtp-password-xyz";

const card: Card = {
  title: "Release v1.2.0",
  status: "success",
  facts: [
    { name: "Assets", value: "3 uploaded" },
    { name: "Oops", value: `password ${secret}` },
  ],
  links: [{ title: "Release", url: `https://ci:${encodeURIComponent(secret)}@git.example.com/r/1` }],
};

function masker(): Masker {
  const mask = new Masker();
  mask.add(secret);
  return mask;
}

describe("writeCard", () => {
  it("writes {schema, data} JSON to DRONE_CARD_PATH, secrets masked", async () => {
    const dir = await tempDir();
    const file = path.join(dir, "card.json");
    const out = capture();
    await writeCard(file, card, masker(), out.streams.stdout);
    const text = await readFile(file, "utf8");
    expect(text).not.toContain(secret);
    expect(text).not.toContain(encodeURIComponent(secret));
    const parsed = JSON.parse(text);
    expect(parsed.schema).toBe(CARD_TEMPLATE_URL);
    expect(parsed.schema).toMatch(/^https:\/\/.+\/raw\/main\/docs\/card\.json$/);
    expect(parsed.data).toEqual({
      ...card,
      facts: [card.facts[0], { name: "Oops", value: "password ****" }],
      links: [{ title: "Release", url: "https://ci:****@git.example.com/r/1" }],
    });
    expect(out.all).toBe("");
  });

  it("writes the escape-sequence form Drone reads from the log when the path is /dev/stdout", async () => {
    const out = capture();
    await writeCard("/dev/stdout", card, masker(), out.streams.stdout);
    expect(out.stdout.startsWith("\u001B]1338;")).toBe(true);
    expect(out.stdout.endsWith("\u001B]0m\n")).toBe(true);
    const encoded = out.stdout.slice("\u001B]1338;".length, -"\u001B]0m\n".length);
    const json = Buffer.from(encoded, "base64").toString("utf8");
    expect(Buffer.from(json).toString("base64")).toBe(encoded);
    expect(json).not.toContain(secret);
    expect(JSON.parse(json)).toMatchObject({ schema: CARD_TEMPLATE_URL, data: { title: "Release v1.2.0" } });
    expect(cardFromLog(`before\n${out.stdout}after\n`)).toEqual(JSON.parse(json));
  });

  it("writes nothing when Drone asked for no card", async () => {
    const out = capture();
    await writeCard(undefined, card, masker(), out.streams.stdout);
    expect(out.all).toBe("");
  });
});
