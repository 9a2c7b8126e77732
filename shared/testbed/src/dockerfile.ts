/** One instruction of a Dockerfile: its keyword in capitals and the rest of its line. */
export interface DockerInstruction {
  keyword: string;
  args: string;
}

/**
 * A Dockerfile's instructions as Docker reads them: comment lines dropped (inside a continuation
 * too), continuation lines joined, blank lines between instructions skipped.
 */
export function dockerfileInstructions(text: string): DockerInstruction[] {
  const logical: string[] = [];
  let pending = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("#") || (pending === "" && line === "")) continue;
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    logical.push(pending + line);
    pending = "";
  }
  return logical.map((l) => {
    const [keyword = "", ...rest] = l.split(/\s+/);
    return { keyword: keyword.toUpperCase(), args: rest.join(" ") };
  });
}
