import { readFile } from "node:fs/promises";
import path from "node:path";
import { OUTPUTS_STAMP_KEY, readContext, writeOutputs } from "@hangar/kit";

/**
 * What an earlier step of the build `env` describes would have left in the workspace: its
 * outputs, stamped with that build, so a later step of the same build reads them. A test that
 * plants outputs by hand instead writes what a repository could commit, which no step reads.
 */
export async function writeStepOutputs(
  workspace: string,
  env: Readonly<Record<string, string | undefined>>,
  outputs: Record<string, string>,
): Promise<void> {
  await writeOutputs(readContext(env, workspace), outputs);
}

/** The outputs the steps left in `workspace`, without the build's stamp; `{}` when none. */
export async function readStepOutputs(workspace: string): Promise<Record<string, string>> {
  const text = await readFile(path.join(workspace, ".hangar", "outputs.json"), "utf8").catch(() => "{}");
  const { [OUTPUTS_STAMP_KEY]: _stamp, ...outputs } = JSON.parse(text) as Record<string, string>;
  return outputs;
}
