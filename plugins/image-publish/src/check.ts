/** Everything wrong with the settings, found before any registry (or Gitea) is asked. */
import { statSync } from "node:fs";
import { caCertProblem, errorMessage, type SettingProblem, workspacePath } from "@hangar/kit";
import { parseImageName } from "@hangar/oci";
import { readContextFiles } from "./context-files.ts";
import { nativeFiles, nativeProblem } from "./native.ts";
import type { Context, Settings } from "./settings.ts";
import { invalidTags, requestTags } from "./tags.ts";

const PLATFORM = /^[a-z0-9]+\/[a-z0-9]+(\/[a-z0-9]+)?$/;

/** `repo` without a tag or digest: the tags come from the build or `tags`. */
function repoProblem(repo: string): string | undefined {
  if (repo.includes("@")) return "names a digest: give the image without a tag (`host/owner/name`)";
  const last = repo.slice(repo.lastIndexOf("/") + 1);
  if (last.includes(":")) return "names a tag: give the image without a tag and list tags in `tags`";
  if (
    !/^[a-z0-9]+(?:[._-]+[a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*$/.test(
      parseImageName(repo).repository,
    )
  )
    return "is not a valid image name (lower case letters, digits, `.`, `_`, `-`, separated by `/`)";
  return undefined;
}

/** `ca_cert` is PEM text or a workspace file holding it (a link out of the workspace is refused). */

type Pair = [keyof Settings & string, keyof Settings & string, string];

/** Settings that go together: a login is a user name and a password (or token). */
const PAIRS: Pair[] = [
  ["username", "password", "the registry login is a user name and a password (or token)"],
  ["base_username", "base_password", "the base's login is a user name and a password (or token)"],
  ["gitea_url", "gitea_token", "Gitea is asked with a token that may read the repository"],
];

function contextProblems(settings: Partial<Settings>, { build, problem }: Context): SettingProblem[] {
  const problems: SettingProblem[] = [];
  const workdir = settings.workdir ?? "/app";
  if (!workdir.startsWith("/") || workdir.split("/").includes("..") || workdir === "/") {
    problems.push(
      problem(
        "workdir",
        "E_SETTING_INVALID",
        "must be an absolute folder below / without `..`, e.g. /app",
        workdir,
      ),
    );
  }
  try {
    const dir = workspacePath(build.workspace, settings.context ?? ".");
    if (!statSync(dir).isDirectory()) throw new Error(`${settings.context} is not a folder`);
    const files = readContextFiles(dir);
    const why = settings.allow_native ? undefined : nativeProblem(nativeFiles(files), settings.platforms);
    if (why) problems.push(problem("context", "E_NATIVE_CODE", why, settings.context ?? "."));
  } catch (error) {
    problems.push(problem("context", "E_SETTING_FILE", errorMessage(error), settings.context ?? "."));
  }
  return problems;
}

/** Merged sources must be images of `repo`'s registry: their blobs are mounted there. */
function sourcesProblems(settings: Partial<Settings>, { problem }: Context): SettingProblem[] {
  const sources = settings.sources ?? [];
  if (sources.length === 0)
    return [problem("sources", "E_SETTING_INVALID", "is empty: name the images to merge")];
  const host = settings.repo === undefined ? undefined : parseImageName(settings.repo).host;
  const elsewhere = sources.filter((source) => host !== undefined && parseImageName(source).host !== host);
  if (elsewhere.length === 0) return [];
  return [
    problem(
      "sources",
      "E_SETTING_INVALID",
      `${elsewhere.join(", ")} ${elsewhere.length === 1 ? "is" : "are"} not in ${host}, \`repo\`'s registry: sources are merged by mounting their blobs, which works within one registry; push them there first`,
    ),
  ];
}

export async function checkSettings(
  settings: Partial<Settings>,
  context: Context,
): Promise<SettingProblem[]> {
  const { problem, build } = context;
  const problems: SettingProblem[] = [];
  if (settings.repo !== undefined) {
    const why = repoProblem(settings.repo);
    if (why) problems.push(problem("repo", "E_SETTING_INVALID", why, settings.repo));
  }
  if (settings.base !== undefined && settings.sources !== undefined)
    problems.push(
      problem(
        "sources",
        "E_SETTING_INVALID",
        "and `base` exclude each other: build on a base, or merge images",
      ),
    );
  else if (settings.sources !== undefined) problems.push(...sourcesProblems(settings, context));
  else if (!settings.base?.trim())
    problems.push(
      problem(
        "base",
        "E_SETTING_REQUIRED",
        "is required: name the image to build on (or `sources` to merge)",
      ),
    );
  for (const [a, b, why] of PAIRS) {
    if (Boolean(settings[a]) !== Boolean(settings[b]))
      problems.push(
        problem(
          settings[a] ? b : a,
          "E_SETTING_REQUIRED",
          `is needed with \`${settings[a] ? a : b}\`: ${why}`,
        ),
      );
  }
  if (settings.user !== undefined && !/^[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)?$/.test(settings.user))
    problems.push(problem("user", "E_SETTING_INVALID", "must be `user`, `uid` or `uid:gid`", settings.user));
  const badPlatforms = (settings.platforms ?? []).filter((p) => !PLATFORM.test(p));
  if (badPlatforms.length > 0 || settings.platforms?.length === 0) {
    problems.push(
      problem(
        "platforms",
        "E_SETTING_INVALID",
        `must name platforms as os/architecture[/variant], e.g. linux/amd64, linux/arm64${badPlatforms.length ? `; not: ${badPlatforms.join(", ")}` : ""}`,
      ),
    );
  }
  const bad = invalidTags(requestTags(settings.tags, build));
  if (bad.length > 0) {
    problems.push(
      problem(
        "tags",
        "E_SETTING_INVALID",
        `${bad.map((t) => `"${t}"`).join(", ")} cannot be image tags (letters, digits, _ . -, at most 128, not starting with . or -)`,
      ),
    );
  }
  if (settings.ca_cert !== undefined) {
    const caProblem = await caCertProblem(problem, build.workspace, settings.ca_cert);
    if (caProblem) problems.push(caProblem);
  }
  if (settings.sources === undefined) problems.push(...contextProblems(settings, context));
  return problems;
}
