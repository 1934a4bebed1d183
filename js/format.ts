/** Number formatting shared by the views: counts in K/M/G, bytes in KiB/MiB/GiB, shapes, shares. */

import type { Column, StatValue } from "./types";

export function formatCount(value: number): string {
  const abs = Math.abs(value);
  for (const [unit, scale] of [
    ["T", 1e12],
    ["G", 1e9],
    ["M", 1e6],
    ["K", 1e3],
  ] as const) {
    if (abs >= scale) return `${(value / scale).toFixed(2)} ${unit}`;
  }
  return Number.isInteger(value) ? String(value) : value.toFixed(3);
}

export function formatBytes(value: number): string {
  for (const [unit, scale] of [
    ["TiB", 2 ** 40],
    ["GiB", 2 ** 30],
    ["MiB", 2 ** 20],
    ["KiB", 2 ** 10],
  ] as const) {
    if (Math.abs(value) >= scale) return `${(value / scale).toFixed(2)} ${unit}`;
  }
  return `${value} B`;
}

/** A measured real number (a mean, a std): four significant digits, exponents beyond ~1e±4. */
export function formatValue(value: number): string {
  const abs = Math.abs(value);
  if (abs === 0 || !Number.isFinite(value)) return String(value);
  if (abs >= 1e5 || abs < 1e-3) return value.toExponential(2);
  return String(Number(value.toPrecision(4)));
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/** A statistic as people read it, by its column's kind and unit. */
export function formatStat(column: Column, value: StatValue | undefined): string {
  if (value === undefined || value === null || value === "") return "";
  if (Array.isArray(value)) return value.map((shape) => formatShape(shape)).join(", ");
  if (typeof value === "string") return value;
  if (column.kind === "bytes") return formatBytes(value);
  if (column.kind === "value") return formatValue(value);
  const text = formatCount(value);
  return column.unit === "" ? text : `${text} ${column.unit}`;
}

/** `value` as a percentage of `total`, or "" when there is no meaningful share. */
export function formatShare(value: StatValue | undefined, total: StatValue | undefined): string {
  if (typeof value !== "number" || typeof total !== "number" || total <= 0) return "";
  const share = (100 * value) / total;
  return share >= 0.1 || share === 0 ? `${share.toFixed(1)}%` : "<0.1%";
}
