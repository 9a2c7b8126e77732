import path from "node:path";
import { type ConnectionPlan, checkConnection, describeTls, planConnection } from "@hangar/gitea";
import { errorMessage, fileProblem, matchFiles, type SettingProblem, type SettingsCheck } from "@hangar/kit";
import { type Algorithm, checksumFileName } from "./checksums.ts";
import { isPlainName, readNote } from "./inputs.ts";
import { isPrereleaseTag } from "./notes.ts";
import { type Context, DEFAULT_CHECKSUM_FILE, type GiteaReleaseSchema, type Settings } from "./settings.ts";
import { readTitle, titleProblem } from "./title.ts";

export interface PlannedAsset {
  /** The name in the release: the file's base name. */
  name: string;
  /** Workspace-relative path, for the log. */
  relative: string;
  absolute: string;
  size: number;
}

export interface ReleasePlan extends ConnectionPlan {
  tag: string;
  /** Commitish a new tag is created on. */
  target: string;
  title: string;
  note?: string | undefined;
  generateNotes: boolean;
  draft: boolean;
  prerelease: boolean;
  prereleaseReason: string;
  overwrite: boolean;
  fileExists: Settings["file_exists"];
  assets: PlannedAsset[];
  checksums: { algorithm: Algorithm; name: string }[];
  parallel: number;
}

/** C0 and C1 control characters and DEL (Unicode's Cc): a line break, a tab, an escape … */
export function hasControlCharacter(name: string): boolean {
  return /\p{Cc}/u.test(name);
}

/** Everything wrong with the settings, found before any API call. */
export const checkSettings: SettingsCheck<GiteaReleaseSchema> = async (settings, context) => {
  const { problem, build } = context;
  const problems: SettingProblem[] = [];

  // base_url, owner, repo, api_key and ca_cert: the same rules as every plugin on @hangar/gitea.
  problems.push(...(await checkConnection(settings, build, problem)));
  if (settings.tag === undefined && !build.commit.tag) {
    problems.push(
      problem(
        "tag",
        "E_SETTING_REQUIRED",
        `is required: this build is a ${build.build.event || "build"} event, not a tag (set \`tag\`, e.g. "nightly-{{ build.number }}", or run the step on tag events)`,
      ),
    );
  }

  const algorithms = settings.checksum ?? [];
  const template = settings.checksum_file ?? DEFAULT_CHECKSUM_FILE;
  if (!isPlainName(template)) {
    problems.push(
      problem(
        "checksum_file",
        "E_SETTING_INVALID",
        "must be a file name (the asset's name in the release), without `/`, `\\` or `..`",
        template,
      ),
    );
  }
  if (algorithms.length > 1 && !/\{\{\s*algorithm\s*\}\}/.test(template)) {
    problems.push(
      problem(
        "checksum_file",
        "E_SETTING_INVALID",
        `must contain {{ algorithm }} when \`checksum\` lists ${algorithms.length} algorithms, e.g. "{{ algorithm }}sums.txt"`,
        template,
      ),
    );
  }

  if (settings.files?.length) {
    try {
      const { files, unmatched } = await matchFiles(build.workspace, settings.files);
      if (unmatched.length > 0 && !settings.allow_empty) {
        problems.push(
          problem(
            "files",
            "E_FILES_EMPTY",
            `${unmatched.map((pattern) => `"${pattern}"`).join(", ")} matched no file in the workspace (set \`allow_empty: true\` if that is expected)`,
            settings.files.join(", "),
          ),
        );
      }
      const byName = new Map<string, string[]>();
      for (const file of files)
        byName.set(path.basename(file.relative), [
          ...(byName.get(path.basename(file.relative)) ?? []),
          file.relative,
        ]);
      // A name is written as it is into the checksum files (`<sum>  <name>` a line) and the
      // release: a line break in it would forge a line there, another control character hide one.
      const unsafe = [...byName.values()].flat().filter((file) => hasControlCharacter(path.basename(file)));
      if (unsafe.length > 0) {
        problems.push(
          problem(
            "files",
            "E_ASSET_NAME_INVALID",
            `match file names with a control character (a line break, a tab …), which cannot name an asset or a checksum line: ${unsafe.map((file) => JSON.stringify(file)).join(", ")}; rename them or leave them out of \`files\``,
          ),
        );
      }
      for (const [name, paths] of byName) {
        if (paths.length > 1) {
          problems.push(
            problem("files", "E_ASSET_NAME_CLASH", `match several files named ${name}: ${paths.join(", ")}`),
          );
        }
      }
      for (const algorithm of algorithms) {
        const name = checksumFileName(template, algorithm);
        if (byName.has(name)) {
          problems.push(
            problem(
              "checksum_file",
              "E_ASSET_NAME_CLASH",
              `names ${name}, which is also one of the files`,
              template,
            ),
          );
        }
      }
    } catch (error) {
      problems.push(problem("files", "E_SETTING_FILE", errorMessage(error), settings.files.join(", ")));
    }
  }

  if (settings.title !== undefined) {
    try {
      await readTitle(build.workspace, settings.title);
    } catch (error) {
      problems.push(titleProblem(problem, error, settings.title));
    }
  }
  if (settings.note !== undefined) {
    try {
      await readNote(build.workspace, settings.note);
    } catch (error) {
      problems.push(fileProblem(problem, "note", error, settings.note));
    }
  }
  return problems;
};

/** The release to converge to; settings were checked by `checkSettings`. */
export async function planRelease(settings: Settings, context: Context): Promise<ReleasePlan> {
  const { build, log } = context;
  const tag = settings.tag ?? build.commit.tag ?? "";
  const matched = settings.files?.length
    ? await matchFiles(build.workspace, settings.files)
    : { files: [], unmatched: [] };
  for (const pattern of matched.unmatched)
    log.warn(`files pattern "${pattern}" matches no file (allow_empty)`);
  const note = settings.note ? await readNote(build.workspace, settings.note) : undefined;
  const prerelease = settings.prerelease === "auto" ? isPrereleaseTag(tag) : settings.prerelease === "true";

  return {
    ...(await planConnection(settings, build, log)),
    tag,
    target: settings.target ?? (build.commit.sha || build.commit.branch),
    // An empty title file leaves the title to the tag, as no title does.
    title: (settings.title === undefined ? "" : await readTitle(build.workspace, settings.title)) || tag,
    note,
    generateNotes: settings.generate_notes,
    draft: settings.draft,
    prerelease,
    prereleaseReason:
      settings.prerelease === "auto"
        ? `auto: ${prerelease ? "the tag names a pre-release" : "a release tag"}`
        : "set",
    overwrite: settings.overwrite,
    fileExists: settings.file_exists,
    assets: matched.files.map((file) => ({
      name: path.basename(file.relative),
      relative: file.relative,
      absolute: file.absolute,
      size: file.size,
    })),
    checksums: settings.checksum.map((algorithm) => ({
      algorithm,
      name: checksumFileName(settings.checksum_file, algorithm),
    })),
    parallel: settings.parallel,
  };
}

export function describePlan(plan: ReleasePlan): string {
  const flags = [
    plan.draft ? "stays a draft" : "published after the last asset",
    plan.prerelease ? `pre-release (${plan.prereleaseReason})` : "release",
  ];
  const lines = [
    `release ${plan.tag} in ${plan.owner}/${plan.repo} on ${plan.baseUrl}`,
    `title:    ${plan.title}`,
    `state:    ${flags.join(", ")}`,
    `tag:      created on ${plan.target || "the default branch"} if it does not exist`,
    `existing: ${plan.overwrite ? "title and notes updated" : "title and notes kept"}; assets of the same name: ${plan.fileExists}`,
    `notes:    ${[plan.note ? "from `note`" : "", plan.generateNotes ? "generated from the commits since the previous tag" : ""].filter(Boolean).join(" + ") || "none"}`,
  ];
  for (const asset of plan.assets)
    lines.push(`asset:    ${asset.name} (${asset.relative}, ${asset.size} bytes)`);
  for (const checksum of plan.checksums)
    lines.push(`asset:    ${checksum.name} (${checksum.algorithm} of the files above)`);
  if (plan.assets.length === 0) lines.push("assets:   none");
  lines.push(...describeTls(plan.tls, "tls:      "));
  return lines.join("\n");
}
