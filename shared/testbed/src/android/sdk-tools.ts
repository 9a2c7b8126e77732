import { writeFileSync } from "node:fs";
import path from "node:path";
import { SdkState } from "./state.ts";

/** Stand-ins for `sdkmanager` and `avdmanager`, the two commands the plugin runs. */

const state = SdkState.fromEnv();
const [tool, ...args] = process.argv.slice(2);
state.record(tool ?? "?", args);

if (tool === "sdkmanager") {
  const index = args.indexOf("--install");
  const pkg = index >= 0 ? args[index + 1] : undefined;
  if (!pkg?.startsWith("system-images;android-")) {
    process.stderr.write(`Error: Failed to find package '${pkg}'\n`);
    process.exit(1);
  }
  process.stdout.write(`Accept? (y/N): [=======================================] 100% Unzipping... ${pkg}\n`);
  writeFileSync(path.join(state.dir, "images", pkg.replace(/;/g, "_")), "");
  process.exit(0);
}
if (tool === "avdmanager") {
  const name = args[args.indexOf("-n") + 1];
  const pkg = args[args.indexOf("--package") + 1] ?? "";
  if (args[0] !== "create" || !name) {
    process.stderr.write("Error: Invalid or unsupported command\n");
    process.exit(1);
  }
  const installed = state.exists(path.join("images", pkg.replace(/;/g, "_")));
  if (!installed) {
    process.stderr.write(`Error: Package path is not valid. Valid system image paths are:\nnull\n`);
    process.exit(1);
  }
  writeFileSync(path.join(state.dir, "avds", name), "");
  process.stdout.write("Do you wish to create a custom hardware profile? [no] ");
  process.exit(0);
}
process.stderr.write(`unknown stand-in tool ${tool}\n`);
process.exit(1);
