/**
 * Native code in a context: Node add-ons (`*.node`) and ELF files (a Go binary, a prebuilt
 * `sharp`). Such a file runs on the platform it was built for only, so an image that carries it
 * for other platforms is broken there; ELF's machine field says which one it is.
 */
import { closeSync, openSync, readSync } from "node:fs";
import type { ContextFile } from "./context-files.ts";

export interface NativeFile {
  /** Context-relative path. */
  path: string;
  /** `amd64`, `arm64`, `arm`, `386` …, or undefined when the file says none we know. */
  architecture: string | undefined;
}

const MACHINES: Record<number, string> = {
  3: "386",
  40: "arm",
  62: "amd64",
  183: "arm64",
  243: "riscv64",
  21: "ppc64le",
  22: "s390x",
};

/** The architecture an ELF header names; null when the bytes are no ELF header. */
export function elfArchitecture(head: Buffer): string | undefined | null {
  if (head.length < 20 || head.readUInt32BE(0) !== 0x7f454c46) return null;
  const machine = head[5] === 2 ? head.readUInt16BE(18) : head.readUInt16LE(18);
  return MACHINES[machine];
}

/** Whether a file is native code, and for which architecture. */
export function nativeFile(absolute: string, path: string): NativeFile | undefined {
  const head = Buffer.alloc(20);
  const fd = openSync(absolute, "r");
  let read = 0;
  try {
    read = readSync(fd, head, 0, 20, 0);
  } finally {
    closeSync(fd);
  }
  const architecture = elfArchitecture(head.subarray(0, read));
  if (architecture === null && !path.endsWith(".node")) return undefined;
  return { path, architecture: architecture ?? undefined };
}

/** `linux/arm/v7` → `arm`: the architecture part a native file is compared with. */
export function platformArchitecture(platform: string): string {
  return platform.split("/")[1] ?? "";
}

/** The native files that would not run on every one of `platforms`. */
export function mismatched(files: readonly NativeFile[], platforms: readonly string[]): NativeFile[] {
  return files.filter(
    (f) => !f.architecture || platforms.some((p) => platformArchitecture(p) !== f.architecture),
  );
}

/** The context's native files. */
export function nativeFiles(files: readonly ContextFile[]): NativeFile[] {
  return files.flatMap((f) => {
    if (f.kind !== "file") return [];
    const found = nativeFile(f.absolute, f.path);
    return found ? [found] : [];
  });
}

/** Why native files refuse the publish (named, at most 10), or undefined when they run everywhere asked. */
export function nativeProblem(native: NativeFile[], platforms: string[] | undefined): string | undefined {
  if (native.length === 0) return undefined;
  const wrong = platforms ? mismatched(native, platforms) : native;
  if (wrong.length === 0) return undefined;
  const named = wrong
    .slice(0, 10)
    .map((f) => `${f.path} (${f.architecture ?? "unknown architecture"})`)
    .join(", ");
  const more = wrong.length > 10 ? ` and ${wrong.length - 10} more` : "";
  const where = platforms ? `for ${platforms.join(", ")}` : "for every platform the base offers";
  return `holds native code that cannot run on every platform ${where}: ${named}${more}; set \`platforms\` to the ones it was built for, leave the files out (.dockerignore), or set \`allow_native: true\``;
}
