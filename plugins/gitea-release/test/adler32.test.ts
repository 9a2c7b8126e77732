import { randomBytes } from "node:crypto";
import { deflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { Adler32 } from "../src/adler32.ts";

/** zlib's own Adler-32: the last four bytes of a zlib stream (RFC 1950), big-endian. */
const zlibAdler32 = (bytes: Buffer) => {
  const stream = deflateSync(bytes);
  return stream.readUInt32BE(stream.length - 4);
};

describe("Adler32", () => {
  it("gives the known value of a short text and of nothing", () => {
    expect(new Adler32().update(Buffer.from("Wikipedia")).value()).toBe(0x11e60398);
    expect(new Adler32().value()).toBe(1);
  });

  it("matches zlib on bytes that push the sums hardest (all 0xff) and on random bytes", () => {
    for (const bytes of [Buffer.alloc(1_000_003, 0xff), randomBytes(777_777)]) {
      expect(new Adler32().update(bytes).value()).toBe(zlibAdler32(bytes));
    }
  });

  it("gives the same value however the bytes are split into chunks", () => {
    const bytes = randomBytes(100_000);
    const whole = new Adler32().update(bytes).value();
    for (const size of [1, 5551, 5552, 5553, 65_536]) {
      const chunked = new Adler32();
      for (let start = 0; start < bytes.length; start += size)
        chunked.update(bytes.subarray(start, start + size));
      expect(chunked.value(), `chunks of ${size}`).toBe(whole);
    }
  });
});
