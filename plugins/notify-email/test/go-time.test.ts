import { describe, expect, it } from "vitest";
import { formatGoDuration, formatGoTime } from "../src/go-time.ts";
import { compileTemplate } from "../src/render.ts";

/** drone-email's helpers print what Go's time package prints for the same layout and zone. */
describe("Go time layouts for drone-email's datetime and duration", () => {
  const at = new Date(1_700_000_000_000 + 7); // 2023-11-14 22:13:20.007 UTC, a Tuesday

  it("formats the layout drone-email's default template uses, in UTC and in a named zone", () => {
    expect(formatGoTime(at, "Mon Jan 2 15:04:05 MST 2006", "UTC")).toBe("Tue Nov 14 22:13:20 UTC 2023");
    expect(formatGoTime(at, "Monday, 02-Jan-06 03:04:05.000 PM -07:00", "Europe/Berlin")).toBe(
      "Tuesday, 14-Nov-23 11:13:20.007 PM +01:00",
    );
    expect(formatGoTime(at, "2006-01-02T15:04:05Z07:00", "UTC")).toBe("2023-11-14T22:13:20Z");
    expect(formatGoTime(at, "January _2 2006 -0700", "America/New_York")).toBe("November 14 2023 -0500");
  });

  it("falls back to the local zone for a zone name it does not know, as Go's LoadLocation caller does", () => {
    const previous = process.env.TZ;
    process.env.TZ = "UTC";
    try {
      expect(formatGoTime(at, "15:04 MST", "Mars/Olympus")).toBe("22:13 UTC");
      expect(formatGoTime(at, "15:04 MST", "Local")).toBe("22:13 UTC");
    } finally {
      if (previous === undefined) delete process.env.TZ;
      else process.env.TZ = previous;
    }
  });

  it("prints durations as Go's time.Duration does", () => {
    expect([0, 35, 95, 3600, 7265].map(formatGoDuration)).toEqual(["0s", "35s", "1m35s", "1h0m0s", "2h1m5s"]);
  });

  it("renders the helpers in a template as drone-email does", async () => {
    const render = await compileTemplate(
      '{{ datetime build.created "02.01.2006 15:04" "UTC" }} {{ duration build.started build.finished }} {{ truncate msg 3 }} {{ uppercasefirst name }} {{ urlencode q }} {{#urlencode}}{{ q }}{{/urlencode}}',
      { html: false },
    );
    expect(
      render({
        build: { created: 1_700_000_000, started: 1_700_000_000, finished: 1_700_000_095 },
        msg: "äöü-rest",
        name: "émile",
        q: "a b/c!",
      }),
    ).toBe("14.11.2023 22:13 1m35s äöü Émile a+b%2Fc%21 a+b%2Fc%21");
  });
});
