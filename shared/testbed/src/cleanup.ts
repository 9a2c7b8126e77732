import { rmSync } from "node:fs";

// Last-resort cleanup when a test process exits without calling stop(): kill the servers it
// started and remove their temporary directories. Only synchronous work is possible here.
const tasks = new Set<() => void>();
let installed = false;

/** Runs `task` when the process exits, unless the returned function is called first. */
export function onProcessExit(task: () => void): () => void {
  if (!installed) {
    installed = true;
    process.once("exit", () => {
      for (const each of tasks) {
        try {
          each();
        } catch {
          // best effort: the process is going away anyway
        }
      }
    });
  }
  tasks.add(task);
  return () => {
    tasks.delete(task);
  };
}

/** Removes a directory tree when the process exits, unless the returned function is called first. */
export function removeOnExit(dir: string): () => void {
  return onProcessExit(() => rmSync(dir, { recursive: true, force: true }));
}
