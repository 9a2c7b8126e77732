import { accessSync, constants, statSync } from "node:fs";
import { delimiter, join } from "node:path";
import { TestbedUnavailableError } from "./availability.ts";

// Server binaries live in sbin directories, which a non-root PATH often lacks.
const SBIN = ["/usr/local/sbin", "/usr/sbin", "/sbin"];

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * The absolute path of an installed program, searched on PATH and in the sbin directories;
 * throws TestbedUnavailableError naming the Debian package when it is not there.
 */
export function findBinary(server: string, program: string, debianPackage: string): string {
  if (program.includes("/")) {
    if (isExecutable(program)) return program;
    throw new TestbedUnavailableError(server, `${program} is not installed`, debianPackage);
  }
  const dirs = [...(process.env.PATH ?? "").split(delimiter).filter(Boolean), ...SBIN];
  for (const dir of dirs) {
    const candidate = join(dir, program);
    if (isExecutable(candidate)) return candidate;
  }
  throw new TestbedUnavailableError(
    server,
    `${program} was not found on PATH or in ${SBIN.join(", ")}`,
    debianPackage,
  );
}
