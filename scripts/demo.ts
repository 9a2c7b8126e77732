/**
 * The main job, as a newcomer runs it (`bash .ci/demo`): every plugin image that has a demo
 * runs the Drone way against servers started on loopback, and shows what it did.
 */
import { access, chmod, mkdtemp, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { imageExists } from "@hangar/testbed";

const root = path.resolve(import.meta.dirname, "..");
let failed = 0;
for (const entry of await readdir(path.join(root, "plugins"), { withFileTypes: true })) {
  const demoFile = path.join(root, "plugins", entry.name, "demo.ts");
  if (
    !entry.isDirectory() ||
    !(await access(demoFile).then(
      () => true,
      () => false,
    ))
  )
    continue;
  const image = `hangar/${entry.name}:dev`;
  console.log(`\n━━ ${entry.name} (${image}) ━━`);
  if (!(await imageExists(image))) {
    console.error(`${image} does not exist: build it with \`pnpm images\``);
    failed++;
    continue;
  }
  const workspace = await mkdtemp(path.join(tmpdir(), `hangar-demo-${entry.name}-`));
  // The image runs as uid 1000; a runner's workspace must be writable for outputs.
  await chmod(workspace, 0o777);
  const { demo } = (await import(demoFile)) as {
    demo: (image: string, workspace: string) => Promise<boolean>;
  };
  if (!(await demo(image, workspace))) failed++;
}
process.exitCode = failed === 0 ? 0 : 1;
