import { type BuildContext, contextVars, renderTemplate } from "@hangar/kit";

/**
 * What a failure or a fix says in the issue: the default texts, and the variables a custom
 * `body` may use on top of the kit's build variables.
 */

export function reportVars(build: BuildContext, now: Date): Record<string, string | number | undefined> {
  const vars: Record<string, string | number | undefined> = {
    ...contextVars(build),
    failed_steps: failedSteps(build),
    "build.failed_steps": failedSteps(build),
    "commit.author.username": build.commit.author.username,
    time: isoMinute(now),
  };
  // Every value the repository's authors choose (commit message, branch, author, tag …) reaches
  // the issue as text, never as HTML: no comment, no tag. Numbers and the CI's links stay as they are.
  return Object.fromEntries(
    Object.entries(vars).map(([name, value]) => [name, typeof value === "string" ? noHtml(value) : value]),
  );
}

/** `<` and `>` as entities: Markdown shows them, and they open no HTML comment or tag. */
export function noHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * Text from the build as an inline code span, shown as it is: no HTML, link, image, @mention or
 * #reference in it takes effect. The fence is longer than any run of backticks in the text, so
 * the text cannot close it.
 */
export function codeSpan(text: string): string {
  if (text === "") return "";
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((run) => run[0].length));
  const fence = "`".repeat(longest + 1);
  // CommonMark strips one space on each side; a padded span shows a text that starts or ends
  // with a backtick or a space unchanged.
  const pad = /^[` ]|[` ]$/.test(text) ? " " : "";
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** Drone names the failed steps (and stages); Woodpecker does not, so the log has to tell. */
function failedSteps(build: BuildContext): string {
  const named = [...build.build.failedSteps, ...build.build.failedStages.map((stage) => `${stage} (stage)`)];
  return named.length > 0 ? named.join(", ") : "not named by the CI (see the build's log)";
}

const isoMinute = (date: Date) => `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;

export function renderBody(template: string, build: BuildContext, now: Date): string {
  return renderTemplate(template, reportVars(build, now));
}

/** `#12` linked to the build when the CI gave its address. */
export function buildRef(build: BuildContext): string {
  const number = build.build.number === undefined ? "" : `#${build.build.number}`;
  const text = number || "this build";
  return build.build.link ? `[${text}](${build.build.link})` : text;
}

export function commitRef(build: BuildContext): string {
  const short = build.commit.shortSha || build.commit.sha.slice(0, 8);
  if (!short) return "an unknown commit";
  return build.commit.link ? `[\`${short}\`](${build.commit.link})` : `\`${short}\``;
}

function author(build: BuildContext): string {
  const { name, email, username } = build.commit.author;
  const who = name || username || "";
  if (!who) return "unknown";
  return codeSpan(oneLine(email ? `${who} <${email}>` : who));
}

const oneLine = (text: string) => text.replace(/\s*[\r\n]+\s*/g, " ");

const firstLine = (text: string) => text.split("\n")[0]?.trim() ?? "";

/** Markdown-safe table cell: a pipe or a line break would end it. */
const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");

/** The default body of a new issue and of the comment a later failure adds. */
export function defaultReport(build: BuildContext, now: Date, intro: string): string {
  const message = firstLine(build.commit.message);
  const rows: [string, string][] = [
    ["Failed steps", failedSteps(build)],
    ["Build", `${buildRef(build)}${build.build.event ? ` (${build.build.event})` : ""}`],
    ["Branch", build.commit.branch ? codeSpan(oneLine(build.commit.branch)) : "—"],
    ["Commit", `${commitRef(build)}${message ? ` ${codeSpan(message)}` : ""}`],
    ["Author", author(build)],
    ["Time", isoMinute(now)],
  ];
  return [
    intro,
    "",
    "| | |",
    "|---|---|",
    ...rows.map(([name, value]) => `| ${name} | ${cell(value)} |`),
    "",
  ].join("\n");
}

export function failureIntro(build: BuildContext): string {
  return `The build ${buildRef(build)} failed on ${codeSpan(oneLine(build.commit.branch || build.commit.ref || "?"))}.`;
}

export function againIntro(build: BuildContext): string {
  return `Failed again in build ${buildRef(build)}.`;
}

export function fixedText(build: BuildContext): string {
  return `Fixed by build ${buildRef(build)} (commit ${commitRef(build)}).`;
}
