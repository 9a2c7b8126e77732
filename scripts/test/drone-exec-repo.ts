/** A throw-away repository and scripts/drone-exec.ts run on it as a developer runs it, for the drone-exec tests. */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll } from "vitest";

export interface DroneExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Writes `files` (name → text, `.drone.yml` among them) into a fresh folder removed after the
 * file's tests, and returns it with a runner that reports the exit code instead of throwing.
 */
export function droneExecRepo(purpose: string, files: Record<string, string>) {
  const root = mkdtempSync(join(tmpdir(), `hangar-${purpose}-`));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(root, name), text);

  async function droneExec(...args: string[]): Promise<DroneExecResult> {
    try {
      const { stdout, stderr } = await promisify(execFile)(
        process.execPath,
        [join(import.meta.dirname, "../drone-exec.ts"), root, ...args],
        { timeout: 30_000 },
      );
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as DroneExecResult;
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  }
  return { root, droneExec };
}
