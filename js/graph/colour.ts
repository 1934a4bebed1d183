/** Pure: statistic values → shading strengths in [0, 1], on a log scale when they span decades. */

export interface Scale {
  /** Strength for a value, or null when there is nothing to shade (missing or zero). */
  at(value: number | undefined): number | null;
  min: number;
  max: number;
  log: boolean;
}

/** Decades between the smallest and largest positive value beyond which a log scale reads better. */
const LOG_SPAN = 100;

export function metricScale(values: readonly (number | undefined)[]): Scale {
  const positive = values.filter(
    (v): v is number => typeof v === "number" && Number.isFinite(v) && v > 0,
  );
  if (positive.length === 0) return { at: () => null, min: 0, max: 0, log: false };
  // loops, not Math.min(...values): spreading 100,000 arguments overflows the stack
  let min = Number.POSITIVE_INFINITY;
  let max = 0;
  for (const v of positive) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const log = max / min > LOG_SPAN;
  const at = (value: number | undefined): number | null => {
    if (typeof value !== "number" || !(value > 0)) return null;
    if (max === min) return 1;
    const t = log ? Math.log(value / min) / Math.log(max / min) : (value - min) / (max - min);
    // the smallest value still shows a tint, so "small" differs from "nothing"
    return 0.1 + 0.9 * Math.min(1, Math.max(0, t));
  };
  return { at, min, max, log };
}
