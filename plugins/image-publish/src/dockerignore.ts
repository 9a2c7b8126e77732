/**
 * `.dockerignore` as Docker reads it (moby/patternmatcher): a pattern a line, `#` comments, a
 * leading `/` ignored, `*` and `?` within one path element, `**` across folders, `!` to take a
 * path back; the last matching line decides, and a pattern that matches a folder also takes
 * everything in it.
 */

interface Rule {
  regex: RegExp;
  exclude: boolean;
}

function toRegex(pattern: string): RegExp {
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === "*") {
      if (pattern[i + 1] === "*") {
        i++;
        if (pattern[i + 1] === "/") {
          i++;
          out += "(?:.*/)?";
        } else {
          out += ".*";
        }
      } else {
        out += "[^/]*";
      }
    } else if (c === "?") {
      out += "[^/]";
    } else if (c === "[") {
      const end = pattern.indexOf("]", i + 2);
      if (end < 0) {
        out += "\\[";
        continue;
      }
      let set = pattern.slice(i + 1, end).replace(/\\/g, "\\\\");
      if (set.startsWith("!")) set = `^${set.slice(1)}`;
      out += `[${set}]`;
      i = end;
    } else if (c === "\\" && i + 1 < pattern.length) {
      i++;
      out += (pattern[i] as string).replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    } else {
      out += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    }
  }
  return new RegExp(`^${out}$`);
}

/** Cleans a pattern as Go's filepath.Clean does for the cases a .dockerignore holds. */
function clean(pattern: string): string {
  const parts: string[] = [];
  for (const part of pattern.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === ".." && parts.length > 0 && parts[parts.length - 1] !== "..") parts.pop();
    else parts.push(part);
  }
  return parts.join("/");
}

export function parseDockerignore(text: string): Rule[] {
  const rules: Rule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const exclude = !line.startsWith("!");
    if (!exclude) line = line.slice(1).trim();
    const pattern = clean(line);
    if (pattern === "") continue;
    rules.push({ regex: toRegex(pattern), exclude });
  }
  return rules;
}

export interface IgnoreMatcher {
  /** Whether the context-relative path (`a/b.txt`, `/` separated) stays out of the image. */
  ignores(path: string): boolean;
  /** Whether some `!` line might take back a path under an ignored folder (then the folder is read). */
  readonly hasExceptions: boolean;
}

export function ignoreMatcher(text: string): IgnoreMatcher {
  const rules = parseDockerignore(text);
  return {
    hasExceptions: rules.some((r) => !r.exclude),
    ignores(path) {
      const parts = path.split("/");
      const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join("/"));
      let ignored = false;
      for (const rule of rules) {
        if (prefixes.some((p) => rule.regex.test(p))) ignored = rule.exclude;
      }
      return ignored;
    },
  };
}
