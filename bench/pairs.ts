/**
 * Two servers compared in interleaved pairs: each pair measures both, one
 * right after the other (the second first in every other pair), so that a
 * machine whose load drifts, as a shared one does, weighs on both alike. The
 * median of the pairs' ratios is the figure to trust; single pairs on the
 * shared 2-core machine ranged from 0.5x to 2x.
 *
 * ```ts ignore
 * const pairs = await interleave(10, () => measure(one), () => measure(two));
 * console.log(pairsTable(["1 worker", "2 workers"], FIGURES, pairs));
 * ```
 *
 * @module
 */

import { quantile } from "./load10.ts";
import { format, table } from "./report.ts";

/** One measurement: figures by name (req/s, CPU per request, MB/s). */
export type Figures = Record<string, number>;

/** What {@link interleave} measured, pair by pair. */
export interface Pairs {
  /** The first server's figures, one per pair. */
  a: Figures[];
  /** The second server's figures, one per pair. */
  b: Figures[];
}

/**
 * Measures `a` and `b` `pairs` times each, in pairs, `b` first in every
 * other pair.
 */
export async function interleave(
  pairs: number,
  a: () => Promise<Figures>,
  b: () => Promise<Figures>,
): Promise<Pairs> {
  const result: Pairs = { a: [], b: [] };
  for (let i = 0; i < pairs; i++) {
    if (i % 2 === 0) {
      result.a.push(await a());
      result.b.push(await b());
    } else {
      result.b.push(await b());
      result.a.push(await a());
    }
  }
  return result;
}

/** The middle value (the upper one of an even count). */
export function median(values: number[]): number {
  return quantile([...values], 0.5)!;
}

/**
 * A markdown table with a row per figure: each server's median, the median
 * of the pairs' ratios (second / first) and their range.
 *
 * @param names the two servers, as the header names them
 * @param figures the figures to show: their key, and their label
 */
export function pairsTable(
  names: [string, string],
  figures: [key: string, label: string][],
  pairs: Pairs,
): string {
  const rows = figures.map(([key, label]) => {
    const a = pairs.a.map((figures) => figures[key]);
    const b = pairs.b.map((figures) => figures[key]);
    const ratios = a.map((value, i) => b[i] / value);
    return [
      label,
      format(median(a)),
      format(median(b)),
      `${format(median(ratios))}x`,
      `${format(Math.min(...ratios))}-${format(Math.max(...ratios))}`,
    ];
  });
  return table([
    "figure",
    `${names[0]} (median)`,
    `${names[1]} (median)`,
    `ratio, median of ${pairs.a.length} pairs`,
    "ratio range",
  ], rows);
}
