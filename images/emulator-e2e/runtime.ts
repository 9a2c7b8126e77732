/**
 * The emulator-e2e image's runtime: Appium 3, its UiAutomator2 driver and WebdriverIO, installed from
 * images/emulator-e2e/package-lock.json on the build machine (nothing runs on the target platform) and
 * shipped as its own layer below the bundle's, at /opt/hangar/node_modules, where the bundle's
 * import.meta.resolve finds them. It changes only with the lockfile, so a user pulling a new plugin
 * version downloads the bundle layer alone.
 *
 *   node images/emulator-e2e/runtime.ts           stage it (cached) and print the folder to COPY
 *                                                 (node_modules/ and appium/, for /opt/hangar)
 *   node images/emulator-e2e/runtime.ts --layer   also build the layer images/publish.ts pushes
 *
 * - `npm ci --omit=dev --omit=optional --ignore-scripts --no-bin-links`: optional packages are the
 *   platform binaries (sharp's libvips, esbuild's), install scripts download more of them, bin links
 *   are symlinks; without them no Node add-on and no package picked by platform is left, so the
 *   folder is the same whatever machine made it, for every platform. The plugin starts Appium and wdio through `node <package>/<bin>.js`, never a bin link.
 * - Appium keeps its extensions in a manifest under APPIUM_HOME and writes it when it is missing or
 *   stale. The image sets APPIUM_HOME=/opt/hangar/appium, which holds that manifest alone, made here by
 *   Appium itself (`appium driver list`) with its install paths moved to /opt/hangar/node_modules (Appium
 *   loads a driver from its installPath); with no package.json there, Appium has nothing to re-sync.
 * - Staged once per lockfile into ~/.cache/hangar/emulator-e2e-runtime/<key>/ (npm's own cache next to
 *   it), moved into place whole, so parallel builds and a cancelled install never see half a folder.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { folderEntries, type Layer, layerFromTar, sha256, tarEntries } from "../../shared/oci/src/layer.ts";

export const RUNTIME_DIR = dirname(fileURLToPath(import.meta.url));
/** Where the runtime lives in the image. */
export const IMAGE_HOME = "/opt/hangar";
/** APPIUM_HOME, in IMAGE_HOME: holds Appium's extensions manifest only. */
export const APPIUM_HOME_NAME = "appium";
/**
 * Appium refuses an APPIUM_HOME the user cannot write to (for `appium driver list`, which `action:
 * check` runs), though with an up-to-date manifest and no package.json it writes nothing there. So
 * that one folder is world-writable with the sticky bit, as /tmp; its manifest stays root's.
 */
export const APPIUM_HOME_MODE = 0o1777;
export const MANIFEST = "node_modules/.cache/appium/extensions.yaml";
/** The history entry of the runtime layer (and what the Dockerfile's COPY does). */
export const RUNTIME_CREATED_BY = "COPY runtime/ /opt/hangar/ (npm ci images/emulator-e2e/package-lock.json)";
export const RUNTIME_ENV = { APPIUM_HOME: `${IMAGE_HOME}/${APPIUM_HOME_NAME}` } as const;
/** Changes when the way the folder is made changes, so the cache key does too. */
const RECIPE = "npm ci --omit=dev --omit=optional --ignore-scripts --no-bin-links; APPIUM_HOME appium/ v2";

export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return join(
    env.HANGAR_CACHE || join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "hangar"),
    "emulator-e2e-runtime",
  );
}

/** The lockfile, the package.json and the recipe decide the folder's content. */
export function runtimeKey(): string {
  const hash = createHash("sha256").update(RECIPE);
  for (const file of ["package.json", "package-lock.json"])
    hash.update(readFileSync(join(RUNTIME_DIR, file)));
  return hash.digest("hex").slice(0, 24);
}

export interface StagedRuntime {
  /** The folder whose content goes to /opt/hangar: node_modules/ and appium/ (APPIUM_HOME). */
  dir: string;
  key: string;
  /** Whether this call installed it (false: the cache had it). */
  installed: boolean;
}

function npm(args: string[], cwd: string, cache: string, log: (line: string) => void) {
  log(`npm ${args.join(" ")}`);
  execFileSync("npm", [...args, "--cache", cache, "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd,
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, npm_config_update_notifier: "false" },
  });
}

/** Installs the runtime into the cache unless it is there already; returns its folder. */
export function stageRuntime(log: (line: string) => void = () => {}): StagedRuntime {
  const root = cacheRoot();
  const key = runtimeKey();
  const dir = join(root, key);
  if (existsSync(join(dir, APPIUM_HOME_NAME, MANIFEST))) return { dir, key, installed: false };
  mkdirSync(root, { recursive: true });
  const work = mkdtempSync(join(root, `.${key}-`));
  try {
    for (const file of ["package.json", "package-lock.json"])
      writeFileSync(join(work, file), readFileSync(join(RUNTIME_DIR, file)));
    npm(
      ["ci", "--omit=dev", "--omit=optional", "--ignore-scripts", "--no-bin-links", "--prefer-offline"],
      work,
      join(root, "npm"),
      log,
    );
    // Appium writes its manifest for the packages it finds in APPIUM_HOME; the paths are then moved.
    log("appium driver list --installed (writes the extensions manifest)");
    execFileSync(
      process.execPath,
      [join(work, "node_modules", "appium", "index.js"), "driver", "list", "--installed", "--json"],
      {
        env: { ...process.env, APPIUM_HOME: work },
        stdio: "ignore",
        timeout: 120_000,
      },
    );
    const made = join(work, MANIFEST);
    const text = readFileSync(made, "utf8");
    if (!text.includes("uiautomator2:")) throw new Error(`Appium's manifest lists no uiautomator2:\n${text}`);
    const manifest = join(work, APPIUM_HOME_NAME, MANIFEST);
    mkdirSync(dirname(manifest), { recursive: true });
    writeFileSync(manifest, text.replaceAll(`${work}/node_modules/`, `${IMAGE_HOME}/node_modules/`));
    rmSync(join(work, "node_modules", ".cache"), { recursive: true, force: true });
    chmodSync(join(work, APPIUM_HOME_NAME), APPIUM_HOME_MODE);
    for (const file of ["package.json", "package-lock.json", "node_modules/.package-lock.json"])
      rmSync(join(work, file), { force: true });
    try {
      renameSync(work, dir);
    } catch (error) {
      // Another build put the same folder there first.
      if (!existsSync(join(dir, APPIUM_HOME_NAME, MANIFEST))) throw error;
      rmSync(work, { recursive: true, force: true });
    }
    return { dir, key, installed: true };
  } catch (error) {
    rmSync(work, { recursive: true, force: true });
    throw error;
  }
}

interface LayerRecord {
  digest: string;
  diffId: string;
  uncompressedSize: number;
}

/**
 * The runtime as an image layer (shared/oci/src/layer.ts: sorted, 0:0, dated 0 whatever SOURCE_DATE_EPOCH
 * says, so the same lockfile gives the same digest in every release). Kept gzip'd next to the folder.
 */
export function runtimeLayer(log: (line: string) => void = () => {}): Layer {
  const staged = stageRuntime(log);
  const gz = join(cacheRoot(), `${staged.key}.layer.tar.gz`);
  const record = join(cacheRoot(), `${staged.key}.layer.json`);
  if (existsSync(gz) && existsSync(record)) {
    const bytes = readFileSync(gz);
    const meta = JSON.parse(readFileSync(record, "utf8")) as LayerRecord;
    if (sha256(bytes) === meta.digest) {
      return { ...meta, bytes, mediaType: "application/vnd.oci.image.layer.v1.tar+gzip" };
    }
  }
  log("packing the runtime layer");
  const entries = folderEntries(staged.dir, "opt/hangar").map((entry) =>
    entry.path === `opt/hangar/${APPIUM_HOME_NAME}` ? { ...entry, mode: APPIUM_HOME_MODE } : entry,
  );
  const tar = tarEntries([{ path: "opt/hangar" }, ...entries], 0);
  const layer = layerFromTar(tar);
  writeFileSync(`${gz}.tmp`, layer.bytes);
  renameSync(`${gz}.tmp`, gz);
  const meta: LayerRecord = {
    digest: layer.digest,
    diffId: layer.diffId,
    uncompressedSize: layer.uncompressedSize,
  };
  writeFileSync(record, JSON.stringify(meta));
  return layer;
}

/** The runtimes, by plugin: the plugins without one get the bundle layer alone. */
export function hasRuntime(plugin: string): boolean {
  return plugin === "emulator-e2e";
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const log = (line: string) => console.error(`==> [runtime] ${line}`);
  const staged = stageRuntime(log);
  if (process.argv.includes("--layer")) {
    const layer = runtimeLayer(log);
    log(`layer ${layer.digest}: ${layer.bytes.length} bytes gz, ${layer.uncompressedSize} bytes tar`);
  }
  console.log(staged.dir);
}
