// A small seeded JS random generator for the data pipeline (patch sampling, augmentation). It
// runs in worker threads without the native addon, and its whole state is four 32-bit words, so a
// checkpoint can store it and a batch can be rebuilt from a seed on any thread.
// Algorithm: xoshiro128** (Blackman & Vigna, https://prng.di.unimi.it/), seeded through SplitMix32
// so that nearby seeds give unrelated streams.

/** A serialisable generator state: four unsigned 32-bit words, not all zero. */
export type RngState = readonly [number, number, number, number];

/** One SplitMix32 step: returns [output, next state]. */
function splitmix32(s: number): [number, number] {
  const next = (s + 0x9e3779b9) >>> 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return [(z ^ (z >>> 16)) >>> 0, next];
}

/** FNV-1a over a string's UTF-16 code units (enough to tell stream names apart). */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * A 32-bit seed derived from a base seed and a path of keys, e.g. `mixSeed(seed, "batch", 17)`.
 * Each key is folded in with a SplitMix32 round, so `(seed, "batch", 17)` and `(seed, "batch", 18)`
 * give unrelated seeds, and a component's draws never depend on another component's.
 */
export function mixSeed(seed: number, ...keys: readonly (number | string)[]): number {
  if (!Number.isFinite(seed)) throw new RangeError(`mixSeed: seed must be a finite number. Received: ${seed}`);
  let h = splitmix32(Math.trunc(seed) >>> 0)[0] ^ splitmix32(Math.floor(Math.trunc(seed) / 0x100000000) >>> 0)[0];
  for (const k of keys) {
    const v = typeof k === "number" ? (Math.trunc(k) >>> 0) ^ Math.imul(Math.floor(Math.trunc(k) / 0x100000000) >>> 0, 0x27d4eb2d) : hashString(k);
    h = splitmix32((h ^ v) >>> 0)[0];
  }
  return h >>> 0;
}

/**
 * Seeded uniform, integer and normal draws with a state that can be saved and restored.
 * @example
 * const rng = new Rng(mixSeed(12345, "batch", 0));
 * rng.int(10); rng.uniform(-1, 1); rng.normal();
 * const saved = rng.state(); // restore with Rng.fromState(saved)
 */
export class Rng {
  #s0 = 0;
  #s1 = 0;
  #s2 = 0;
  #s3 = 0;
  /** A spare normal deviate from the last Box-Muller pair (part of the state). */
  #spare: number | null = null;

  /** @param seed any finite number; it is reduced to 32 bits and expanded with SplitMix32 */
  constructor(seed: number) {
    let s = mixSeed(seed);
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [out, next] = splitmix32(s);
      words.push(out);
      s = next;
    }
    this.#set(words as unknown as RngState);
  }

  /** A generator continuing from a saved state (see state()). */
  static fromState(state: RngState | { words: RngState; spare: number | null }): Rng {
    const r = new Rng(0);
    if (Array.isArray(state)) r.#set(state as RngState);
    else {
      const s = state as { words: RngState; spare: number | null };
      r.#set(s.words);
      r.#spare = s.spare;
    }
    return r;
  }

  #set(w: RngState): void {
    if (w.length !== 4 || !w.every((x) => Number.isInteger(x) && x >= 0 && x <= 0xffffffff)) {
      throw new RangeError(`Rng state must be four unsigned 32-bit integers. Received: ${JSON.stringify(w)}`);
    }
    if (w.every((x) => x === 0)) throw new RangeError("Rng state must not be all zero");
    [this.#s0, this.#s1, this.#s2, this.#s3] = w;
  }

  /** The full state (JSON-able), including a pending normal deviate. */
  state(): { words: RngState; spare: number | null } {
    return { words: [this.#s0, this.#s1, this.#s2, this.#s3], spare: this.#spare };
  }

  /** Next unsigned 32-bit integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.#s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.#s1 << 9) >>> 0;
    this.#s2 = (this.#s2 ^ this.#s0) >>> 0;
    this.#s3 = (this.#s3 ^ this.#s1) >>> 0;
    this.#s1 = (this.#s1 ^ this.#s2) >>> 0;
    this.#s0 = (this.#s0 ^ this.#s3) >>> 0;
    this.#s2 = (this.#s2 ^ t) >>> 0;
    this.#s3 = rotl(this.#s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  random(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.random();
  }

  /** Unbiased integer in [0, n) (n ≤ 2^32). */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 0x100000000) throw new RangeError(`Rng.int: n must be an integer in [1, 2^32]. Received: ${n}`);
    const limit = 0x100000000 - (0x100000000 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** true with probability p. */
  chance(p: number): boolean {
    return p >= 1 ? (this.random(), true) : this.random() < p;
  }

  /** A standard normal deviate (Box-Muller; the second of each pair is kept for the next call). */
  normal(): number {
    if (this.#spare !== null) {
      const s = this.#spare;
      this.#spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.random();
    const v = this.random();
    const r = Math.sqrt(-2 * Math.log(u));
    this.#spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** One element of a non-empty list, uniformly. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("Rng.pick: the list is empty");
    return items[this.int(items.length)]!;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
