/**
 * Adler-32 (RFC 1950) fed chunk by chunk, for checksums of files of any size without holding
 * them. Node's zlib has crc32 but no adler32; it is a few lines, so no dependency for it.
 */
const MOD = 65521;
/** Sums are reduced every NMAX bytes, as zlib does: they stay below 2^32, integers the engine keeps fast. */
const NMAX = 5552;

export class Adler32 {
  #a = 1;
  #b = 0;

  update(bytes: Uint8Array): this {
    let a = this.#a;
    let b = this.#b;
    for (let start = 0; start < bytes.length; start += NMAX) {
      const end = Math.min(start + NMAX, bytes.length);
      for (let index = start; index < end; index++) {
        a += bytes[index] as number;
        b += a;
      }
      a %= MOD;
      b %= MOD;
    }
    this.#a = a;
    this.#b = b;
    return this;
  }

  /** The unsigned 32-bit value, `b` in the high half. */
  value(): number {
    return (this.#b * 65536 + this.#a) >>> 0;
  }
}
