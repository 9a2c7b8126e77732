import { Logger } from "@hangar/kit";
import { describe, expect, it } from "vitest";
import { allPages, MAX_PAGES, TooManyPages } from "../src/paging.ts";

const ENDPOINT = "GET /api/v1/repos/acme/app/issues";

function capture() {
  let text = "";
  const stream = { write: (chunk: string) => (text += chunk) };
  return { log: new Logger({ stdout: stream, stderr: stream }), text: () => text };
}

/** A list of `total` items served `served` a page (Gitea's MAX_RESPONSE_ITEMS), counting calls. */
function list(total: number, served: number) {
  const calls: number[] = [];
  const items = Array.from({ length: total }, (_, index) => ({ id: index + 1 }));
  const fetchPage = async (page: number) => {
    calls.push(page);
    return items.slice((page - 1) * served, page * served);
  };
  return { calls, fetchPage };
}

describe("paging through a Gitea list", () => {
  it("reads to the end when Gitea serves fewer items a page than asked for", async () => {
    const { calls, fetchPage } = list(46, 20);
    const all = await allPages("listing issues", ENDPOINT, fetchPage, capture().log);
    expect(all).toHaveLength(46);
    expect(calls).toEqual([1, 2, 3]);
  });

  it("stops at an empty page", async () => {
    const { calls, fetchPage } = list(100, 50);
    expect(await allPages("listing issues", ENDPOINT, fetchPage, capture().log)).toHaveLength(100);
    expect(calls).toEqual([1, 2, 3]);
  });

  it("stops, with a warning, when a page repeats an earlier one (the server ignores ?page=)", async () => {
    const out = capture();
    let calls = 0;
    const all = await allPages(
      "listing issues",
      ENDPOINT,
      async () => {
        calls++;
        return [{ id: 1 }, { id: 2 }];
      },
      out.log,
      { identify: (item) => item.id },
    );
    expect(all).toEqual([{ id: 1 }, { id: 2 }]);
    expect(calls).toBe(2);
    expect(out.text()).toContain(
      `listing issues: ${ENDPOINT} answered page 2 with the items of an earlier page`,
    );
  });

  it("gives up after MAX_PAGES pages of new items, naming the endpoint", async () => {
    let calls = 0;
    const endless = async (page: number, limit: number) => {
      calls++;
      return Array.from({ length: limit }, (_, index) => ({ id: page * limit + index }));
    };
    const reading = allPages("listing issues", ENDPOINT, endless, capture().log, {
      identify: (item) => item.id,
    });
    await expect(reading).rejects.toBeInstanceOf(TooManyPages);
    await expect(reading).rejects.toMatchObject({
      code: "E_GITEA_TOO_MANY_PAGES",
      message: `listing issues: ${ENDPOINT} still answered new items after ${MAX_PAGES} pages of 50; stopped`,
    });
    expect(calls).toBe(MAX_PAGES);
  });
});
