import { randomUUID } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { HangarError } from "./errors.ts";
import type { Masker } from "./mask.ts";

/**
 * Results a step hands to later steps (a VM's IP, a release URL), kept in the workspace
 * because steps share nothing else: `.hangar/outputs.env` for shells (`set -a; . .hangar/outputs.env`)
 * and `.hangar/outputs.json` for programs. Later plugins expand `${PROXMOX_VM_IP}` from them.
 */

export const OUTPUTS_DIR = ".hangar";
const ENV_FILE = "outputs.env";
const JSON_FILE = "outputs.json";

export type Outputs = Record<string, string>;

export async function readOutputs(workspace: string): Promise<Outputs> {
  const file = path.join(workspace, OUTPUTS_DIR, JSON_FILE);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new HangarError(
      "E_OUTPUTS_CORRUPT",
      `${path.join(OUTPUTS_DIR, JSON_FILE)} in the workspace is not a JSON object`,
      {
        hint: 'An earlier step wrote it half or by hand; remove it or write it as {"KEY": "value"}.',
      },
    );
  }
  return Object.fromEntries(Object.entries(parsed).map(([key, value]) => [key, String(value)]));
}

/** `notify-email` + `message id` → `NOTIFY_EMAIL_MESSAGE_ID`. */
export function outputKey(plugin: string, name: string): string {
  return `${plugin}_${name}`.toUpperCase().replace(/[^A-Z0-9]+/g, "_");
}

/**
 * Merges this step's outputs into the files, replacing keys it wrote before; both files are
 * written to a temporary name and renamed, so a reader never sees half a file. Secret values
 * are masked as they would be in the log.
 */
export async function writeOutputs(workspace: string, outputs: Outputs, masker?: Masker): Promise<string[]> {
  const dir = path.join(workspace, OUTPUTS_DIR);
  await mkdir(dir, { recursive: true });
  const merged = { ...(await readOutputs(workspace)) };
  for (const [key, value] of Object.entries(outputs)) merged[key] = masker ? masker.apply(value) : value;
  const envText = Object.entries(merged)
    .map(([key, value]) => `${key}=${shellQuote(value)}\n`)
    .join("");
  const files = [path.join(dir, ENV_FILE), path.join(dir, JSON_FILE)];
  await atomicWrite(files[0] as string, envText);
  await atomicWrite(files[1] as string, `${JSON.stringify(merged, null, 2)}\n`);
  return files;
}

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]*$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

async function atomicWrite(file: string, text: string): Promise<void> {
  // Not the pid alone: parallel steps run in separate containers, where every plugin is pid 1.
  const temporary = `${file}.${process.pid}.${randomUUID()}.tmp`;
  await writeFile(temporary, text, { mode: 0o644 });
  await rename(temporary, file);
}
