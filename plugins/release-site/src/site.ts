import { randomUUID } from "node:crypto";
import { HangarError, type Logger } from "@hangar/kit";
import { PAGE_FILE, REVALIDATE, SiteLayout } from "./layout.ts";
import { honoursConditionalWrites, withLock } from "./lock.ts";
import {
  emptyIndex,
  json,
  movesLatest,
  parseIndex,
  parseLatest,
  type SiteIndex,
  type VersionEntry,
} from "./manifest.ts";
import { renderPage } from "./page.ts";
import type { SitePlan } from "./plan.ts";
import { ConditionFailed, type SiteStore } from "./store.ts";

/** Attempts at the read-change-write of index.json when another build writes it in between. */
const INDEX_ATTEMPTS = 8;

/**
 * The manifests and the page of one site. `index.json` is changed only by a conditional write
 * on the ETag it was read with (If-Match, or If-None-Match for the first), or under the lock
 * object where the store ignores those (lock.ts), so two builds that publish at once each see
 * the other's entry and neither is lost; the page follows the index.
 */
export class Site {
  readonly layout: SiteLayout;
  readonly plan: SitePlan;
  readonly store: SiteStore;
  readonly log: Logger;
  readonly now: () => Date;
  /** Where the lock is released: a store still usable after a cancel. */
  readonly #release: SiteStore;
  #conditional: Promise<boolean> | undefined;

  constructor(plan: SitePlan, store: SiteStore, log: Logger, now: () => Date, release = store) {
    this.plan = plan;
    this.store = store;
    this.#release = release;
    this.log = log;
    this.now = now;
    this.layout = new SiteLayout(plan.prefix);
  }

  url(key: string): string {
    return this.layout.url(this.plan.publicUrl, key);
  }

  async readIndex(): Promise<{ index: SiteIndex; etag: string | undefined }> {
    const found = await this.store.getText(this.layout.indexKey);
    if (!found) return { index: emptyIndex(this.plan.title, this.plan.channels), etag: undefined };
    const index = parseIndex(found.text);
    if (!index) {
      throw new HangarError(
        "E_SITE_INDEX",
        `${this.layout.indexKey} in ${this.store.bucket} is not a release-site index`,
        {
          hint: "Set prefix to a folder of its own, or remove the file if it is left from something else.",
        },
      );
    }
    return { index, etag: found.etag };
  }

  async readLatest(channel: string): Promise<{ entry: VersionEntry | undefined; text: string | undefined }> {
    const found = await this.store.getText(this.layout.latestKey(channel));
    return { entry: found ? parseLatest(found.text) : undefined, text: found?.text };
  }

  /**
   * Writes `<channel>/latest.json` when the entry's version is at least the channel's highest:
   * a backport is listed but leaves latest where it is. Returns how to put it back.
   */
  async writeLatest(entry: VersionEntry): Promise<{ moved: boolean; undo: () => Promise<void> }> {
    const key = this.layout.latestKey(entry.channel);
    const current = await this.readLatest(entry.channel);
    if (!movesLatest(current.entry?.version, entry.version)) {
      this.log.info(`${key}: stays at ${current.entry?.version} (${entry.version} is lower)`);
      return { moved: false, undo: async () => {} };
    }
    const text = json(entry);
    if (current.text === text) return { moved: true, undo: async () => {} };
    await this.store.putText(key, text, { contentType: "application/json", cacheControl: REVALIDATE });
    this.log.info(`${key}: ${entry.version}`);
    const previous = current.text;
    return {
      moved: true,
      undo: async () => {
        if (previous === undefined) await this.store.delete(key);
        else
          await this.store.putText(key, previous, {
            contentType: "application/json",
            cacheControl: REVALIDATE,
          });
      },
    };
  }

  /** Whether index.json is written If-Match its ETag: the `lock` setting, or a probe of the store. */
  #conditionalWrites(): Promise<boolean> {
    if (this.plan.lock !== "auto") return Promise.resolve(this.plan.lock === "conditional");
    this.#conditional ??= honoursConditionalWrites(this.store, this.layout.probeKey(randomUUID())).then(
      (honoured) => {
        if (!honoured)
          this.log.info(
            `the store ignores conditional writes (as Garage does): index.json is written under ${this.layout.lockKey}`,
          );
        return honoured;
      },
    );
    return this.#conditional;
  }

  /**
   * Applies `change` to index.json with a conditional write, reading again when another build
   * wrote it in between (or, on a store that ignores conditions, holding the lock object); then
   * writes the page from what the index holds.
   */
  async updateIndex(change: (index: SiteIndex) => SiteIndex): Promise<SiteIndex> {
    if (await this.#conditionalWrites()) return this.#writeIndex(change, true);
    const { lockKey } = this.layout;
    return withLock(
      this.store,
      {
        key: lockKey,
        build: this.plan.build,
        ttlMs: this.plan.lockTtlMs,
        log: this.log,
        now: this.now,
        release: this.#release,
      },
      () => this.#writeIndex(change, false),
    );
  }

  async #writeIndex(change: (index: SiteIndex) => SiteIndex, conditional: boolean): Promise<SiteIndex> {
    const key = this.layout.indexKey;
    for (let attempt = 1; attempt <= INDEX_ATTEMPTS; attempt++) {
      const { index, etag } = await this.readIndex();
      const next = { ...change(index), title: this.plan.title };
      // Nothing changed (a re-run): the index stays byte for byte; the page is made again only
      // when it is missing or stale, as after a run that failed between the two.
      if (etag !== undefined && sameListing(index, next)) {
        const page = renderPage(index);
        if ((await this.store.getText(this.layout.pageKey))?.text !== page) await this.writePage(index, etag);
        return index;
      }
      try {
        const written = await this.store.putText(key, json(next), {
          contentType: "application/json",
          cacheControl: REVALIDATE,
          expect: !conditional ? undefined : etag === undefined ? "absent" : { etag },
        });
        await this.writePage(next, written);
        return next;
      } catch (error) {
        if (!(error instanceof ConditionFailed)) throw error;
        this.log.info(`${key} changed meanwhile (another build); reading it again (attempt ${attempt + 1})`);
        await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 200 * attempt));
      }
    }
    throw new HangarError(
      "E_SITE_BUSY",
      `${key} kept changing under ${INDEX_ATTEMPTS} attempts to update it`,
      {
        hint: "Other builds write the same site at the same time; run the step again.",
      },
    );
  }

  /**
   * The page from `index`, written with index.json's ETag known: when another build wrote the
   * index meanwhile, the page is made again from the newer index, so it never stays behind it.
   */
  async writePage(index: SiteIndex, etag: string): Promise<void> {
    let current = { index, etag };
    for (let attempt = 1; attempt <= INDEX_ATTEMPTS; attempt++) {
      await this.store.putText(this.layout.pageKey, renderPage(current.index), {
        contentType: "text/html; charset=utf-8",
        cacheControl: REVALIDATE,
      });
      const head = await this.store.head(this.layout.indexKey);
      if (!head || head.etag === current.etag) return;
      const newer = await this.readIndex();
      current = { index: newer.index, etag: newer.etag ?? "" };
    }
    this.log.warn(`${PAGE_FILE} may lag behind index.json: other builds kept writing it`);
  }
}

function sameListing(a: SiteIndex, b: SiteIndex): boolean {
  return a.title === b.title && JSON.stringify(a.channels) === JSON.stringify(b.channels);
}
