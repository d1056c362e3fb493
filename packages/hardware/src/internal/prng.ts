/**
 * A small seeded PRNG (sfc32, seeded through splitmix32). Plain synchronous state, no allocation per draw.
 * One seed drives a fabric; components derive their own seeds with `derive()` so extra draws in one stream
 * do not shift another.
 */
export class Prng {
  private a: number
  private b: number
  private c: number
  private d: number

  constructor(seed: number) {
    let s = seed >>> 0
    const next = () => {
      s = (s + 0x9E3779B9) >>> 0
      let z = s
      z = Math.imul(z ^ (z >>> 16), 0x85EBCA6B) >>> 0
      z = Math.imul(z ^ (z >>> 13), 0xC2B2AE35) >>> 0
      return (z ^ (z >>> 16)) >>> 0
    }
    this.a = next()
    this.b = next()
    this.c = next()
    this.d = next() | 1
    for (let i = 0; i < 12; i++) this.u32()
  }

  /** Next unsigned 32-bit value. */
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0
    this.d = (this.d + 1) | 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) | 0
    this.c = (this.c << 21) | (this.c >>> 11)
    this.c = (this.c + t) | 0
    return t >>> 0
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / 4294967296
  }

  /** True with probability p (no draw when p <= 0). */
  chance(p: number): boolean {
    return p > 0 && this.float() < p
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n)
  }

  /** A seed for a sub-component. */
  derive(): number {
    return this.u32()
  }
}

/** FNV-1a style 32-bit running hash over numbers (used for the packet trace hash). */
export const mix = (h: number, v: number): number => {
  let x = h ^ (v >>> 0)
  x = Math.imul(x, 0x01000193)
  x ^= Math.floor(v / 4294967296) >>> 0
  return Math.imul(x, 0x01000193) >>> 0
}

/** `mix` for a value already in int32 range (the result of a bitwise operator): the same hash, no division. */
export const mix32 = (h: number, v: number): number => {
  const x = Math.imul(h ^ v, 0x01000193) ^ (v >> 31)
  return Math.imul(x, 0x01000193) >>> 0
}
