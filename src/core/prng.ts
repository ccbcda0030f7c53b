/** Small, fast, seedable pseudo-random numbers: the generator, the emulator's row picks, seeded tests. */

/** mulberry32: a 32-bit state PRNG returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** murmur3's 32-bit finalizer: spreads the bits of a 32-bit integer. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 32-bit seed for item i of a stream seeded with `seed` (independent per i, cheap to derive). */
export function deriveSeed(seed: number, i: number, salt = 0): number {
  const lo = i >>> 0;
  const hi = Math.floor(i / 4294967296) >>> 0;
  return fmix32(fmix32(Math.imul(seed | 0, 0x9e3779b1) ^ salt) ^ fmix32(lo + 0x7f4a7c15) ^ Math.imul(hi, 0x27d4eb2f));
}

/** Helpers over a [0, 1) generator. */
export class Rand {
  constructor(readonly next: () => number) {}
  static of(seed: number): Rand {
    return new Rand(mulberry32(seed));
  }
  /** integer in [min, max] */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  hex(n: number): string {
    let s = '';
    for (let k = 0; k < n; k++) s += HEX[Math.floor(this.next() * 16)];
    return s;
  }
  /** a version-4 UUID string */
  uuid(): string {
    const v = HEX[8 + Math.floor(this.next() * 4)];
    return `${this.hex(8)}-${this.hex(4)}-4${this.hex(3)}-${v}${this.hex(3)}-${this.hex(12)}`;
  }
}

const HEX = '0123456789abcdef';
