import { randomUUID } from "node:crypto";
import { lstat, mkdir, realpath, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import type { BuildContext } from "./context.ts";
import { HangarError } from "./errors.ts";
import { readWorkspaceFile } from "./files.ts";
import type { Masker } from "./mask.ts";

/**
 * Results a step hands to later steps (a VM's IP, a release URL), kept in the workspace
 * because steps share nothing else: `.hangar/outputs.env` for shells (`set -a; . .hangar/outputs.env`)
 * and `.hangar/outputs.json` for programs. Later plugins expand `${PROXMOX_VM_IP}` from them.
 *
 * The workspace is the repository being built, so a repository (a fork's pull request among
 * them) could commit a `.hangar/outputs.json` that names someone else's VM or host. Every file
 * is therefore stamped with the build that wrote it, and a step reads only a stamp equal to its
 * own build's: a committed file cannot carry the SHA of the commit that contains it.
 */

export const OUTPUTS_DIR = ".hangar";
const ENV_FILE = "outputs.env";
const JSON_FILE = "outputs.json";

/** The key that carries the stamp, in both files (a shell step can compare it too). */
export const OUTPUTS_STAMP_KEY = "HANGAR_OUTPUTS_BUILD";

export type Outputs = Record<string, string>;

/** What a stamp is made of: the repository, the build and the commit the step runs for. */
export type BuildIdentity = Pick<BuildContext, "workspace" | "repo" | "build" | "commit">;

/**
 * `acme/calchat#42@<commit sha>+<start time>`: unknown without a commit SHA (not a CI build),
 * and then no outputs can be tied to the build at all.
 */
export function outputsStamp(identity: BuildIdentity): string | undefined {
  const sha = identity.commit.sha;
  if (!/^[0-9a-f]{7,64}$/i.test(sha)) return undefined;
  const started = identity.build.startedAt ? `+${Math.floor(identity.build.startedAt.getTime() / 1000)}` : "";
  return `${identity.repo.fullName}#${identity.build.number ?? ""}@${sha.toLowerCase()}${started}`;
}

/** Why a file in `.hangar` was not read: said in the log, and the step goes on without it. */
export type RefusedOutputs = (reason: string) => void;

/**
 * The outputs earlier steps of this build wrote. Anything else (a file the repository
 * committed, one left by another build, a damaged one, a `.hangar` that is a link) is
 * refused with the reason given to `refused`, and the step reads no outputs at all.
 */
export async function readOutputs(
  identity: BuildIdentity,
  refused: RefusedOutputs = () => {},
): Promise<Outputs> {
  const found = await readStampedFile(identity.workspace);
  if (found.kind === "none") return {};
  if (found.kind === "refused") {
    refused(found.reason);
    return {};
  }
  const own = outputsStamp(identity);
  if (own === undefined) {
    refused(
      `${FILE} is ignored: this step knows no commit SHA (DRONE_COMMIT_SHA or CI_COMMIT_SHA), so nothing ties the file to this build`,
    );
    return {};
  }
  if (found.stamp !== own) {
    refused(
      `${FILE} is ignored: no step of this build wrote it (it was committed to the repository or left by another build). ` +
        `Steps hand results only to later steps of the same build; remove ${OUTPUTS_DIR}/ from the repository and add it to .gitignore.`,
    );
    return {};
  }
  return found.outputs;
}

const FILE = path.join(OUTPUTS_DIR, JSON_FILE);
const MAX_OUTPUTS_BYTES = 4 * 1024 * 1024;

type StampedFile =
  | { kind: "none" }
  | { kind: "refused"; reason: string }
  | { kind: "read"; stamp: string | undefined; outputs: Outputs };

async function readStampedFile(workspace: string): Promise<StampedFile> {
  let text: string;
  try {
    await outputsDir(workspace);
    text = await readWorkspaceFile(workspace, FILE, { maxBytes: MAX_OUTPUTS_BYTES });
  } catch (error) {
    if (!(error instanceof HangarError)) throw error;
    if (error.code === "E_FILE_NOT_FOUND") return { kind: "none" };
    return { kind: "refused", reason: `${FILE} is ignored: ${error.message}` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
    return {
      kind: "refused",
      reason: `${FILE} is ignored: it is not a JSON object, so no step of hangar wrote it`,
    };
  }
  const outputs: Outputs = {};
  let stamp: string | undefined;
  for (const [key, value] of Object.entries(parsed)) {
    if (key === OUTPUTS_STAMP_KEY) stamp = typeof value === "string" ? value : undefined;
    else outputs[key] = String(value);
  }
  return { kind: "read", stamp, outputs };
}

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
 * Merges this step's outputs into what earlier steps of this build wrote, replacing keys it
 * wrote before, and stamps the result with this build. A file this build did not write is
 * replaced, not merged: nothing of it reaches a later step. Both files are written to a
 * temporary name and renamed, so a reader never sees half a file. Secret values are masked
 * as they would be in the log.
 */
export async function writeOutputs(
  identity: BuildIdentity,
  outputs: Outputs,
  masker?: Masker,
  refused?: RefusedOutputs,
): Promise<string[]> {
  const dir = await outputsDir(identity.workspace);
  await mkdir(dir, { recursive: true });
  const merged: Outputs = { [OUTPUTS_STAMP_KEY]: outputsStamp(identity) ?? "" };
  Object.assign(merged, await readOutputs(identity, refused));
  for (const [key, value] of Object.entries(outputs)) {
    if (key === OUTPUTS_STAMP_KEY) continue;
    merged[key] = masker ? masker.apply(value) : value;
  }
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
