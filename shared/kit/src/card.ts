import { writeFile } from "node:fs/promises";
import { DOCS_BASE_URL } from "./docs-link.ts";
import type { Masker } from "./mask.ts";

/**
 * The summary card Drone shows for a step. Drone renders `data` with the Adaptive Card
 * template found at `schema`; all plugins share one template (docs/card.json).
 */
export interface Card {
  title: string;
  status: "success" | "failure" | "skipped";
  /** Label/value rows: `Recipients` → `3 accepted`. */
  facts: { name: string; value: string }[];
  links?: { title: string; url: string }[];
}

export const CARD_TEMPLATE_URL = `${DOCS_BASE_URL.replace("/blob/", "/raw/")}/card.json`;

/** Writes the card where Drone asked for it; `/dev/stdout` gets the escape-sequence form it parses from the log. */
export async function writeCard(
  cardPath: string | undefined,
  card: Card,
  masker: Masker,
  stdout: { write(chunk: string): unknown },
): Promise<void> {
  if (!cardPath) return;
  const json = masker.apply(JSON.stringify({ schema: CARD_TEMPLATE_URL, data: card }));
  if (cardPath === "/dev/stdout" || cardPath === "/dev/stderr") {
    stdout.write(`\u001B]1338;${Buffer.from(json).toString("base64")}\u001B]0m\n`);
    return;
  }
  await writeFile(cardPath, json, { mode: 0o644 });
}
