import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { type Card, formatBytes, formatRate, type TransferTotals } from "@hangar/kit";

export interface TestCase {
  suite: string;
  name: string;
  outcome: "passed" | "failed" | "skipped";
  message: string;
}

export interface TestResults {
  cases: TestCase[];
  passed: number;
  failed: number;
  skipped: number;
  /** The merged report, relative to the workspace; undefined when no test reported. */
  junit: string | undefined;
}

const CASE = /<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g;
const SUITE = /<testsuite\b[^>]*>[\s\S]*?<\/testsuite>/g;

function attribute(attributes: string, name: string): string {
  const match = new RegExp(`\\b${name}="([^"]*)"`).exec(attributes);
  return unescapeXml(match?.[1] ?? "");
}

function unescapeXml(text: string): string {
  return text
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&amp;/g, "&");
}

/** The test cases of a JUnit report, each under its suite's title (`login screen`). */
export function parseJunit(xml: string): TestCase[] {
  return (xml.match(SUITE) ?? []).flatMap((suite) => {
    const title = attribute(/<testsuite\b([^>]*)>/.exec(suite)?.[1] ?? "", "name");
    return parseCases(suite).map((test) => ({ ...test, suite: title || test.suite }));
  });
}

function parseCases(xml: string): TestCase[] {
  const cases: TestCase[] = [];
  for (const match of xml.matchAll(CASE)) {
    const attributes = match[1] ?? "";
    const body = match[3] ?? "";
    const failure = /<(failure|error)\b([^>]*)/.exec(body);
    const outcome = failure ? "failed" : /<skipped\b/.test(body) ? "skipped" : "passed";
    cases.push({
      suite: attribute(attributes, "classname"),
      name: attribute(attributes, "name"),
      outcome,
      message: failure ? attribute(failure[2] ?? "", "message") : "",
    });
  }
  return cases;
}

/**
 * Reads WebdriverIO's JUnit files (one per spec run), oldest first: a spec file run again
 * (`retries`) reports its tests again, and the last report of a test is its verdict. Writes one
 * merged `junit.xml` beside them for notify-email's `attachments`.
 */
export async function collectResults(artifactsDir: string, workspace: string): Promise<TestResults> {
  const dir = path.join(artifactsDir, "junit");
  const names = (await readdir(dir).catch(() => [] as string[])).filter((name) => name.endsWith(".xml"));
  const files = await Promise.all(
    names.map(async (name) => ({
      file: path.join(dir, name),
      mtime: (await stat(path.join(dir, name))).mtimeMs,
    })),
  );
  files.sort((a, b) => a.mtime - b.mtime);
  const byName = new Map<string, TestCase>();
  const suites: string[] = [];
  for (const { file } of files) {
    const xml = await readFile(file, "utf8");
    suites.push(...(xml.match(SUITE) ?? []));
    for (const test of parseJunit(xml)) byName.set(`${test.suite}\u0000${test.name}`, test);
  }
  const cases = [...byName.values()];
  let junit: string | undefined;
  if (files.length > 0) {
    const merged = path.join(artifactsDir, "junit.xml");
    await writeFile(
      merged,
      `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n${suites.join("\n")}\n</testsuites>\n`,
    );
    junit = path.relative(workspace, merged).split(path.sep).join("/");
  }
  const count = (outcome: TestCase["outcome"]) => cases.filter((test) => test.outcome === outcome).length;
  return { cases, passed: count("passed"), failed: count("failed"), skipped: count("skipped"), junit };
}

export function failedNames(results: TestResults): string[] {
  return results.cases
    .filter((test) => test.outcome === "failed")
    .map((test) => `${test.suite ? `${test.suite} › ` : ""}${test.name}`);
}

export function summaryLine(results: TestResults): string {
  const counts = `${results.passed} passed, ${results.failed} failed, ${results.skipped} skipped`;
  const failed = failedNames(results);
  return failed.length === 0 ? counts : `${counts}; failed: ${failed.join("; ")}`;
}

export function resultCard(
  results: TestResults,
  ok: boolean,
  serial: string,
  artifacts: string,
  transferred?: TransferTotals,
): Card {
  return {
    title: `Android e2e: ${results.passed} passed, ${results.failed} failed, ${results.skipped} skipped`,
    status: ok ? "success" : "failure",
    facts: [
      { name: "Device", value: serial },
      ...failedNames(results)
        .slice(0, 10)
        .map((name) => ({ name: "Failed", value: name })),
      { name: "Evidence", value: artifacts },
      ...(transferred && transferred.bytes > 0
        ? [
            {
              name: "Over SFTP",
              value: `${formatBytes(transferred.bytes)} at ${formatRate(transferred.rate)}`,
            },
          ]
        : []),
    ],
  };
}
