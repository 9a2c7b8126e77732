import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, onTestFinished } from "vitest";
import type { Streams } from "../src/log.ts";

/** Streams that keep what was written, for asserting on a plugin's log. */
export interface Captured {
  streams: Streams;
  readonly stdout: string;
  readonly stderr: string;
  /** Both streams, for "never appears anywhere" checks. */
  readonly all: string;
}

export function capture(): Captured {
  const out: string[] = [];
  const err: string[] = [];
  return {
    streams: {
      stdout: { write: (chunk: string) => out.push(chunk) },
      stderr: { write: (chunk: string) => err.push(chunk) },
    },
    get stdout() {
      return out.join("");
    },
    get stderr() {
      return err.join("");
    },
    get all() {
      return out.join("") + err.join("");
    },
  };
}

/** A fresh directory, removed when the current test finishes. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "hangar-kit-"));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const CARD_START = "\u001B]1338;";
const CARD_END = "\u001B]0m";

/** The card Drone reads from the log: `ESC]1338;<base64 JSON>ESC]0m`, or undefined when there is none. */
export function cardFromLog(log: string): unknown {
  const start = log.indexOf(CARD_START);
  if (start < 0) return undefined;
  const end = log.indexOf(CARD_END, start);
  const encoded = log.slice(start + CARD_START.length, end);
  expect(encoded).toMatch(/^[A-Za-z0-9+/]+=*$/);
  expect(log.slice(end + CARD_END.length, end + CARD_END.length + 1)).toBe("\n");
  return JSON.parse(Buffer.from(encoded, "base64").toString("utf8"));
}
