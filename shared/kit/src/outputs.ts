import { randomUUID } from "node:crypto";
import { lstat, mkdir, realpath, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { HangarError } from "./errors.ts";
import { readWorkspaceFile } from "./files.ts";
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
  let text: string;
  try {
    await outputsDir(workspace);
    text = await readWorkspaceFile(workspace, path.join(OUTPUTS_DIR, JSON_FILE), {
      maxBytes: MAX_OUTPUTS_BYTES,
    });
  } catch (error) {
    if (error instanceof HangarError && error.code === "E_FILE_NOT_FOUND") return {};
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

const MAX_OUTPUTS_BYTES = 4 * 1024 * 1024;

/**
 * `.hangar` itself, refused when it is a link (a repository could commit `.hangar -> /etc`
 * and have a step write there) or anything but a directory.
 */
async function outputsDir(workspace: string): Promise<string> {
  const dir = path.join(await realpath(workspace), OUTPUTS_DIR);
  const info = await lstat(dir).catch(() => undefined);
  if (info && (info.isSymbolicLink() || !info.isDirectory())) {
    throw new HangarError(
      "E_OUTPUTS_NOT_A_DIRECTORY",
      `${OUTPUTS_DIR} in the workspace is ${info.isSymbolicLink() ? "a symlink" : "not a directory"}; step outputs are kept only in a directory of the workspace itself`,
      { hint: `Remove ${OUTPUTS_DIR} from the repository (add it to .gitignore): the steps create it.` },
    );
  }
  return dir;
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
  const dir = await outputsDir(workspace);
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
