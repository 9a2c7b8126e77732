import { parseManifestText, readZipEntry, type StandinApk } from "./apk.ts";
import { SdkState } from "./state.ts";

/**
 * Stand-ins for the two SDK tools that read an APK's manifest, on the transcript of the real ones:
 * - `build-tools/<version>/aapt2 dump badging <apk>`: the `package: name='…' versionCode='…'
 *   versionName='…' …` line first, then `sdkVersion:'…'`, `targetSdkVersion:'…'`; a file that is
 *   not a zip gets libziparchive's `W/ziparchive(<pid>): Unable to open '<apk>': Invalid file` and
 *   `<apk>: error: Invalid file.` on stderr, exit 1.
 * - `cmdline-tools/latest/bin/apkanalyzer manifest application-id <apk>`: the id alone on stdout;
 *   a broken file gets the Java exception on stderr, exit 1.
 * They read the stand-in APKs' text manifest (apk.ts); a real APK holds binary XML.
 */

const state = SdkState.fromEnv();
const [tool, ...args] = process.argv.slice(2);
state.record(tool ?? "?", args);

function fail(message: string): never {
  process.stderr.write(message.endsWith("\n") ? message : `${message}\n`);
  process.exit(1);
}

type Read =
  | { ok: true; apk: StandinApk }
  | { ok: false; reason: "no such file" | "not a zip" | "no manifest" };

function readApk(file: string): Read {
  const entry = readZipEntry(file, "AndroidManifest.xml");
  if (!entry.ok) return { ok: false, reason: entry.reason === "no entry" ? "no manifest" : entry.reason };
  const apk = parseManifestText(entry.data.toString("utf8"));
  return apk ? { ok: true, apk } : { ok: false, reason: "no manifest" };
}

if (tool === "aapt2") {
  if (args[0] !== "dump" || args[1] !== "badging") fail("the stand-in aapt2 knows only `dump badging <apk>`");
  const file = args[2];
  if (!file) fail("No dump apk specified.");
  const read = readApk(file);
  if (!read.ok) {
    if (read.reason === "no manifest")
      fail(`${file}: error: failed to open APK: AndroidManifest.xml not found.`);
    const why = read.reason === "no such file" ? "No such file or directory" : "Invalid file";
    fail(
      `W/ziparchive(${String(process.pid).padStart(5)}): Unable to open '${file}': ${why}\n${file}: error: ${why}.`,
    );
  }
  const { apk } = read;
  process.stdout.write(
    [
      `package: name='${apk.package}' versionCode='${apk.versionCode ?? 1}' versionName='${apk.versionName ?? ""}' platformBuildVersionName='14' platformBuildVersionCode='34' compileSdkVersion='34' compileSdkVersionCodename='14'`,
      `sdkVersion:'${apk.minSdk ?? 24}'`,
      `targetSdkVersion:'${apk.targetSdk ?? 34}'`,
      "supports-screens: 'small' 'normal' 'large' 'xlarge'",
      "",
    ].join("\n"),
  );
  process.exit(0);
}

if (tool === "apkanalyzer") {
  const [group, command, file] = args;
  if (group !== "manifest" || command !== "application-id" || !file) {
    fail("Usage: apkanalyzer [global options] <subject> <verb> [options] <apk> [<apk2>]");
  }
  const read = readApk(file);
  if (!read.ok) {
    const why =
      read.reason === "no such file"
        ? `java.nio.file.NoSuchFileException: ${file}`
        : read.reason === "not a zip"
          ? "java.util.zip.ZipException: zip END header not found"
          : `java.io.IOException: AndroidManifest.xml not found in ${file}`;
    fail(
      `Exception in thread "main" ${why}\n\tat com.android.tools.apk.analyzer.ApkAnalyzerCli.main(ApkAnalyzerCli.java:129)`,
    );
  }
  process.stdout.write(`${read.apk.package}\n`);
  process.exit(0);
}

fail(`unknown stand-in tool ${tool}`);
