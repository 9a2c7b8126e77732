import { formatBytes } from "@hangar/kit";
import type { SiteIndex, VersionEntry } from "./manifest.ts";

/**
 * The download page, made from `index.json` alone: plain HTML and a little CSS, readable
 * without script. Links are relative to the page, so it works wherever the bucket is served.
 * Everything that comes from the build (notes, names, versions) is escaped.
 */

const html = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

const href = (...parts: string[]): string => parts.map(encodeURIComponent).join("/");

function versionSection(channel: string, entry: VersionEntry, latest: boolean): string {
  const rows = entry.files
    .map(
      (file) =>
        `<tr><td><a href="${html(href(channel, entry.version, file.name))}">${html(file.name)}</a></td><td>${html(formatBytes(file.size))}</td><td><code>${html(file.sha256)}</code></td></tr>`,
    )
    .join("\n");
  const notes = entry.notes
    ? `<details><summary>Notes</summary><pre>${html(entry.notes)}</pre></details>`
    : "";
  return `<section id="${html(`${channel}-${entry.version}`)}">
<h3>${html(entry.version)}${latest ? " <small>(latest)</small>" : ""}</h3>
<p class="meta">${html(entry.date.slice(0, 10))}${entry.commit ? ` · commit <code>${html(entry.commit.slice(0, 12))}</code>` : ""} · <a href="${html(href(channel, entry.version, "SHA256SUMS"))}">SHA256SUMS</a></p>
<table><thead><tr><th>File</th><th>Size</th><th>SHA-256</th></tr></thead>
<tbody>
${rows}
</tbody></table>
${notes}
</section>`;
}

export function renderPage(index: SiteIndex): string {
  const channels = Object.entries(index.channels);
  const nav = channels
    .map(([name, channel]) => `<a href="#${html(name)}">${html(name)} (${channel.versions.length})</a>`)
    .join(" · ");
  const body = channels
    .map(([name, channel]) => {
      const versions = channel.versions.length
        ? channel.versions
            .map((entry) => versionSection(name, entry, entry.version === channel.latest))
            .join("\n")
        : "<p>No version yet.</p>";
      const latestLink = channel.latest
        ? ` <a class="meta" href="${html(href(name, "latest.json"))}">latest.json</a>`
        : "";
      return `<h2 id="${html(name)}">${html(name)}${latestLink}</h2>\n${versions}`;
    })
    .join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${html(index.title)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #ddd}
code{font-size:.8rem;word-break:break-all}.meta{color:#666;font-size:.9rem}pre{white-space:pre-wrap}
</style>
</head>
<body>
<h1>${html(index.title)}</h1>
<p class="meta">${nav}${index.updated ? ` · updated ${html(index.updated)}` : ""} · <a href="index.json">index.json</a></p>
${body}
</body>
</html>
`;
}
