/**
 * The hidden marker that ties an issue to its `key`: an HTML comment on the last line of the
 * body, which Gitea does not show. The issue is found by it, not by its title, so renaming the
 * issue (or changing `title`) does not make the next failure open a second one. The key is
 * percent-encoded, so no key can end the comment early or look like another key's marker.
 *
 * Only the last line counts, where `withMarker` puts it: the body above it quotes the build
 * (commit message, branch, author), which the repository's authors control, so a marker written
 * there must not tie the issue to another key.
 */
export function markerFor(key: string): string {
  return `<!-- hangar:gitea-issue key=${encodeURIComponent(key)} -->`;
}

export function hasMarker(body: string | undefined, key: string): boolean {
  const lines = (body ?? "").trimEnd().split(/\r?\n/);
  return lines.at(-1)?.trim() === markerFor(key);
}

export function withMarker(body: string, key: string): string {
  return `${body.trimEnd()}\n\n${markerFor(key)}\n`;
}
