import { readWorkspaceFile } from "@hangar/kit";
import * as z from "zod/mini";

const isAddress = (value: string) => z.email().safeParse(value).success;

/** A line of the recipients file that is not an address: where it is and why, never its text. */
export interface InvalidLine {
  line: number;
  reason: string;
}

/** 5000 addresses take about 150 kB; anything near this cap is not a mailing list. */
const MAX_RECIPIENTS_FILE_BYTES = 1024 * 1024;

/**
 * Addresses from a recipients file: one a line, blank lines and `#` comments ignored. The file
 * is read through the kit's workspace reader, so a link out of the workspace is refused before
 * a byte is read. Bad lines are reported by number and reason only: the file may not be the
 * list it claims to be, and its content must not reach the log.
 */
export async function readRecipientsFile(
  workspace: string,
  file: string,
): Promise<{ addresses: string[]; invalid: InvalidLine[] }> {
  const text = await readWorkspaceFile(workspace, file, {
    setting: "recipients_file",
    maxBytes: MAX_RECIPIENTS_FILE_BYTES,
  });
  const addresses: string[] = [];
  const invalid: InvalidLine[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const entry = raw.replace(/#.*/, "").trim();
    if (!entry) return;
    if (isAddress(entry)) addresses.push(entry);
    else invalid.push({ line: index + 1, reason: whyNotAnAddress(entry) });
  });
  return { addresses, invalid };
}

/** Enough to find and fix the line, without repeating what it holds. */
export function whyNotAnAddress(entry: string): string {
  const at = entry.split("@").length - 1;
  if (at === 0) return 'no "@"';
  if (at > 1) return `${at} "@" signs`;
  if (/\s/.test(entry)) return "spaces inside";
  const [local = "", domain = ""] = entry.split("@");
  if (!local) return 'nothing before the "@"';
  if (!domain) return 'nothing after the "@"';
  if (!domain.includes(".")) return "no dot in the domain";
  return "characters an address cannot hold";
}

/** The bad lines for a settings error: a few, by number, and how many more there are. */
export function describeInvalidLines(invalid: readonly InvalidLine[], shown = 5): string {
  const listed = invalid.slice(0, shown).map(({ line, reason }) => `line ${line} (${reason})`);
  const more = invalid.length - listed.length;
  return `${listed.join(", ")}${more > 0 ? ` and ${more} more` : ""}`;
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
