/**
 * Release notes from the commits since the previous tag. Messages that follow Conventional
 * Commits (`feat(api): …`, `fix!: …`) are grouped by type; the rest are listed as they are.
 */

export interface CommitSummary {
  sha: string;
  message: string;
}

const GROUPS: [type: string, title: string][] = [
  ["feat", "Features"],
  ["fix", "Bug fixes"],
  ["perf", "Performance"],
  ["refactor", "Refactoring"],
  ["docs", "Documentation"],
  ["build", "Build"],
  ["ci", "CI"],
  ["test", "Tests"],
  ["chore", "Chores"],
  ["style", "Style"],
  ["revert", "Reverts"],
];

const CONVENTIONAL = /^(?<type>[a-z]+)(?:\((?<scope>[^)]+)\))?(?<breaking>!)?: (?<subject>.+)$/;

export function generateNotes(
  commits: readonly CommitSummary[],
  range: { from?: string; to: string },
): string {
  const grouped = new Map<string, string[]>();
  const breaking: string[] = [];
  const other: string[] = [];
  let conventional = 0;
  for (const commit of commits) {
    const [firstLine = "", ...rest] = commit.message.trim().split("\n");
    if (/^Merge (branch|pull request|remote-tracking)/.test(firstLine)) continue;
    const short = commit.sha.slice(0, 8);
    const match = CONVENTIONAL.exec(firstLine);
    if (!match?.groups) {
      other.push(`- ${firstLine} (${short})`);
      continue;
    }
    conventional++;
    const { type = "", scope, subject = "" } = match.groups;
    const line = `- ${scope ? `**${scope}:** ` : ""}${subject} (${short})`;
    if (match.groups.breaking || rest.some((body) => /^BREAKING[ -]CHANGE:/.test(body))) breaking.push(line);
    const known = GROUPS.some(([name]) => name === type);
    if (!known) {
      other.push(line);
      continue;
    }
    grouped.set(type, [...(grouped.get(type) ?? []), line]);
  }

  const sections: string[] = [];
  const heading = range.from ? `Changes since ${range.from}` : `Changes in ${range.to}`;
  if (commits.length === 0) return `## ${heading}\n\nNo changes.`;
  if (conventional === 0) return [`## ${heading}`, "", ...other].join("\n");
  if (breaking.length > 0) sections.push(["### ⚠ Breaking changes", "", ...breaking].join("\n"));
  for (const [type, title] of GROUPS) {
    const lines = grouped.get(type);
    if (lines) sections.push([`### ${title}`, "", ...lines].join("\n"));
  }
  if (other.length > 0) sections.push(["### Other changes", "", ...other].join("\n"));
  return [`## ${heading}`, ...sections].join("\n\n");
}

/** `auto`: a semver pre-release part (`1.2.0-rc.1`) or a tag that names alpha, beta, rc or pre. */
export function isPrereleaseTag(tag: string): boolean {
  if (/^v?\d+\.\d+\.\d+-[0-9A-Za-z.-]+(\+[0-9A-Za-z.-]+)?$/.test(tag)) return true;
  return /(^|[^a-z])(alpha|beta|rc|pre|preview|nightly|dev)([^a-z]|$)/i.test(tag);
}
