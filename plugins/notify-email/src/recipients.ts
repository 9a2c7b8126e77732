import { readFile } from "node:fs/promises";
import { workspacePath } from "@hangar/kit";
import * as z from "zod/mini";

const isAddress = (value: string) => z.email().safeParse(value).success;

/** Addresses from a recipients file: one a line, blank lines and `#` comments ignored. */
export async function readRecipientsFile(
  workspace: string,
  file: string,
): Promise<{ addresses: string[]; invalid: string[] }> {
  const text = await readFile(workspacePath(workspace, file), "utf8");
  const entries = text
    .split(/\r?\n/)
    .map((line) => line.replace(/#.*/, "").trim())
    .filter(Boolean);
  return { addresses: entries.filter(isAddress), invalid: entries.filter((entry) => !isAddress(entry)) };
}

export interface RecipientLists {
  to: string[];
  cc: string[];
  bcc: string[];
}

/**
 * The final lists, each address once (case-insensitively) in the first list it appears in:
 * `to` before `cc` before `bcc`, so nobody gets the mail twice.
 */
export function dedupeRecipients(lists: RecipientLists): RecipientLists {
  const seen = new Set<string>();
  const keep = (addresses: string[]) =>
    addresses.filter((address) => {
      const key = address.toLowerCase();
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  return { to: keep(lists.to), cc: keep(lists.cc), bcc: keep(lists.bcc) };
}

export { isAddress };
