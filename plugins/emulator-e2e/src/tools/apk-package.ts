import path from "node:path";
import { docsLink, HangarError, type Logger } from "@hangar/kit";
import { type E2ePlan, PACKAGE_NAME } from "../plan.ts";
import type { Runner } from "../runners/runner.ts";

/**
 * The app's package name, read from the APK the way Appium's own library (appium-adb) reads it:
 * `aapt2 dump badging <apk>` from the newest build-tools that has one, its first line
 * `package: name='…' versionCode='…' …`. Without build-tools, `apkanalyzer manifest application-id`
 * from the command-line tools. Both run on the runner (the host in host mode), on the APK there.
 */

export interface ApkReaders {
  /** `<sdk>/build-tools/<newest version with one>/aapt2`. */
  aapt2: string | undefined;
  /** `<sdk>/cmdline-tools/latest/bin/apkanalyzer`. */
  apkanalyzer: string | undefined;
}

export function apkanalyzerPath(sdkRoot: string): string {
  return path.posix.join(sdkRoot, "cmdline-tools", "latest", "bin", "apkanalyzer");
}

/** Where the readers were looked for, for messages. */
export function noReaders(sdkRoot: string, runner: Runner): string {
  const where =
    runner.where === "local" ? "in the step's container" : `on ${runner.where.replace(/^host /, "")}`;
  return `neither ${path.posix.join(sdkRoot, "build-tools", "<version>", "aapt2")} nor ${apkanalyzerPath(sdkRoot)} is there ${where}`;
}

/** One command on the runner lists both; in host mode that is one SSH channel, not one per file. */
export async function findApkReaders(
  runner: Runner,
  sdkRoot: string,
  signal?: AbortSignal,
): Promise<ApkReaders> {
  const script =
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the shell's parameter, not JavaScript's
    'for d in "$1"/build-tools/*/; do [ -x "${d}aapt2" ] && echo "aapt2 ${d}aapt2"; done; ' +
    '[ -x "$2" ] && echo "apkanalyzer $2"; true';
  const result = await runner.run("sh", ["-c", script, "sh", sdkRoot, apkanalyzerPath(sdkRoot)], {
    quiet: true,
    signal,
    timeoutMs: 30_000,
  });
  const found = result.stdout.split("\n").map((line) => line.trim());
  const aapt2s = found
    .filter((line) => line.startsWith("aapt2 "))
    .map((line) => line.slice(6).replace(/\/+/g, "/"));
  aapt2s.sort((a, b) => compareVersions(versionOf(b), versionOf(a)));
  return {
    aapt2: aapt2s[0],
    apkanalyzer: found.some((line) => line.startsWith("apkanalyzer ")) ? apkanalyzerPath(sdkRoot) : undefined,
  };
}

function versionOf(aapt2: string): string {
  return path.posix.basename(path.posix.dirname(aapt2));
}

/** build-tools folders are versions (`35.0.0`, `36.0.0-rc1`); a release sorts above its candidates. */
export function compareVersions(a: string, b: string): number {
  const parse = (version: string) => {
    const [release = "", pre] = version.split("-", 2);
    return { parts: release.split(".").map((part) => Number.parseInt(part, 10) || 0), pre };
  };
  const [x, y] = [parse(a), parse(b)];
  for (let i = 0; i < Math.max(x.parts.length, y.parts.length); i++) {
    const diff = (x.parts[i] ?? 0) - (y.parts[i] ?? 0);
    if (diff !== 0) return diff;
  }
  if (x.pre === y.pre) return 0;
  if (x.pre === undefined) return 1;
  if (y.pre === undefined) return -1;
  return x.pre.localeCompare(y.pre, "en", { numeric: true });
}

/** `package: name='com.example' versionCode='7' …` → com.example, as appium-adb parses it. */
export function packageFromBadging(stdout: string): string | undefined {
  const line = stdout.split("\n").find((candidate) => candidate.startsWith("package:"));
  return line ? /name='([^']+)'/.exec(line)?.[1] : undefined;
}

/**
 * The package for `appium:appPackage`: `app_package` (or the one in `capabilities`) when given,
 * else read from the APK on the runner. Undefined only when no reader is there and Appium's driver
 * does not need one (see `packageNeeded` in the plan).
 */
export async function appPackageOf(
  runner: Runner,
  plan: E2ePlan,
  apkOnRunner: string,
  log: Logger,
  signal: AbortSignal,
): Promise<string | undefined> {
  if (plan.appPackage !== undefined) {
    log.info(`app package ${plan.appPackage} (${plan.appPackageFrom}; the APK is not read)`);
    return plan.appPackage;
  }
  const readers = await findApkReaders(runner, plan.sdk.root, signal);
  const apk = path.posix.basename(apkOnRunner);
  if (readers.aapt2) {
    const result = await runner.run(readers.aapt2, ["dump", "badging", apkOnRunner], {
      signal,
      timeoutMs: 120_000,
    });
    const name = result.exitCode === 0 ? packageFromBadging(result.stdout) : undefined;
    if (!name) throw unreadable("aapt2 dump badging", apk, result);
    // The APK is the repository's: what it names goes into the capabilities and the outputs.
    if (!PACKAGE_NAME.test(name)) throw notAPackage(name, apk);
    log.info(`app package ${name} (read from ${apk} with ${readers.aapt2})`);
    return name;
  }
  if (readers.apkanalyzer) {
    const result = await runner.run(readers.apkanalyzer, ["manifest", "application-id", apkOnRunner], {
      signal,
      timeoutMs: 120_000,
    });
    const name = result.stdout.trim().split("\n").pop()?.trim() ?? "";
    if (result.exitCode !== 0 || name === "") {
      throw unreadable("apkanalyzer manifest application-id", apk, result);
    }
    if (!PACKAGE_NAME.test(name)) throw notAPackage(name, apk);
    log.info(`app package ${name} (read from ${apk} with ${readers.apkanalyzer})`);
    // UiAutomator2 still runs aapt2 itself for the launch activity, unless it is given.
    if (plan.packageNeeded && plan.capabilities["appium:appActivity"] === undefined) {
      log.warn(
        "no aapt2 in build-tools: Appium's UiAutomator2 driver needs it to find the app's launch activity; install the build tools or give `appium:appActivity` in `capabilities`",
      );
    }
    return name;
  }
  const where = noReaders(plan.sdk.root, runner);
  // Neither tool: an error only where the run could not succeed anyway. UiAutomator2 (and
  // Espresso) read a package that is not given themselves, with appium-adb running this same aapt2
  // on this same machine; without it the session would fail later, after the boot and Appium's
  // start, with "Could not find 'aapt2'". Failing here says why and what to do. Other drivers take
  // `appium:app` as it is, so there the package is only left out of the capabilities and the output.
  if (plan.packageNeeded) {
    throw new HangarError("E_APK_TOOLS", `cannot read the app's package: ${where}`, {
      hint: 'Install the build tools on that machine (`sdkmanager "build-tools;35.0.0"`; Appium\'s UiAutomator2 driver needs them too), or set `app_package`.',
      docs: docsLink("emulator-e2e", "app_package"),
    });
  }
  log.warn(`the app's package is left to Appium: ${where} (set \`app_package\` to pass it)`);
  return undefined;
}

function notAPackage(name: string, apk: string): HangarError {
  const shown = JSON.stringify(name.length > 100 ? `${name.slice(0, 100)}…` : name);
  return new HangarError("E_APK_PACKAGE", `${apk} names the package ${shown}, which is not a package name`, {
    hint: "An app's package is two or more dot-separated parts of letters, digits and underscores, each starting with a letter (com.example.app): fix the app's applicationId, or set `app_package`.",
  });
}

function unreadable(
  command: string,
  apk: string,
  result: { stdout: string; stderr: string; exitCode: number | null },
): HangarError {
  const tail = `${result.stderr}\n${result.stdout}`.trim().split("\n").slice(-6).join("\n");
  return new HangarError(
    "E_APK_PACKAGE",
    `cannot read the app's package from ${apk}: ${command} ${result.exitCode === 0 ? "named no package" : `failed (exit ${result.exitCode ?? "killed"})`}${tail ? `:\n${tail}` : ""}`,
    {
      // An aapt2 older than `dump badging` takes "badging" for the file (appium-adb says the same).
      hint: /Unable to open 'badging'/.test(result.stderr)
        ? "This aapt2 is too old for `dump badging`: install newer build tools, or set `app_package`."
        : "`app` must be an APK (a zip holding AndroidManifest.xml): look at the step that built it, or at the download.",
    },
  );
}
