import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { TestbedUnavailableError } from "./availability.ts";

/** The API schemas kept in the repository, with their sources and licences (see its README). */
const BUNDLED_SPECS = resolve(fileURLToPath(new URL("../specs/", import.meta.url)));

/** `shared/testbed/specs` in the repository, or HANGAR_SPECS_DIR, or the directory given. */
export function specsDir(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return resolve(explicit);
  const fromEnv = env.HANGAR_SPECS_DIR?.trim();
  if (fromEnv) return resolve(fromEnv);
  return BUNDLED_SPECS;
}

/**
 * A loader of one schema file (`name` in the specs directory) that reads and compiles it once per
 * file and process. A file it cannot read makes the stand-in unavailable rather than the test
 * failing, and is read again on the next call.
 */
export function specLoader<T>(
  name: string,
  standIn: string,
  schema: string,
  compile: (text: string) => T,
): (dir?: string) => Promise<T> {
  const cache = new Map<string, Promise<T>>();
  return (dir) => {
    const file = resolve(specsDir(dir), name);
    let loading = cache.get(file);
    if (!loading) {
      loading = readFile(file, "utf8").then(compile, (error: unknown) => {
        cache.delete(file);
        const reason = error instanceof Error ? error.message : String(error);
        throw new TestbedUnavailableError(
          standIn,
          `cannot read the ${schema} ${file} (${reason}); it is kept in shared/testbed/specs, or set HANGAR_SPECS_DIR`,
        );
      });
      cache.set(file, loading);
    }
    return loading;
  };
}
