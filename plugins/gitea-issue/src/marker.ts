/**
 * The hidden marker that ties an issue to its `key`: an HTML comment at the end of the body,
 * which Gitea does not show. The issue is found by it, not by its title, so renaming the issue
 * (or changing `title`) does not make the next failure open a second one. The key is
 * percent-encoded, so no key can end the comment early or look like another key's marker.
 */
export function markerFor(key: string): string {
  return `<!-- hangar:gitea-issue key=${encodeURIComponent(key)} -->`;
}

export function hasMarker(body: string | undefined, key: string): boolean {
  return (body ?? "").includes(markerFor(key));
}

export function withMarker(body: string, key: string): string {
  return `${body.trimEnd()}\n\n${markerFor(key)}\n`;
}
