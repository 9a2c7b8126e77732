/** Prints vitest's results (written as JSON under CI) as one closing line: `tests: N passed, N failed, N skipped`. */
import { readFile } from "node:fs/promises";
import { VITEST_RESULTS } from "../vitest.config.ts";

const text = await readFile(VITEST_RESULTS, "utf8").catch(() => undefined);
if (text === undefined) {
  console.log("tests: not run (an earlier check failed)");
  process.exit(0);
}
const results = JSON.parse(text) as {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
};
console.log(
  `tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${results.numPendingTests + results.numTodoTests} skipped`,
);
