import { readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { crc32, inflateRawSync } from "node:zlib";

/**
 * Stand-in APKs: real zip files, so that whatever treats them as archives (the stand-in aapt2 and
 * apkanalyzer, an upload) meets a real one. A real APK's AndroidManifest.xml is compiled binary XML
 * (AXML) that aapt2 decodes; here it is the plain-text source form, and the stand-ins read that.
 * Nothing but the stand-ins should ever be given one of these.
 */

export interface StandinApk {
  /** `package="…"` of the manifest. */
  package: string;
  versionCode?: number;
  versionName?: string;
  minSdk?: number;
  targetSdk?: number;
}

export function manifestText(apk: StandinApk): string {
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<manifest xmlns:android="http://schemas.android.com/apk/res/android"',
    `    package="${apk.package}"`,
    `    android:versionCode="${apk.versionCode ?? 1}"`,
    `    android:versionName="${apk.versionName ?? "1.0"}">`,
    `  <uses-sdk android:minSdkVersion="${apk.minSdk ?? 24}" android:targetSdkVersion="${apk.targetSdk ?? 34}"/>`,
    "</manifest>",
    "",
  ].join("\n");
}

/** A zip holding `AndroidManifest.xml` (text, see above) and a placeholder `classes.dex`. */
export function standinApkBytes(apk: StandinApk): Buffer {
  return zipBytes([
    ["AndroidManifest.xml", Buffer.from(manifestText(apk))],
    ["classes.dex", Buffer.from("dex\n035\0")],
  ]);
}

export async function writeStandinApk(file: string, apk: StandinApk): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, standinApkBytes(apk));
}

/** A zip with no compression (method 0, "stored"), as `zip -0` writes it. */
export function zipBytes(entries: [string, Buffer][]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const nameBytes = Buffer.from(name);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(10, 4); // version needed
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE(20, 4); // made by
    header.writeUInt16LE(10, 6); // version needed
    header.writeUInt32LE(crc, 16);
    header.writeUInt32LE(data.length, 20);
    header.writeUInt32LE(data.length, 24);
    header.writeUInt16LE(nameBytes.length, 28);
    header.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, data);
    central.push(header, nameBytes);
    offset += local.length + nameBytes.length + data.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

export type ZipRead =
  | { ok: true; data: Buffer }
  | { ok: false; reason: "no such file" | "not a zip" | "no entry" };

/** One entry of a zip (stored or deflated), read the way a zip reader does: from the central directory. */
export function readZipEntry(file: string, name: string): ZipRead {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return { ok: false, reason: "no such file" };
  }
  const from = Math.max(0, bytes.length - 22 - 0xffff);
  let end = -1;
  for (let at = bytes.length - 22; at >= from; at--) {
    if (bytes.readUInt32LE(at) === 0x06054b50) {
      end = at;
      break;
    }
  }
  if (end < 0) return { ok: false, reason: "not a zip" };
  const count = bytes.readUInt16LE(end + 10);
  let at = bytes.readUInt32LE(end + 16);
  for (let i = 0; i < count; i++) {
    if (at + 46 > bytes.length || bytes.readUInt32LE(at) !== 0x02014b50)
      return { ok: false, reason: "not a zip" };
    const method = bytes.readUInt16LE(at + 10);
    const size = bytes.readUInt32LE(at + 20);
    const nameLength = bytes.readUInt16LE(at + 28);
    const extraLength = bytes.readUInt16LE(at + 30);
    const commentLength = bytes.readUInt16LE(at + 32);
    const localOffset = bytes.readUInt32LE(at + 42);
    const entryName = bytes.toString("utf8", at + 46, at + 46 + nameLength);
    if (entryName === name) {
      const dataAt =
        localOffset + 30 + bytes.readUInt16LE(localOffset + 26) + bytes.readUInt16LE(localOffset + 28);
      const raw = bytes.subarray(dataAt, dataAt + size);
      try {
        return { ok: true, data: method === 8 ? inflateRawSync(raw) : Buffer.from(raw) };
      } catch {
        return { ok: false, reason: "not a zip" };
      }
    }
    at += 46 + nameLength + extraLength + commentLength;
  }
  return { ok: false, reason: "no entry" };
}

/** The attributes of the text manifest the stand-in APKs carry. */
export function parseManifestText(text: string): StandinApk | undefined {
  const attribute = (name: string) => new RegExp(`\\b${name}="([^"]*)"`).exec(text)?.[1];
  const pkg = attribute("package");
  if (!pkg) return undefined;
  const number = (value: string | undefined) => (value === undefined ? undefined : Number(value));
  return {
    package: pkg,
    versionCode: number(attribute("android:versionCode")),
    versionName: attribute("android:versionName"),
    minSdk: number(attribute("android:minSdkVersion")),
    targetSdk: number(attribute("android:targetSdkVersion")),
  };
}
