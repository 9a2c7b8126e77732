/**
 * Bundles each plugin into one ESM file for its image:
 *   plugins/<name>/src/index.ts -> plugins/<name>/dist/index.mjs + index.mjs.map
 *
 *   node scripts/build.ts [plugin...] [--analyze]
 *
 * Without names it bundles every plugin that has a src/index.ts. The bundle inlines the workspace
 * packages and all dependencies, so the image needs nothing but Node. `.mjs` makes it ESM without a
 * package.json next to it. Bundled CommonJS dependencies get a real `require` (createRequire) for
 * Node built-ins, and `__dirname`/`__filename` point at the bundle's folder.
 *
 * Minified for size (syntax + whitespace) but with names kept and lines capped at LINE_LIMIT
 * characters, so a crash never dumps a 300 kB line into the build log. Source maps are linked
 * (`//# sourceMappingURL=index.mjs.map`) and read by the kit when it prints an unexpected error; their
 * source paths are rewritten relative to the repository root, so a stack frame reads
 * `/opt/hangar/plugins/<name>/src/send.ts:12:5`. The map keeps the source text of our own code
 * (plugins/, shared/: Node shows the original line of an uncaught error) but not of node_modules
 * (keeps the plugin's layer small; positions are all a stack trace needs).
 *
 * A plugin may list imports to leave out of the bundle in its package.json
 * (`"hangar": { "external": ["cpu-features"] }`), e.g. optional native add-ons.
 */

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { builtinModules, createRequire } from "node:module";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { analyzeMetafile, type BuildOptions, build, type Metafile, type Plugin } from "esbuild";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

const LINE_LIMIT = 400;

/**
 * Bundled ES modules import Node's own modules at the top of the output, so all of them load
 * before anything runs (node:http alone pulls in undici), even those only reached through a
 * dynamic `import()` that a dry run never takes. Served as CommonJS shims instead, each one is
 * loaded when first used: the shim of a module whose export is an object (fs, crypto, tls, http …)
 * has one getter (and setter) per export that loads the real module on first access, so importing
 * `createHash` costs nothing until a hash is made. A module whose export is itself a function or
 * class (events, stream, assert …) is required when the first module importing it runs, since code
 * extends or calls it at once. An object shim has no own keys (Object.keys of it is empty). The export names are those of the Node that bundles (the image's
 * Node has the same major version).
 */
export function builtinShim(name: string): string {
  const real = `require(${JSON.stringify(`node:${name}`)})`;
  let exported: unknown;
  try {
    exported = createRequire(import.meta.url)(`node:${name}`);
  } catch {
    return `module.exports = ${real};`; // not loadable here (e.g. behind a flag): as before
  }
  if (typeof exported !== "object" || exported === null) return `module.exports = ${real};`;
  const keys = Object.getOwnPropertyNames(exported).filter((k) => k !== "__esModule");
  const accessors = keys.map((k) => {
    const key = JSON.stringify(k);
    return `${key}: { get() { return load()[${key}]; }, set(v) { load()[${key}] = v; }, enumerable: true }`;
  });
  // The accessors sit on the shim's prototype, not on the shim: the ESM interop helper every
  // importing module runs (__toESM) copies a module's own properties, one getter each, and
  // finds none to copy; a lookup still reaches them through the prototype.
  return [
    "let real;",
    `const load = () => (real ??= ${real});`,
    `module.exports = Object.create(Object.defineProperties({}, {\n${accessors.join(",\n")}\n}));`,
  ].join("\n");
}

const builtinsOnFirstUse: Plugin = {
  name: "builtins-on-first-use",
  setup(build) {
    build.onResolve({ filter: /^(node:)?[a-z_/]+$/ }, (args) => {
      const name = args.path.replace(/^node:/, "");
      if (args.namespace === "builtin-shim" || !builtinModules.includes(name)) return undefined;
      // `await import("node:http")` loads on first use already; through a shim in a split bundle
      // it would become a chunk whose namespace holds only `default`, and `{ request }` undefined.
      if (args.kind === "dynamic-import") return { path: `node:${name}`, external: true };
      return { path: name, namespace: "builtin-shim" };
    });
    build.onLoad({ filter: /.*/, namespace: "builtin-shim" }, (args) => ({
      contents: builtinShim(args.path),
      loader: "js",
    }));
  },
};

/**
 * A compiled add-on (`*.node`) cannot be inlined into a bundle. Its require stays as it is, so a
 * dependency that loads one optionally (ssh2's cpu-features, in every plugin through the kit) falls
 * back as it does when the add-on was never built; a plugin whose add-on is required must ship it.
 */
const nativeAddonsExternal: Plugin = {
  name: "native-addons-external",
  setup(build) {
    build.onResolve({ filter: /\.node$/ }, (args) => ({ path: args.path, external: true }));
  },
};

/**
 * A module named `*.at-build.ts` runs when the bundle is made, and the bundle holds what it exported
 * instead of its code: work done once for every run (notify-email's built-in templates compiled by
 * Handlebars, so the image loads neither the compiler nor its parser). Tests and `node` on the
 * sources import it as it is. Its exports must be data (JSON values, `undefined`) and functions
 * that use nothing but their parameters and globals, since a function is copied as its source text.
 */
const evaluateAtBuild: Plugin = {
  name: "evaluate-at-build",
  setup(build) {
    build.onLoad({ filter: /\.at-build\.ts$/ }, async (args) => {
      // A fresh instance each build, so a changed template is not served from the module cache.
      const exported = (await import(`${pathToFileURL(args.path).href}?built=${Date.now()}`)) as Record<
        string,
        unknown
      >;
      const lines = Object.entries(exported).map(([name, value]) => {
        const source = valueSource(value, `${relative(ROOT, args.path)}: export ${name}`);
        return name === "default" ? `export default ${source};` : `export const ${name} = ${source};`;
      });
      return { contents: lines.join("\n"), loader: "js" };
    });
  },
};

/** JavaScript source that evaluates to a copy of `value`; `where` names it in an error. */
export function valueSource(value: unknown, where: string): string {
  if (value === undefined) return "undefined";
  if (value === null || typeof value === "string" || typeof value === "boolean") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`${where}: ${value} cannot be written into a bundle`);
    return JSON.stringify(value);
  }
  if (typeof value === "function") {
    const text = value.toString();
    if (/^\s*(class\b|[\w$]+\s*\()/.test(text) && !/^\s*(async\s+)?function\b/.test(text))
      throw new Error(`${where}: a class or method cannot be written into a bundle; export a function`);
    if (text.includes("[native code]")) throw new Error(`${where}: a built-in function cannot be copied`);
    return `(${text})`;
  }
  if (Array.isArray(value))
    return `[${value.map((each, i) => valueSource(each, `${where}[${i}]`)).join(",")}]`;
  if (typeof value === "object") {
    const prototype = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null)
      throw new Error(
        `${where}: a ${prototype?.constructor?.name ?? "class"} instance cannot be written into a bundle`,
      );
    const entries = Object.entries(value as Record<string, unknown>).map(
      ([key, each]) => `${JSON.stringify(key)}:${valueSource(each, `${where}.${key}`)}`,
    );
    return `{${entries.join(",")}}`;
  }
  throw new Error(`${where}: a ${typeof value} cannot be written into a bundle`);
}

const BANNER = [
  'import { createRequire as __hangarCreateRequire } from "node:module";',
  "const require = __hangarCreateRequire(import.meta.url);",
  "const __hangarFilename = import.meta.filename, __hangarDirname = import.meta.dirname;",
].join("\n");

export interface BundleResult {
  plugin: string;
  outfile: string;
  bytes: number;
  mapBytes: number;
  millis: number;
  metafile: Metafile;
}

/** Plugin folder names that have a src/index.ts, sorted. */
export function bundleablePlugins(root = ROOT): string[] {
  const dir = join(root, "plugins");
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, "src", "index.ts")))
    .map((d) => d.name)
    .sort();
}

function pluginExternals(pluginDir: string): string[] {
  const pkgPath = join(pluginDir, "package.json");
  if (!existsSync(pkgPath)) return [];
  const pkg = JSON.parse(readFileSync(pkgPath, "utf8")) as { hangar?: { external?: unknown } };
  const external = pkg.hangar?.external;
  if (external === undefined) return [];
  if (!Array.isArray(external) || !external.every((e) => typeof e === "string")) {
    throw new Error(`${pkgPath}: "hangar.external" must be an array of strings`);
  }
  return external;
}

/**
 * Source paths relative to the repository root (Node resolves them next to the map: /opt/hangar/...);
 * source text kept for our own code only.
 */
function rewriteSourceMap(mapText: string, distDir: string, root: string): string {
  const map = JSON.parse(mapText) as {
    sources: string[];
    sourcesContent?: (string | null)[];
    sourceRoot?: string;
  };
  map.sources = map.sources.map((source) => relative(root, resolve(distDir, source)).split(sep).join("/"));
  map.sourcesContent = map.sources.map((source, i) =>
    source.includes("node_modules/") ? null : (map.sourcesContent?.[i] ?? null),
  );
  map.sourceRoot = "";
  return JSON.stringify(map);
}

/** `distDir`: where the bundle goes instead of plugins/<name>/dist (a test's own folder). */
export async function bundlePlugin(
  plugin: string,
  root = ROOT,
  target: { distDir?: string } = {},
): Promise<BundleResult> {
  const pluginDir = join(root, "plugins", plugin);
  const entry = join(pluginDir, "src", "index.ts");
  if (!existsSync(entry)) throw new Error(`plugins/${plugin}/src/index.ts does not exist`);
  const distDir = target.distDir ?? join(pluginDir, "dist");
  const outfile = join(distDir, "index.mjs");

  const options = {
    absWorkingDir: root,
    entryPoints: { index: entry },
    outdir: distDir,
    outExtension: { ".js": ".mjs" },
    splitting: true,
    chunkNames: "[name]-[hash]",
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node24",
    minifySyntax: true,
    minifyWhitespace: true,
    keepNames: true,
    lineLimit: LINE_LIMIT,
    charset: "utf8",
    legalComments: "none",
    sourcemap: "linked",
    sourcesContent: true,
    banner: { js: BANNER },
    define: { __filename: "__hangarFilename", __dirname: "__hangarDirname" },
    external: pluginExternals(pluginDir),
    metafile: true,
    plugins: [evaluateAtBuild, builtinsOnFirstUse, nativeAddonsExternal],
    write: false,
    logLevel: "silent",
  } as const satisfies BuildOptions;

  const started = performance.now();
  const result = await build(options).catch((error: unknown) => {
    const messages = (error as { errors?: { text: string; location?: { file: string; line: number } }[] })
      .errors;
    const detail = messages?.length
      ? messages.map((m) => `  ${m.location ? `${m.location.file}:${m.location.line}: ` : ""}${m.text}`)
      : [`  ${String(error)}`];
    throw new Error(`bundling ${plugin} failed:\n${detail.join("\n")}`);
  });
  for (const w of result.warnings) {
    const where = w.location ? `${w.location.file}:${w.location.line}: ` : "";
    console.warn(`warning: ${plugin}: ${where}${w.text}`);
  }

  rmSync(distDir, { recursive: true, force: true });
  mkdirSync(distDir, { recursive: true });
  let bytes = 0;
  let mapBytes = 0;
  const reachable = reachableOutputs(result.metafile, relative(root, outfile));
  for (const file of result.outputFiles) {
    if (
      !reachable.has(
        relative(root, file.path)
          .replace(/\.map$/, "")
          .split(sep)
          .join("/"),
      )
    )
      continue;
    if (file.path.endsWith(".map")) {
      const text = rewriteSourceMap(file.text, distDir, root);
      writeFileSync(file.path, text);
      mapBytes += Buffer.byteLength(text);
    } else {
      writeFileSync(file.path, file.contents);
      bytes += file.contents.byteLength;
    }
  }
  return { plugin, outfile, bytes, mapBytes, millis: performance.now() - started, metafile: result.metafile };
}

/**
 * The output files the entry can load, following static and dynamic imports between them.
 * esbuild writes a chunk for every `import()` in a file the bundle touches, even one in a function
 * tree-shaking dropped (the kit's SSH connection in a plugin that never connects): such a chunk is
 * never loaded, so it stays out of the image.
 */
function reachableOutputs(metafile: Metafile, entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    for (const i of metafile.outputs[path]?.imports ?? []) if (!i.external) visit(i.path);
  };
  visit(entry.split(sep).join("/"));
  return seen;
}

/** Bundles the named plugins (all bundleable ones when empty); rejects after trying every one. */
export async function bundlePlugins(names: string[] = [], root = ROOT): Promise<BundleResult[]> {
  const plugins = names.length > 0 ? names : bundleablePlugins(root);
  if (plugins.length === 0) throw new Error("no plugin has a src/index.ts: nothing to bundle");
  const settled = await Promise.allSettled(plugins.map((p) => bundlePlugin(p, root)));
  const failures = settled.flatMap((s) =>
    s.status === "rejected" ? [String(s.reason?.message ?? s.reason)] : [],
  );
  if (failures.length > 0) throw new Error(failures.join("\n"));
  return settled.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(2)} MB`;
  return `${(bytes / 1e3).toFixed(1)} kB`;
}

async function main(argv: string[]): Promise<void> {
  const analyze = argv.includes("--analyze");
  const unknown = argv.filter((a) => a.startsWith("-") && a !== "--analyze");
  if (unknown.length > 0)
    throw new Error(`unknown option ${unknown.join(" ")} (usage: build.ts [plugin...] [--analyze])`);
  const names = argv.filter((a) => !a.startsWith("-"));
  const skipped = names.length === 0 ? skippedPlugins() : [];
  for (const s of skipped) console.warn(`note: plugins/${s} has no src/index.ts yet; not bundled`);

  const results = await bundlePlugins(names);
  const width = Math.max(...results.map((r) => r.plugin.length));
  for (const r of results) {
    const out = relative(ROOT, r.outfile);
    console.log(
      `${r.plugin.padEnd(width)}  ${out}  ${formatBytes(r.bytes)}  (+ map ${formatBytes(r.mapBytes)})  ${Math.round(r.millis)} ms`,
    );
    if (analyze) console.log(await analyzeMetafile(r.metafile, { color: process.stdout.isTTY }));
  }
}

function skippedPlugins(): string[] {
  const dir = join(ROOT, "plugins");
  if (!existsSync(dir)) return [];
  const withEntry = new Set(bundleablePlugins());
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !withEntry.has(d.name))
    .map((d) => d.name);
}

if (import.meta.main) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  });
}
