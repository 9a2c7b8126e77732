/**
 * The files of the build context, as they go into the image: `.dockerignore` applied, sorted,
 * symbolic links kept as links (never followed, so nothing outside the context is read), and
 * anything else (a socket, a fifo) refused by name.
 */
import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { HangarError } from "@hangar/kit";
import { ignoreMatcher } from "./dockerignore.ts";

export interface ContextFile {
  /** Context-relative, `/` separated. */
  path: string;
  absolute: string;
  kind: "file" | "folder" | "link";
  size: number;
  executable: boolean;
  /** A link's target, as written. */
  link?: string;
}

/** Left out of a context's top level whatever .dockerignore says. */
export const ALWAYS_OUT: ReadonlySet<string> = new Set([".git", ".hangar"]);

export function readContextFiles(dir: string): ContextFile[] {
  let ignore = "";
  try {
    ignore = readFileSync(join(dir, ".dockerignore"), "utf8");
  } catch {
    // no .dockerignore: everything goes in
  }
  const matcher = ignoreMatcher(ignore);
  const files: ContextFile[] = [];
  const walk = (abs: string, rel: string) => {
    for (const name of readdirSync(abs).sort()) {
      const a = join(abs, name);
      const r = rel ? `${rel}/${name}` : name;
      // The clone's history and the outputs of earlier steps are no part of an app, and would
      // change the layer on every build.
      if (!rel && ALWAYS_OUT.has(name)) continue;
      const ignored = matcher.ignores(r);
      const stat = lstatSync(a);
      if (stat.isDirectory()) {
        // An ignored folder is read only when a `!` line may take something in it back.
        if (ignored && !matcher.hasExceptions) continue;
        if (!ignored) files.push({ path: r, absolute: a, kind: "folder", size: 0, executable: false });
        walk(a, r);
        continue;
      }
      if (ignored) continue;
      if (stat.isFile()) {
        files.push({
          path: r,
          absolute: a,
          kind: "file",
          size: stat.size,
          executable: (stat.mode & 0o111) !== 0,
        });
      } else if (stat.isSymbolicLink()) {
        files.push({ path: r, absolute: a, kind: "link", size: 0, executable: false, link: readlinkSync(a) });
      } else {
        throw new HangarError(
          "E_CONTEXT_FILE",
          `${r} in the context is neither a file, a folder nor a link`,
          {
            hint: "Leave it out with a line in the context's .dockerignore.",
          },
        );
      }
    }
  };
  walk(dir, "");
  return files;
}
