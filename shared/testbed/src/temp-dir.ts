import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { removeOnExit } from "./cleanup.ts";

export interface TempDir {
  path: string;
  /** Removes the directory and everything in it. Safe to call twice. */
  remove(): Promise<void>;
}

/** Creates a fresh directory under os.tmpdir(), removed by remove() or at the latest when the process exits. */
export async function makeTempDir(purpose: string): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), `hangar-${purpose}-`));
  const forget = removeOnExit(path);
  return {
    path,
    async remove() {
      forget();
      await rm(path, { recursive: true, force: true });
    },
  };
}
