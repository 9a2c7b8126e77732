import { readFileSync } from "node:fs";
import { SourceMap } from "node:module";
import { fileURLToPath } from "node:url";

const FRAME = /(file:\/\/[^\s()]+?|\/[^\s()]+?)\.(m?js):(\d+):(\d+)/g;

/**
 * Points a bundle's stack trace at the TypeScript sources, through the map beside the bundle
 * (`index.mjs.map`). Done only for an unexpected error, so no run pays for loading the map, as
 * every run would with `node --enable-source-maps`. Frames without a map stay as they are.
 */
export function sourceMappedStack(stack: string): string {
  const maps = new Map<string, SourceMap | undefined>();
  const mapFor = (file: string): SourceMap | undefined => {
    if (!maps.has(file)) {
      try {
        maps.set(file, new SourceMap(JSON.parse(readFileSync(`${file}.map`, "utf8"))));
      } catch {
        maps.set(file, undefined);
      }
    }
    return maps.get(file);
  };
  return stack.replace(FRAME, (frame, stem: string, extension: string, line: string, column: string) => {
    const file = `${stem.startsWith("file://") ? fileURLToPath(stem) : stem}.${extension}`;
    const entry = mapFor(file)?.findEntry(Number(line) - 1, Number(column) - 1);
    if (!entry || !("originalSource" in entry) || !entry.originalSource) return frame;
    const source = entry.originalSource.startsWith("file://")
      ? fileURLToPath(entry.originalSource)
      : entry.originalSource;
    return `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  });
}
