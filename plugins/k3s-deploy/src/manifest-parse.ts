import { parseDocuments, readManifestFiles } from "./manifest-files.ts";
import { type LoadedManifest, type LoadedManifests, type Manifest, shapeProblem } from "./manifest-shape.ts";
import { renderDocument, type Vars } from "./render.ts";

/**
 * Reads, parses and renders every manifest file; collects each problem (file, document, what)
 * instead of stopping at the first.
 */
export async function parseManifestFiles(
  workspace: string,
  entries: readonly string[],
  vars: Vars,
): Promise<LoadedManifests> {
  const { files, problems } = await readManifestFiles(workspace, entries);
  const manifests: LoadedManifest[] = [];
  for (const file of files) {
    let index = 0;
    for await (const document of parseDocuments(file.text)) {
      index++;
      const source = `${file.relative}#${index}`;
      if (document.errors.length > 0) {
        const message = document.errors[0]?.message.split("\n")[0] ?? "is not valid YAML";
        // `key: {{ a }}-{{ b }}` unquoted is a flow map followed by text, to YAML.
        const hint = file.text.includes("{{") ? " (a value that starts with {{ must be quoted)" : "";
        problems.push(`${source}: ${message}${hint}`);
        continue;
      }
      const rendering = renderDocument(document, vars);
      if (rendering.length > 0) {
        problems.push(...rendering.map((problem) => `${source}: ${problem}`));
        continue;
      }
      let value: unknown;
      try {
        value = document.toJS({ maxAliasCount: 100 });
      } catch (error) {
        problems.push(`${source}: ${(error as Error).message.split("\n")[0]}`);
        continue;
      }
      if (value === null || value === undefined) continue;
      const problem = shapeProblem(value);
      if (problem) problems.push(`${source}: ${problem}`);
      else manifests.push({ object: value as Manifest, source });
    }
  }
  return { manifests, problems };
}
