/**
 * A reproducible image layer from a folder: a gzip'd tar whose bytes depend only on the files' paths,
 * contents and executable bits. Entries are sorted, owned by 0:0 with no user or group names, dated
 * `mtime` (default 0, or SOURCE_DATE_EPOCH), mode 0644 (0755 for folders and executables), and the gzip
 * header carries no name or time; so the same folder gives the same digest on every machine and run,
 * and one layer serves every platform.
 */
import { createHash } from "node:crypto";
import { closeSync, lstatSync, openSync, readdirSync, readFileSync, readSync } from "node:fs";
import { join } from "node:path";
import { constants, gzipSync } from "node:zlib";

export interface Layer {
  /** The gzip'd tar. */
  bytes: Buffer;
  /** sha256 of the gzip'd tar (the blob's digest). */
  digest: string;
  /** sha256 of the uncompressed tar (the config's rootfs.diff_ids entry). */
  diffId: string;
  /** Size of the uncompressed tar. */
  uncompressedSize: number;
  mediaType: "application/vnd.oci.image.layer.v1.tar+gzip";
}

export interface LayerEntry {
  /** Path inside the image, without a leading "/"; folders end without "/". */
  path: string;
  /** File contents; undefined for a folder. */
  data?: Buffer;
  /** A file on disk read while the tar is written, instead of `data` (its size when it was listed). */
  file?: { path: string; size: number };
  executable?: boolean;
  /** Permission bits instead of 0644/0755 (e.g. 0o1777 for a folder every user may write to, as /tmp). */
  mode?: number;
  /** A symbolic link to this target (stored as a link, never followed); no data then. */
  link?: string;
}

/** Numeric owner of every entry (default 0:0); names are never written, so the image's passwd decides. */
export interface LayerOwner {
  uid: number;
  gid: number;
}

const BLOCK = 512;

export function sha256(data: Buffer | Uint8Array): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, "0")}\0`;
}

/** One ustar header; names longer than 100 bytes use the ustar prefix field (up to 255 in all). */
function header(
  path: string,
  size: number,
  mode: number,
  type: "0" | "2" | "5",
  mtime: number,
  owner: LayerOwner = { uid: 0, gid: 0 },
  link = "",
): Buffer {
  const h = Buffer.alloc(BLOCK);
  let name = path;
  let prefix = "";
  if (Buffer.byteLength(name) > 100) {
    const cut = path.lastIndexOf("/", 155);
    if (cut <= 0 || Buffer.byteLength(path.slice(cut + 1)) > 100)
      throw new Error(`path too long for tar: ${path}`);
    prefix = path.slice(0, cut);
    name = path.slice(cut + 1);
  }
  h.write(name, 0, 100, "utf8");
  h.write(octal(mode, 8), 100, "ascii");
  h.write(octal(owner.uid, 8), 108, "ascii");
  h.write(octal(owner.gid, 8), 116, "ascii");
  h.write(octal(size, 12), 124, "ascii");
  h.write(octal(mtime, 12), 136, "ascii");
  h.write("        ", 148, "ascii"); // checksum placeholder
  h.write(type, 156, "ascii");
  if (Buffer.byteLength(link) > 100) throw new Error(`link target too long for tar: ${path} -> ${link}`);
  h.write(link, 157, 100, "utf8");
  h.write("ustar\0", 257, "ascii");
  h.write("00", 263, "ascii");
  h.write(prefix, 345, 155, "utf8");
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "ascii");
  return h;
}

/** The entries sorted by path with their parents (a parent only implied by a deeper path is marked). */
function sortedEntries(entries: LayerEntry[]): { entry: LayerEntry; implied: boolean }[] {
  const all = new Map<string, LayerEntry>();
  const implied = new Set<string>();
  for (const e of entries) {
    const path = e.path.replace(/^\/+|\/+$/g, "");
    const parts = path.split("/");
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join("/");
      if (!all.has(dir)) {
        all.set(dir, { path: dir });
        implied.add(dir);
      }
    }
    all.set(path, { ...e, path });
    implied.delete(path);
  }
  return [...all.keys()]
    .sort()
    .map((path) => ({ entry: all.get(path) as LayerEntry, implied: implied.has(path) }));
}

const READ_CHUNK = 256 * 1024;

/** A file's bytes in chunks, at most `size` of them (what it held when listed), zero-padded if it shrank. */
function* fileChunks(file: string, size: number): Generator<Buffer> {
  const fd = openSync(file, "r");
  try {
    for (let at = 0; at < size; ) {
      const chunk = Buffer.alloc(Math.min(READ_CHUNK, size - at));
      const read = readSync(fd, chunk, 0, chunk.length, at);
      if (read === 0) {
        yield Buffer.alloc(size - at);
        return;
      }
      at += read;
      yield read === chunk.length ? chunk : chunk.subarray(0, read);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * The tar of the entries (sorted by path, parents included) with fixed owners, modes and times, in
 * chunks: a file entry (`file`) is read as it is written, so a layer of any size is never whole in memory.
 */
export function* tarChunks(entries: LayerEntry[], mtime = 0, owner?: LayerOwner): Generator<Buffer> {
  for (const { entry: e, implied } of sortedEntries(entries)) {
    const path = e.path;
    if (e.link !== undefined) {
      yield header(path, 0, 0o777, "2", mtime, owner, e.link);
      continue;
    }
    if (e.data === undefined && e.file === undefined) {
      // A parent only implied by a deeper path (`usr` of `usr/src/app`) stays root's: the layer's
      // entry replaces the base's folder, and a user's /usr would be a hole.
      yield header(`${path}/`, 0, e.mode ?? 0o755, "5", mtime, implied ? undefined : owner);
      continue;
    }
    const size = e.data?.length ?? e.file?.size ?? 0;
    yield header(path, size, e.mode ?? (e.executable ? 0o755 : 0o644), "0", mtime, owner);
    if (e.data) yield e.data;
    else if (e.file) yield* fileChunks(e.file.path, size);
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    if (pad) yield Buffer.alloc(pad);
  }
  yield Buffer.alloc(BLOCK * 2);
}

/** The tar of the entries, whole (for small layers). */
export function tarEntries(entries: LayerEntry[], mtime = 0, owner?: LayerOwner): Buffer {
  return Buffer.concat([...tarChunks(entries, mtime, owner)]);
}

/** The regular files under `dir` (links and special files are refused), as entries under `target`. */
export function folderEntries(dir: string, target: string): LayerEntry[] {
  const entries: LayerEntry[] = [];
  const walk = (abs: string, rel: string) => {
    for (const name of readdirSync(abs).sort()) {
      const a = join(abs, name);
      const r = rel ? `${rel}/${name}` : name;
      const stat = lstatSync(a);
      if (stat.isDirectory()) {
        entries.push({ path: `${target}/${r}` });
        walk(a, r);
      } else if (stat.isFile()) {
        entries.push({
          path: `${target}/${r}`,
          data: readFileSync(a),
          executable: (stat.mode & 0o111) !== 0,
        });
      } else {
        throw new Error(`${a} is neither a file nor a folder; a layer holds only those`);
      }
    }
  };
  walk(dir, "");
  return entries;
}

/** Compresses a tar into a layer: gzip level 9, no file name or time in the header. */
export function layerFromTar(tar: Buffer): Layer {
  const bytes = gzipSync(tar, { level: constants.Z_BEST_COMPRESSION });
  return {
    bytes,
    digest: sha256(bytes),
    diffId: sha256(tar),
    uncompressedSize: tar.length,
    mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
  };
}

/** The layer holding `dir`'s files under `target` (e.g. "opt/app"). */
export function folderLayer(dir: string, target: string, mtime = sourceDateEpoch()): Layer {
  return layerFromTar(tarEntries([{ path: target }, ...folderEntries(dir, target)], mtime));
}

/** SOURCE_DATE_EPOCH (reproducible-builds.org) when set, else 0. */
export function sourceDateEpoch(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.SOURCE_DATE_EPOCH);
  return Number.isInteger(v) && v >= 0 ? v : 0;
}
