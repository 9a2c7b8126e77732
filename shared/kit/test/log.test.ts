import { describe, expect, it } from "vitest";
import { Logger } from "../src/log.ts";
import { Masker } from "../src/mask.ts";
import { capture } from "./helpers.ts";

const secret = "hunter2-very-secret";

describe("Logger", () => {
  it("writes plain lines: info, success and section to stdout; warn and error to stderr", () => {
    const out = capture();
    const log = new Logger(out.streams);
    log.section("Sending");
    log.info("3 recipients");
    log.success("sent");
    log.warn("TLS verification is off");
    log.error("failed");
    expect(out.stdout).toBe("\n── Sending\n3 recipients\n✔ sent\n");
    expect(out.stderr).toBe("! warning: TLS verification is off\n✖ failed\n");
  });

  it("prints debug lines only when debug is on, and does not build them otherwise", () => {
    const out = capture();
    const log = new Logger(out.streams);
    let built = 0;
    log.debug(() => {
      built++;
      return "expensive";
    });
    log.debug("plain");
    expect(out.stdout).toBe("");
    expect(built).toBe(0);
    log.debugEnabled = true;
    expect(log.debugEnabled).toBe(true);
    log.debug(() => "expensive");
    log.debug("plain");
    expect(out.stdout).toBe("· expensive\n· plain\n");
    expect(new Logger(out.streams, { debug: true }).debugEnabled).toBe(true);
  });

  it("masks secrets and their encodings in every method", () => {
    const out = capture();
    const log = new Logger(out.streams, { debug: true });
    log.mask.add(secret);
    const encoded = Buffer.from(`user:${secret}`).toString("base64");
    const error = new Error(`login failed with ${secret}`);
    log.info(`info ${secret}`);
    log.success(`success ${encodeURIComponent(secret)}`);
    log.warn(`warn ${encoded}`);
    log.error(`error ${error.message}`);
    log.error(error.stack ?? "");
    log.debug(`debug ${JSON.stringify({ secret })}`);
    log.debug(() => `lazy ${secret}`);
    log.section(`section ${secret}`);
    log.raw(`raw ${secret}\n`);
    log.raw(`raw stderr ${secret}\n`, "stderr");
    expect(out.all).not.toContain(secret);
    expect(out.all).not.toContain(encoded);
    expect(out.all.match(/\*\*\*\*/g)?.length).toBe(10);
  });

  it("uses a masker it is given, so secrets registered elsewhere are masked", () => {
    const mask = new Masker();
    const out = capture();
    const log = new Logger(out.streams, { mask });
    mask.add(secret);
    log.info(secret);
    expect(out.stdout).toBe("****\n");
    expect(log.mask).toBe(mask);
  });
});
