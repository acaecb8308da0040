/**
 * LatencyHistogram: a log-linear histogram of durations in nanoseconds with bounded memory, for p50/p99/p99.9.
 *
 * Invariants: every recorded value lands in exactly one bucket; a bucket spans at most 1/128 of its lower bound,
 * so a reported percentile is within 0.8% of the true sample (min, max, count and sum are exact). Values below
 * 128 ns are kept exactly; values above ~1.1e12 ns (18 minutes) are clamped to the top bucket.
 * Concurrency: single event loop; not shared across workers.
 */

const SUB_BITS = 7;
const SUB_COUNT = 1 << SUB_BITS; // 128 sub-buckets per power of two
const MAX_EXPONENT = 33; // 2^(33 + 7) ns ~ 1.1e12 ns
const BUCKETS = SUB_COUNT + MAX_EXPONENT * SUB_COUNT;

/** Percentiles and moments of a histogram, in microseconds. */
export interface LatencySummary {
  /** Number of samples. */
  readonly n: number;
  readonly minUs: number;
  readonly meanUs: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly p999Us: number;
  readonly maxUs: number;
}

/** Maps a duration in ns to its bucket index. */
function bucketOf(ns: number): number {
  if (ns < SUB_COUNT) return ns < 0 ? 0 : Math.floor(ns);
  const msb = Math.floor(Math.log2(ns));
  const shift = Math.min(msb - SUB_BITS, MAX_EXPONENT - 1);
  const sub = Math.min(Math.floor(ns / 2 ** shift), 2 * SUB_COUNT - 1); // in [128, 256)
  return SUB_COUNT + shift * SUB_COUNT + (sub - SUB_COUNT);
}

/** The midpoint of a bucket, in ns. */
function bucketValue(index: number): number {
  if (index < SUB_COUNT) return index;
  const shift = Math.floor((index - SUB_COUNT) / SUB_COUNT);
  const sub = ((index - SUB_COUNT) % SUB_COUNT) + SUB_COUNT;
  const low = sub * 2 ** shift;
  return low + (2 ** shift - 1) / 2;
}

/** A latency histogram; record durations in ns, read percentiles in µs. */
export class LatencyHistogram {
  readonly #counts = new Float64Array(BUCKETS);
  #n = 0;
  #sum = 0;
  #min = Number.POSITIVE_INFINITY;
  #max = 0;

  /** Records one duration in nanoseconds. */
  record(ns: number): void {
    this.#counts[bucketOf(ns)]!++;
    this.#n++;
    this.#sum += ns;
    if (ns < this.#min) this.#min = ns;
    if (ns > this.#max) this.#max = ns;
  }

  /** Records a duration given in milliseconds. */
  recordMs(ms: number): void {
    this.record(ms * 1e6);
  }

  /** Adds every sample of `other` to this histogram. */
  merge(other: LatencyHistogram): void {
    for (let i = 0; i < BUCKETS; i++) this.#counts[i]! += other.#counts[i]!;
    this.#n += other.#n;
    this.#sum += other.#sum;
    this.#min = Math.min(this.#min, other.#min);
    this.#max = Math.max(this.#max, other.#max);
  }

  /** Number of samples. */
  get count(): number {
    return this.#n;
  }

  /**
   * The value at quantile `q` in [0, 1], in ns: the smallest bucket whose cumulative count reaches
   * ceil(q * n), clamped to the exact min and max. Undefined with no samples.
   */
  quantileNs(q: number): number | undefined {
    if (this.#n === 0) return undefined;
    const rank = Math.max(1, Math.ceil(q * this.#n));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#counts[i]!;
      if (seen >= rank) return Math.min(this.#max, Math.max(this.#min, bucketValue(i)));
    }
    return this.#max;
  }

  /** Summary in µs, or undefined with no samples. */
  summary(): LatencySummary | undefined {
    if (this.#n === 0) return undefined;
    const us = (ns: number | undefined): number => round3((ns ?? 0) / 1000);
    return {
      n: this.#n,
      minUs: us(this.#min),
      meanUs: us(this.#sum / this.#n),
      p50Us: us(this.quantileNs(0.5)),
      p99Us: us(this.quantileNs(0.99)),
      p999Us: us(this.quantileNs(0.999)),
      maxUs: us(this.#max),
    };
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
