/**
 * The built-in status mail. Tables and inline styles because mail clients ignore most CSS;
 * a `prefers-color-scheme` block and `color-scheme` meta for clients that honour dark mode;
 * one narrow column that reads on a phone without zooming.
 */

export const DEFAULT_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="supported-color-schemes" content="light dark">
<title>{{ repo.owner }}/{{ repo.name }} #{{ build.number }}</title>
<style>
  body { margin: 0; padding: 0; background: #f6f8fa; }
  .card { background: #ffffff; color: #1f2328; }
  .muted { color: #59636e; }
  .code { background: #eff2f5; }
  @media (prefers-color-scheme: dark) {
    body, .page { background: #0d1117 !important; }
    .card { background: #161b22 !important; color: #e6edf3 !important; }
    .muted { color: #9198a1 !important; }
    .code { background: #21262d !important; }
  }
  @media (max-width: 480px) { .card { padding: 16px !important; } }
</style>
</head>
<body>
<table role="presentation" class="page" width="100%" cellpadding="0" cellspacing="0" style="background:#f6f8fa;padding:16px 8px;font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;font-size:15px;line-height:1.5;">
<tr><td align="center">
<table role="presentation" class="card" width="100%" cellpadding="0" cellspacing="0" style="max-width:600px;background:#ffffff;color:#1f2328;border-radius:8px;padding:24px;">
<tr><td style="border-left:6px solid {{#success build.status}}#1a7f37{{else}}{{#failure build.status}}#cf222e{{else}}#9a6700{{/failure}}{{/success}};padding-left:12px;">
  <div style="font-size:20px;font-weight:600;">{{#success build.status}}✔ Build passed{{else}}{{#failure build.status}}✖ Build failed{{else}}Build {{ build.status }}{{/failure}}{{/success}}</div>
  <div class="muted" style="color:#59636e;">{{ repo.owner }}/{{ repo.name }} · #{{ build.number }} · {{ build.event }}</div>
</td></tr>
<tr><td style="padding-top:16px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="font-size:15px;">
  <tr><td class="muted" style="color:#59636e;padding:4px 12px 4px 0;vertical-align:top;width:90px;">Branch</td><td style="padding:4px 0;">{{#if build.tag}}{{ build.tag }} (tag){{else}}{{ commit.branch }}{{/if}}</td></tr>
  <tr><td class="muted" style="color:#59636e;padding:4px 12px 4px 0;vertical-align:top;">Commit</td><td style="padding:4px 0;">{{#if commit.link}}<a href="{{ commit.link }}" style="color:#0969da;">{{ truncate commit.sha 8 }}</a>{{else}}{{ truncate commit.sha 8 }}{{/if}}</td></tr>
  <tr><td class="muted" style="color:#59636e;padding:4px 12px 4px 0;vertical-align:top;">Author</td><td style="padding:4px 0;">{{ commit.author.name }}{{#if commit.author.email}} &lt;{{ commit.author.email }}&gt;{{/if}}</td></tr>
  {{#if build.failedSteps.length}}<tr><td class="muted" style="color:#59636e;padding:4px 12px 4px 0;vertical-align:top;">Failed</td><td style="padding:4px 0;color:#cf222e;font-weight:600;">{{#each build.failedSteps}}{{this}}{{#unless @last}}, {{/unless}}{{/each}}</td></tr>{{/if}}
  {{#if build.finished}}<tr><td class="muted" style="color:#59636e;padding:4px 12px 4px 0;vertical-align:top;">Took</td><td style="padding:4px 0;">{{ elapsed build.started build.finished }}</td></tr>{{/if}}
</table>
</td></tr>
{{#if commit.message}}<tr><td style="padding-top:12px;"><div class="code" style="background:#eff2f5;border-radius:6px;padding:12px;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px;white-space:pre-wrap;word-break:break-word;">{{ commit.message }}</div></td></tr>{{/if}}
{{#if build.link}}<tr><td style="padding-top:20px;"><a href="{{ build.link }}" style="display:inline-block;background:#0969da;color:#ffffff;text-decoration:none;font-weight:600;padding:10px 18px;border-radius:6px;">Open build #{{ build.number }}</a></td></tr>{{/if}}
</table>
</td></tr>
</table>
</body>
</html>
`;

export const DEFAULT_TEXT = `{{#success build.status}}Build passed{{else}}{{#failure build.status}}Build FAILED{{else}}Build {{ build.status }}{{/failure}}{{/success}}: {{ repo.owner }}/{{ repo.name }} #{{ build.number }} ({{ build.event }})

Branch:  {{#if build.tag}}{{ build.tag }} (tag){{else}}{{ commit.branch }}{{/if}}
Commit:  {{ truncate commit.sha 8 }}{{#if commit.link}} {{ commit.link }}{{/if}}
Author:  {{ commit.author.name }}{{#if commit.author.email}} <{{ commit.author.email }}>{{/if}}
{{#if build.failedSteps.length}}Failed:  {{#each build.failedSteps}}{{this}}{{#unless @last}}, {{/unless}}{{/each}}
{{/if}}{{#if build.finished}}Took:    {{ elapsed build.started build.finished }}
{{/if}}

{{ commit.message }}
{{#if build.link}}
Build: {{ build.link }}
{{/if}}`;
