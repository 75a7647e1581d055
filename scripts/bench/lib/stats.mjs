// @ts-check
// Small statistics for the report: order statistics only (no means over
// skewed timing data).

/** @param {readonly number[]} xs */
export function sorted(xs) {
  return [...xs].sort((a, b) => a - b);
}

/** Nearest-rank percentile (p in [0, 100]) of already sorted data. @param {readonly number[]} s @param {number} p */
export function percentile(s, p) {
  if (s.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * s.length);
  return /** @type {number} */ (s[Math.min(s.length - 1, Math.max(0, rank - 1))]);
}

/** @param {readonly number[]} xs */
export function median(xs) {
  const s = sorted(xs);
  if (s.length === 0) return NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? /** @type {number} */ (s[mid]) : (/** @type {number} */ (s[mid - 1]) + /** @type {number} */ (s[mid])) / 2;
}

/** @param {readonly number[]} xs */
export function summary(xs) {
  const s = sorted(xs);
  return { n: s.length, median: median(s), min: s[0] ?? NaN, max: s[s.length - 1] ?? NaN };
}

/** Latency summary in milliseconds from nanosecond samples. @param {readonly number[]} ns */
export function latencySummary(ns) {
  const s = sorted(ns);
  const ms = (/** @type {number} */ v) => v / 1e6;
  return {
    n: s.length,
    p50: ms(percentile(s, 50)),
    p90: ms(percentile(s, 90)),
    p99: ms(percentile(s, 99)),
    max: ms(s[s.length - 1] ?? NaN),
    min: ms(s[0] ?? NaN),
  };
}
