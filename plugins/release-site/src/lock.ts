import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { HangarError, type Logger } from "@hangar/kit";
import * as z from "zod/mini";
import { REVALIDATE } from "./layout.ts";
import { json, parseWith } from "./manifest.ts";
import { ConditionFailed, type SiteStore } from "./store.ts";

/**
 * How two builds writing index.json at once keep each other's entry. Where the store honours
 * conditional writes (AWS, MinIO, Ceph, R2) the index is written If-Match its ETag. Garage takes
 * If-Match and If-None-Match on a PUT and writes anyway: there, builds take turns through a lock
 * object with an expiry. Without a conditional create, the lock is taken by writing it, waiting
 * for the store to settle and reading it back: of builds that wrote at once, only the last
 * writer reads its own token. A run killed while holding it leaves a lock that expires.
 */

/** Time between writing the lock and reading it back: longer than a competitor's read-then-write. */
const SETTLE_MS = 1000;

/** Read from the store, so printed only when it is a plain, short line (no escapes, no forged log lines). */
const printable = z.string().check(z.maxLength(200), z.regex(/^[\x20-\x7e]*$/));
const lockFile = z.object({ owner: printable, build: printable, expires: printable });

/** Whether the store refuses a PUT whose If-Match names another ETag, found with a probe object of this run. */
export async function honoursConditionalWrites(store: SiteStore, key: string): Promise<boolean> {
  const options = { contentType: "text/plain", cacheControl: REVALIDATE };
  await store.putText(key, "probe\n", options);
  try {
    await store.putText(key, "probe, overwritten\n", { ...options, expect: { etag: "0".repeat(32) } });
    return false;
  } catch (error) {
    if (error instanceof ConditionFailed) return true;
    throw error;
  } finally {
    await store.delete(key);
  }
}

export interface LockOptions {
  key: string;
  /** Who holds it, for the messages of builds that wait: `acme/calchat#12`. */
  build: string;
  /** How long a lock stays valid without its holder: then another build takes it over. */
  ttlMs: number;
  log: Logger;
  now: () => Date;
  /** The store the lock is released through: still usable after a cancel. */
  release: SiteStore;
}

/** Runs `work` holding the lock object; it is released however `work` ends. */
export async function withLock<T>(
  store: SiteStore,
  options: LockOptions,
  work: () => Promise<T>,
): Promise<T> {
  const owner = randomUUID();
  await acquire(store, owner, options);
  try {
    return await work();
  } finally {
    try {
      const found = await options.release.getText(options.key);
      // A lock taken over after it expired is the other build's now: left to it.
      if (found && parse(found.text)?.owner === owner) await options.release.delete(options.key);
    } catch (error) {
      options.log.warn(`could not release the lock ${options.key}; it expires by itself (${String(error)})`);
    }
  }
}

const parse = (text: string) => parseWith(lockFile, text);

async function acquire(store: SiteStore, owner: string, options: LockOptions): Promise<void> {
  const { key, log, now } = options;
  // Others may take turns before this build: each holds it for at most ttlMs.
  const giveUp = now().getTime() + 3 * options.ttlMs;
  let waitingFor = "";
  for (;;) {
    const found = await store.getText(key);
    const held = found ? parse(found.text) : undefined;
    const expires = held ? Date.parse(held.expires) : Number.NaN;
    if (held && held.owner !== owner && expires > now().getTime()) {
      if (now().getTime() > giveUp)
        throw new HangarError("E_SITE_BUSY", `${key} stayed held by other builds (last ${held.build})`, {
          hint: "Other builds write the same site without end; run the step again, or remove the lock if no build runs.",
        });
      if (waitingFor !== held.owner) log.info(`${key}: held by ${held.build} until ${held.expires}; waiting`);
      waitingFor = held.owner;
      await sleep(250 + Math.random() * 500, undefined, { signal: store.signal });
      continue;
    }
    if (found && held?.owner !== owner)
      log.warn(
        `${key}: ${held ? `${held.build}'s lock expired at ${held.expires}` : "not a lock of this plugin"}; taking it over`,
      );
    await store.putText(
      key,
      json({ owner, build: options.build, expires: new Date(now().getTime() + options.ttlMs).toISOString() }),
      {
        contentType: "application/json",
        cacheControl: REVALIDATE,
      },
    );
    await sleep(SETTLE_MS, undefined, { signal: store.signal });
    const check = await store.getText(key);
    if (check && parse(check.text)?.owner === owner) return;
  }
}
