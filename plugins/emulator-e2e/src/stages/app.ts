import { createWriteStream } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { HangarError, type Logger, matchFiles, resolveInWorkspace } from "@hangar/kit";
import type { AppSource } from "../plan.ts";

const DOWNLOAD_TIMEOUT_MS = 10 * 60_000;
const MAX_APK_BYTES = 2 * 1024 * 1024 * 1024;

/**
 * The APK as a file in the plugin's container: a workspace file (one match of the glob, read
 * through the workspace's real paths) or a download (a Gitea release asset, with `app_token`).
 */
export async function resolveApp(
  source: AppSource,
  workspace: string,
  log: Logger,
  fetchImpl: typeof fetch,
  signal: AbortSignal,
): Promise<string> {
  if (source.kind === "file") {
    const { files, unmatched } = await matchFiles(workspace, [source.relative]);
    if (unmatched.length > 0 || files.length === 0) {
      throw new HangarError("E_APP_NOT_FOUND", `app: ${source.relative} matches no file in the workspace`, {
        hint: "Build the APK in an earlier step, or fix the path.",
      });
    }
    if (files.length > 1) {
      throw new HangarError(
        "E_APP_AMBIGUOUS",
        `app: ${source.relative} matches ${files.length} files (${files.map((f) => f.relative).join(", ")})`,
        {
          hint: "Name one APK.",
        },
      );
    }
    const [file] = files;
    return resolveInWorkspace(workspace, (file as { relative: string }).relative, { setting: "app" });
  }
  const url = new URL(source.url);
  const shown = `${url.origin}${url.pathname}`;
  log.info(`downloading ${shown}`);
  const headers: Record<string, string> = { accept: "application/octet-stream" };
  if (source.token) headers.authorization = `token ${source.token}`;
  const deadline = AbortSignal.any([signal, AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS)]);
  let answer: Response;
  try {
    answer = await fetchImpl(source.url, { headers, signal: deadline, redirect: "follow" });
  } catch (cause) {
    if (signal.aborted) throw cause;
    throw new HangarError(
      "E_APP_DOWNLOAD",
      `app: downloading ${shown} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
    );
  }
  if (!answer.ok || !answer.body) {
    await answer.body?.cancel();
    const hint =
      answer.status === 401 || answer.status === 403 || answer.status === 404
        ? "A private asset needs `app_token` with read access to the repository."
        : undefined;
    throw new HangarError(
      "E_APP_DOWNLOAD",
      `app: ${shown} answered HTTP ${answer.status}`,
      hint ? { hint } : {},
    );
  }
  const length = Number(answer.headers.get("content-length") ?? 0);
  if (length > MAX_APK_BYTES) {
    await answer.body.cancel();
    throw new HangarError("E_APP_DOWNLOAD", `app: ${shown} is ${length} bytes, more than an APK can be`);
  }
  const dir = await mkdtemp(path.join(tmpdir(), "emulator-e2e-app-"));
  const file = path.join(dir, "app.apk");
  let received = 0;
  const body = Readable.fromWeb(answer.body as import("node:stream/web").ReadableStream<Uint8Array>);
  body.on("data", (chunk: Buffer) => {
    received += chunk.length;
    if (received > MAX_APK_BYTES)
      body.destroy(new HangarError("E_APP_DOWNLOAD", `app: ${shown} is larger than an APK can be`));
  });
  try {
    await pipeline(body, createWriteStream(file), { signal: deadline });
  } catch (cause) {
    if (signal.aborted || cause instanceof HangarError) throw cause;
    throw new HangarError(
      "E_APP_DOWNLOAD",
      `app: downloading ${shown} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
    );
  }
  log.info(`downloaded ${shown} (${received} bytes)`);
  return file;
}
