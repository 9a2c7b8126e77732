/**
 * Drone's pattern match for `when` conditions: `Match` of github.com/bmatcuk/doublestar v1.1.1,
 * the version drone-runner-docker builds with. `*` and `?` stay within one `/`-separated part,
 * `**` as a whole part spans parts, `[a-z]`/`[^…]` classes, `{a,b}` alternatives, `\` escapes.
 * A malformed pattern matches nothing (Drone ignores the error). Ported rather than taken from
 * a JavaScript glob library: those differ (dot files, case folding on macOS, `[!…]`).
 */
export function droneMatch(pattern: string, name: string): boolean {
  return matchParts(split([...pattern], "/"), split([...name], "/")) === true;
}

type Chars = readonly string[];
const BAD = "bad pattern";

/** Splits on a separator not escaped by `\`; like doublestar, a trailing separator adds no part. */
function split(chars: Chars, separator: string): Chars[] {
  if (!chars.includes(separator)) return [chars];
  const parts: Chars[] = [];
  for (let start = 0; start < chars.length; ) {
    let end = indexUnescaped(chars.slice(start), separator);
    end = end === -1 ? chars.length : end + start;
    parts.push(chars.slice(start, end));
    start = end + 1;
  }
  return parts;
}

function indexUnescaped(chars: Chars, char: string): number {
  const end = chars.indexOf(char);
  if (end > 0 && chars[end - 1] === "\\") {
    const rest = indexUnescaped(chars.slice(end + 1), char);
    return rest === -1 ? -1 : rest + end + 1;
  }
  return end;
}

function matchParts(pattern: Chars[], name: Chars[]): boolean | typeof BAD {
  if (pattern.length === 0 && name.length === 0) return true;
  if (pattern.length === 0 || name.length === 0) return false;
  let p = 0;
  let n = 0;
  while (p < pattern.length && n < name.length) {
    if ((pattern[p] as Chars).join("") === "**") {
      p += 1;
      if (p >= pattern.length) return true;
      for (; n < name.length; n++) if (matchParts(pattern.slice(p), name.slice(n)) === true) return true;
      return false;
    }
    const matched = matchPart(pattern[p] as Chars, name[n] as Chars);
    if (matched !== true) return matched;
    p += 1;
    n += 1;
  }
  return p >= pattern.length && n >= name.length;
}

function matchPart(pattern: Chars, name: Chars): boolean | typeof BAD {
  if (pattern.length === 0 && name.length === 0) return true;
  if (pattern.length === 0) return false;
  if (name.length === 0 && pattern.join("") !== "*") return false;
  let p = 0;
  let n = 0;
  while (p < pattern.length && n < name.length) {
    const char = pattern[p] as string;
    const actual = name[n] as string;
    if (char === "\\") {
      p += 1;
      if (p >= pattern.length) return BAD;
      if (pattern[p] !== actual) return false;
      p += 1;
      n += 1;
    } else if (char === "*") {
      p += 1;
      if (p >= pattern.length) return true;
      for (; n < name.length; n++) if (matchPart(pattern.slice(p), name.slice(n)) === true) return true;
      return false;
    } else if (char === "[") {
      p += 1;
      let end = indexUnescaped(pattern.slice(p), "]");
      if (end === -1) return BAD;
      end += p;
      const inClass = matchClass(pattern.slice(p, end), actual);
      if (inClass !== true) return inClass;
      p = end + 1;
      n += 1;
    } else if (char === "{") {
      p += 1;
      let end = indexUnescaped(pattern.slice(p), "}");
      if (end === -1) return BAD;
      end += p;
      const rest = pattern.slice(end + 1);
      for (const option of split(pattern.slice(p, end), ",")) {
        const matched = matchPart([...option, ...rest], name.slice(n));
        if (matched !== false) return matched;
      }
      return false;
    } else if (char === "?" || char === actual) {
      p += 1;
      n += 1;
    } else {
      return false;
    }
  }
  if (p >= pattern.length && n >= name.length) return true;
  const rest = pattern.slice(p).join("");
  return (n >= name.length && rest === "*") || rest === "**";
}

/** A `[…]` class (without its brackets) against one character. */
function matchClass(chars: Chars, actual: string): boolean | typeof BAD {
  if (chars.length === 0) return BAD;
  const negated = chars[0] === "^";
  let index = negated ? 1 : 0;
  let found = false;
  const next = (): string | typeof BAD => {
    let char = chars[index++] as string;
    if (char === "\\") {
      if (index >= chars.length) return BAD;
      char = chars[index++] as string;
    }
    return char;
  };
  while (index < chars.length) {
    if (chars[index] === "-") return BAD;
    const low = next();
    if (low === BAD) return BAD;
    let high = low;
    if (index < chars.length && chars[index] === "-") {
      index += 1;
      if (index >= chars.length || chars[index] === "-") return BAD;
      const upper = next();
      if (upper === BAD) return BAD;
      high = upper;
    }
    const code = actual.codePointAt(0) ?? 0;
    if ((low.codePointAt(0) ?? 0) <= code && code <= (high.codePointAt(0) ?? 0)) found = true;
  }
  return found !== negated;
}
