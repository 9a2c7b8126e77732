/**
 * Drone passes `settings.from.address` as `PLUGIN_FROM.ADDRESS` (upper-cased, nothing else
 * replaced); Woodpecker as `PLUGIN_FROM_ADDRESS` (also `.` and `-` → `_`). Both meet here.
 */
export function normaliseName(name: string): string {
  return name.toUpperCase().replace(/[.-]/g, "_");
}

export const PLUGIN_PREFIX = "PLUGIN_";

export function envNameOf(setting: string): string {
  return `${PLUGIN_PREFIX}${setting.toUpperCase()}`;
}

/** The known name closest to `name`, when it is close enough to be a plausible typo. */
export function closestName(name: string, known: readonly string[]): string | undefined {
  const target = name.toLowerCase().replace(/[.-]/g, "_");
  let best: { name: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(target, candidate.toLowerCase().replace(/[.-]/g, "_"));
    if (!best || distance < best.distance) best = { name: candidate, distance };
  }
  if (!best) return undefined;
  return best.distance <= Math.max(2, Math.floor(target.length / 3)) ? best.name : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
