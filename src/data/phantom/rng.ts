// The phantom generator's own seeded generator. A phantom must come out byte-identical from the
// same seed in every future labelwise version (tests and demos quote seeds), so the algorithm is
// fixed here and pinned by a test vector rather than borrowed from a library or a sibling module
// that may evolve. Algorithm: SFC32 (Chris Doty-Humphrey's "small fast chaotic" generator, 128-bit
// state), seeded through a SplitMix32 hash so that nearby seeds give unrelated streams.

/** One SplitMix32-style finaliser: a well-mixed 32-bit hash of x. */
function mix32(x: number): number {
  let z = (x + 0x9e3779b9) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * A 32-bit seed derived from a base seed and integer keys (case index, stream number), so every
 * case and every stream within a case has its own unrelated sequence.
 */
export function phantomSeed(seed: number, ...keys: readonly number[]): number {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`Cannot seed the phantom generator: seed must be a non-negative integer. Received: ${seed}`);
  let h = mix32((seed >>> 0) ^ mix32(Math.floor(seed / 0x100000000)));
  for (const k of keys) h = mix32((h ^ Math.imul(k >>> 0, 0x27d4eb2d)) >>> 0);
  return h;
}

/** Seeded uniform and normal draws. */
export class PhantomRng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;
  #spare: number | undefined;

  constructor(seed: number) {
    this.#a = mix32(seed);
    this.#b = mix32(this.#a ^ 0x6a09e667);
    this.#c = mix32(this.#b ^ 0xbb67ae85);
    this.#d = 1;
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** Next 32-bit unsigned integer. */
  nextUint32(): number {
    const t = (((this.#a + this.#b) >>> 0) + this.#d) >>> 0;
    this.#d = (this.#d + 1) >>> 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) >>> 0;
    this.#c = ((this.#c << 21) | (this.#c >>> 11)) >>> 0;
    this.#c = (this.#c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1) with 32 random bits. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Standard normal (Box–Muller, both values used). */
  normal(): number {
    const s = this.#spare;
    if (s !== undefined) {
      this.#spare = undefined;
      return s;
    }
    // 1 − u keeps the logarithm's argument in (0, 1].
    const r = Math.sqrt(-2 * Math.log(1 - this.next()));
    const t = 2 * Math.PI * this.next();
    this.#spare = r * Math.sin(t);
    return r * Math.cos(t);
  }

  /** A uniformly distributed unit vector. */
  direction(): [number, number, number] {
    const z = this.uniform(-1, 1);
    const t = this.uniform(0, 2 * Math.PI);
    const r = Math.sqrt(1 - z * z);
    return [r * Math.cos(t), r * Math.sin(t), z];
  }
}
