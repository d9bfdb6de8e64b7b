/**
 * Every statistic of one numeric column from its values read twice in any order (see
 * column-spill.ts), with memory bounded by the number of bins, not of values. This is
 * the fine-bin method of analyzer/stats/fine-bins.ts, run where the values are:
 *
 *  1. Fine bins: each value goes to one of K bins (K ~ values / 32, at most 16,384: one
 *     64-byte record per bin, 1 MB in all, so a value costs one cache line that stays
 *     close to the core; measured on the 2-core box with two threads binning, 65,536
 *     bins made the whole analysis ~30% slower, cache misses outweighing less refinement) by
 *     x -> y = (x - centre) / scale -> t = y / (1 + |y|) -> floor((t + 1) K / 2):
 *     branch-free, roughly equal counts per bin for normal and heavy-tailed data alike
 *     (centre: the sample's median, scale: half its interquartile range). On the bench
 *     data (2M values, ~120 a bin) this leaves 5-15% of the values of a column without
 *     drift to refine, far less with drift.
 *     Floating-point rounding can make that map step back by one bin at a bin boundary,
 *     so bins whose value ranges overlap are merged; after that, bins are disjoint
 *     ascending value ranges. Per bin: counts per side, min, max, and sums of
 *     (x - anchor) per side and (x - anchor)^2 of the reference (anchor: the bin's first
 *     value, so the sums suffer no cancellation).
 *  2. Which bins need their values: where the KS maximum may lie or the CDF difference
 *     may change sign (fineBinsToRefine's rule), those holding the reference order
 *     statistics the decile edges use, and those straddling an edge. A bin holding a
 *     single distinct value (min = max) never needs them.
 *  3. A second read collects the values of those bins; sorted, they give exact value
 *     counts there, and foldFineBins' fold gives the exact KS numerator and the
 *     Wasserstein-1 integral (closed form from counts and anchored sums elsewhere).
 *
 * When the bins holding more than one distinct value hold few values altogether (small
 * windows, discrete or rounded data), all of them are refined: the complete sorted
 * value-count stream then goes through NumericStreamFold exactly as in the offline
 * engine, and every number equals analyzeNumericColumn's bit for bit.
 * On the fine-bin path KS, PSI, Jensen-Shannon, edges, bin counts, counts and
 * out-of-range shares are exact as well. Wasserstein-1 is the integral computed exactly
 * up to the rounding of per-bin sums, in a different order than the offline fold: equal
 * to it in all but rare last-bit cases (48 of 48 continuous bench columns equal), and,
 * since the sums follow the order rows arrive in, equal from run to run in all but rare
 * last-bit cases too. The reference standard deviation (for the normalised Wasserstein)
 * comes from per-bin moments instead of Welford in sorted order: ~1e-13 relative apart,
 * up to ~4e-11 where Welford itself loses digits (values like 1.7e9 +- 2.5e4, where this
 * one matches numpy and exact arithmetic). Ties (a note) are found where they are visible
 * (single-valued bins, refined bins, the sample); scattered single repeats among
 * millions of distinct values are not looked for, since finding them costs a hash
 * lookup per value.
 */
import {
  analyzeNumericFromSummary,
  binIndex,
  DECILE_PROBABILITIES,
  decileEdgesFromRanks,
  decileRanks,
  forEachValueCount,
  NumericStreamFold,
  type NumericBins,
  type NumericColumnMetrics,
  type NumericSideExtras,
  type NumericStreamSummary,
} from '../stats/index.js';
import { CompensatedSum } from '../stats/compensated-sum.js';

/** A column's values per side, readable any number of times in chunks. */
export interface ColumnValues {
  readonly referenceCount: number;
  readonly currentCount: number;
  /** Calls visit with successive chunks of one side's values (a chunk is reused after the call). */
  forEachChunk(side: 0 | 1, visit: (chunk: Float64Array) => void): void;
}

/** Up to this many values in multi-valued bins, all bins are refined (the exact stream path). */
export const COMPLETE_REFINEMENT_LIMIT = 65_536;
/** Refined values held at once per side (2 MB); at least COMPLETE_REFINEMENT_LIMIT, so the complete path takes one read. */
export const REFINEMENT_BUDGET = 262_144;
const VALUES_PER_BIN = 32;
const MIN_BINS = 256;
const MAX_BINS = 16_384;

export interface FineBinColumnOptions {
  /** Evenly spread values of the column (both sides), to place the bins. */
  sample: ArrayLike<number>;
  /** Decile edges to use as given (a frozen reference); null: computed from the reference. */
  frozenEdges: readonly number[] | null;
  extras?: NumericSideExtras;
  /** Refined values held at once per side; default REFINEMENT_BUDGET (tests make it small). */
  refinementBudget?: number;
}

export interface FineBinColumnResult {
  metrics: NumericColumnMetrics;
  /** The decile edges used (computed or frozen). */
  edges: number[];
  path: 'complete' | 'fine-bins';
  bins: number;
  /** Values collected in the second read. */
  refinedValues: number;
  /** Milliseconds spent in the first read, the second read, and the rest. */
  timings: { bins: number; refine: number; fold: number };
}

interface Binning {
  centre: number;
  inverseScale: number;
  half: number; // K / 2
  count: number; // K
}

function binningFor(sample: ArrayLike<number>, totalValues: number): { binning: Binning; sampleHasTies: boolean } {
  let count = MIN_BINS;
  while (count < MAX_BINS && count * VALUES_PER_BIN < totalValues) count *= 2;
  const sorted = Float64Array.from(sample).sort();
  let sampleHasTies = false;
  for (let i = 1; i < sorted.length && !sampleHasTies; i++) sampleHasTies = sorted[i] === sorted[i - 1];
  const at = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
  const centre = sorted.length > 0 ? at(0.5) : 0;
  let scale = sorted.length > 0 ? (at(0.75) - at(0.25)) / 2 : 1;
  if (!(scale > 0) || !Number.isFinite(scale)) scale = sorted.length > 0 ? (sorted[sorted.length - 1]! - sorted[0]!) / 2 : 1;
  if (!(scale > 0) || !Number.isFinite(scale)) scale = Math.abs(centre) > 0 && Number.isFinite(centre) ? Math.abs(centre) : 1;
  let inverseScale = 1 / scale;
  if (!Number.isFinite(inverseScale)) inverseScale = 1e300;
  return { binning: { centre, inverseScale, half: count / 2, count }, sampleHasTies };
}

/** The fine bin of x (see the module comment; nearly monotone, overlaps are merged afterwards). */
function binOf(x: number, centre: number, inverseScale: number, half: number, count: number): number {
  const y = (x - centre) * inverseScale;
  const position = (y / (1 + Math.abs(y)) + 1) * half;
  if (position < count) return position | 0;
  // position = K only for t = 1; NaN only for |y| = Infinity (an overflowing value).
  return position === position || y > 0 ? count - 1 : 0;
}

// Per-bin record in read 1, 8 doubles (one cache line): the hot loop touches one line per value.
const RECORD = 8;
const REFERENCE = 0;
const CURRENT = 1;
const MIN = 2;
const MAX = 3;
const ANCHOR = 4; // the bin's first value; sums below are of (x - anchor), free of cancellation
const REFERENCE_OFFSET = 5;
const CURRENT_OFFSET = 6;
const REFERENCE_SQUARES = 7;

/** Read 1 over one chunk of one side: bin records, and the reference extremes (in `extremes`). */
function binChunk(chunk: Float64Array, side: 0 | 1, records: Float64Array, binning: Binning, extremes: Float64Array): void {
  const { centre, inverseScale, half, count } = binning;
  const countSlot = side === 0 ? REFERENCE : CURRENT;
  const offsetSlot = side === 0 ? REFERENCE_OFFSET : CURRENT_OFFSET;
  let low = extremes[0]!;
  let high = extremes[1]!;
  for (let i = 0; i < chunk.length; i++) {
    const x = chunk[i]!;
    const o = binOf(x, centre, inverseScale, half, count) * RECORD;
    records[o + countSlot]! += 1;
    if (x < records[o + MIN]!) records[o + MIN] = x;
    if (x > records[o + MAX]!) records[o + MAX] = x;
    let anchor = records[o + ANCHOR]!;
    if (anchor !== anchor) records[o + ANCHOR] = anchor = x;
    const offset = x - anchor;
    records[o + offsetSlot]! += offset;
    if (side === 0) {
      records[o + REFERENCE_SQUARES]! += offset * offset;
      if (x < low) low = x;
      if (x > high) high = x;
    }
  }
  extremes[0] = low;
  extremes[1] = high;
}

/** Read 2 over one chunk: values of flagged bins (into their group's segment), and (current side) values outside the reference range. */
function refineChunk(chunk: Float64Array, side: 0 | 1, refinedGroupOfBin: Int32Array, binning: Binning, refined: GroupedValues, outside: Float64Array | null, extremes: Float64Array): void {
  const { centre, inverseScale, half, count } = binning;
  const low = extremes[0]!;
  const high = extremes[1]!;
  let below = 0;
  let above = 0;
  for (let i = 0; i < chunk.length; i++) {
    const x = chunk[i]!;
    const group = refinedGroupOfBin[binOf(x, centre, inverseScale, half, count)]!;
    if (group >= 0) refined.push(group, x);
    if (side === 1 && outside !== null) {
      if (x < low) below++;
      else if (x > high) above++;
    }
  }
  if (outside === null) return;
  outside[0]! += below;
  outside[1]! += above;
}

/**
 * Typed arrays reused from column to column: a worker thread analyses many columns, and
 * fresh buffers for each would pile up faster than the collector frees them (measured:
 * ~60 MB more peak memory per thread). Each name is one buffer; a view is valid until
 * the same name is asked for again, so results never keep one.
 */
const scratch = new Map<string, Float64Array | Int32Array | Uint8Array>();
function reuse<T extends Float64Array | Int32Array | Uint8Array>(name: string, type: { new (length: number): T }, length: number): T {
  let buffer = scratch.get(name) as T | undefined;
  if (buffer === undefined || buffer.length < length) {
    // Powers of two: a buffer grown a little at a time would leave a trail of old ones
    // for the next full collection (measured: ~15 MB more per thread at 2 x 1M rows).
    buffer = new type(Math.max(1024, 2 ** Math.ceil(Math.log2(length))));
    scratch.set(name, buffer);
  }
  return buffer.subarray(0, length) as T;
}

/**
 * One side's refined values of a run of groups, each group's in its own segment, sized in
 * advance from the group's count (a column read twice holds no surprises). Groups are
 * disjoint ascending ranges, so sorting each segment sorts the whole: measured on the
 * bench's columns, segments of ~120 values sort in 40% of the time one sort of the side takes.
 */
class GroupedValues {
  readonly values: Float64Array;
  private readonly next: Int32Array;
  private readonly end: Int32Array;

  constructor(side: 0 | 1, groups: Bins, flags: Uint8Array, readonly from: number, readonly to: number) {
    const counts = side === 0 ? groups.reference : groups.current;
    this.next = reuse(`next${side}`, Int32Array, groups.count);
    this.end = reuse(`end${side}`, Int32Array, groups.count);
    let at = 0;
    for (let g = from; g < to; g++) {
      this.next[g] = at;
      if (flags[g] !== FOLDED) at += counts[g]!;
      this.end[g] = at;
    }
    this.values = reuse(`refined${side}`, Float64Array, at);
  }

  get length(): number {
    return this.values.length;
  }

  push(group: number, value: number): void {
    const at = this.next[group]!;
    if (at === this.end[group]) throw new RangeError(`more refined values than fine bin ${group} counted: the data changed between the two reads`);
    this.values[at] = value;
    this.next[group] = at + 1;
  }

  sorted(): Float64Array {
    let start = 0;
    for (let g = this.from; g < this.to; g++) {
      const end = this.end[g]!;
      if (this.next[g] !== end) throw new RangeError(`fewer refined values than fine bin ${g} counted: the data changed between the two reads`);
      if (end - start > 1) this.values.subarray(start, end).sort();
      start = end;
    }
    return this.values;
  }
}

/**
 * Groups [from, to) whose refined values fit in `budget` values per side (a larger group
 * alone), covering every group: the second read is repeated per run, so a thread holds at
 * most a budget's worth of values whatever the window (measured at 2 x 1M rows: up to 35%
 * of a column's values are refined, 5.5 MB, reallocated from column to column).
 */
function refinementRuns(groups: Bins, flags: Uint8Array, budget: number): Array<[from: number, to: number]> {
  const runs: Array<[number, number]> = [];
  let from = 0;
  let reference = 0;
  let current = 0;
  for (let g = 0; g < groups.count; g++) {
    if (flags[g] === FOLDED) continue;
    const r = groups.reference[g]!;
    const c = groups.current[g]!;
    if (g > from && (reference + r > budget || current + c > budget)) {
      runs.push([from, g]);
      from = g;
      reference = 0;
      current = 0;
    }
    reference += r;
    current += c;
  }
  runs.push([from, groups.count]);
  return runs;
}

/** Per-group aggregates: a group is a bin, or consecutive bins merged because their ranges overlapped. */
interface Bins {
  count: number;
  reference: Float64Array;
  current: Float64Array;
  min: Float64Array;
  max: Float64Array;
  anchor: Float64Array;
  referenceOffset: Float64Array; // sum of (x - anchor) over the reference values
  currentOffset: Float64Array;
  referenceSquares: Float64Array; // sum of (x - anchor)^2 over the reference values
}

function emptyBins(count: number): Bins {
  return {
    count,
    reference: reuse('reference', Float64Array, count).fill(0),
    current: reuse('current', Float64Array, count).fill(0),
    min: reuse('min', Float64Array, count).fill(Infinity),
    max: reuse('max', Float64Array, count).fill(-Infinity),
    anchor: reuse('anchor', Float64Array, count).fill(NaN),
    referenceOffset: reuse('referenceOffset', Float64Array, count).fill(0),
    currentOffset: reuse('currentOffset', Float64Array, count).fill(0),
    referenceSquares: reuse('referenceSquares', Float64Array, count).fill(0),
  };
}

function readBins(values: ColumnValues, binning: Binning): { records: Float64Array; referenceMin: number; referenceMax: number } {
  const K = binning.count;
  // The records: 1 MB at most, reused.
  const records = reuse('records', Float64Array, K * RECORD).fill(0);
  for (let bin = 0; bin < K; bin++) {
    records[bin * RECORD + MIN] = Infinity;
    records[bin * RECORD + MAX] = -Infinity;
    records[bin * RECORD + ANCHOR] = NaN;
  }
  const extremes = Float64Array.of(Infinity, -Infinity);
  for (const side of [0, 1] as const) values.forEachChunk(side, (chunk) => binChunk(chunk, side, records, binning, extremes));
  return { records, referenceMin: extremes[0]!, referenceMax: extremes[1]! };
}

/**
 * Compacts the non-empty bins into ascending, disjoint groups (merging any whose value
 * ranges overlap) and returns bin -> group, so the second read finds a value's group.
 * A merged group's anchored sums are moved to its first bin's anchor.
 */
function compactBins(records: Float64Array, K: number): { groups: Bins; groupOfBin: Int32Array } {
  // Non-empty bins in order; a stack of groups (first member, min, max) merges overlaps.
  const members = reuse('members', Int32Array, K);
  let used = 0;
  for (let bin = 0; bin < K; bin++) if (records[bin * RECORD + REFERENCE]! + records[bin * RECORD + CURRENT]! > 0) members[used++] = bin;
  const firstMember = reuse('firstMember', Int32Array, used + 1);
  const groupMin = reuse('groupMin', Float64Array, used);
  const groupMax = reuse('groupMax', Float64Array, used);
  let top = 0;
  for (let e = 0; e < used; e++) {
    const o = members[e]! * RECORD;
    let start = e;
    let min = records[o + MIN]!;
    let max = records[o + MAX]!;
    while (top > 0 && groupMax[top - 1]! >= min) {
      top--;
      start = firstMember[top]!;
      min = Math.min(min, groupMin[top]!);
      max = Math.max(max, groupMax[top]!);
    }
    firstMember[top] = start;
    groupMin[top] = min;
    groupMax[top] = max;
    top++;
  }
  firstMember[top] = used;
  const groupOfBin = reuse('groupOfBin', Int32Array, K).fill(-1);
  const groups = emptyBins(top);
  for (let g = 0; g < top; g++) {
    const anchor = records[members[firstMember[g]!]! * RECORD + ANCHOR]!;
    groups.anchor[g] = anchor;
    groups.min[g] = groupMin[g]!;
    groups.max[g] = groupMax[g]!;
    for (let e = firstMember[g]!; e < firstMember[g + 1]!; e++) {
      const bin = members[e]!;
      groupOfBin[bin] = g;
      const o = bin * RECORD;
      const r = records[o + REFERENCE]!;
      const c = records[o + CURRENT]!;
      const shift = records[o + ANCHOR]! - anchor; // 0 for a group of one bin
      groups.reference[g]! += r;
      groups.current[g]! += c;
      groups.referenceOffset[g]! += records[o + REFERENCE_OFFSET]! + (shift === 0 ? 0 : r * shift);
      groups.currentOffset[g]! += records[o + CURRENT_OFFSET]! + (shift === 0 ? 0 : c * shift);
      groups.referenceSquares[g]! +=
        records[o + REFERENCE_SQUARES]! + (shift === 0 ? 0 : 2 * shift * records[o + REFERENCE_OFFSET]! + r * shift * shift);
    }
  }
  return { groups, groupOfBin };
}

export function analyzeColumnValues(values: ColumnValues, options: FineBinColumnOptions): FineBinColumnResult {
  const n = values.referenceCount;
  const m = values.currentCount;
  const { binning, sampleHasTies } = binningFor(options.sample, n + m);

  const started = performance.now();
  // Read 1: fine bins.
  const { records, referenceMin, referenceMax } = readBins(values, binning);
  const binned = performance.now();
  const { groups, groupOfBin } = compactBins(records, binning.count);
  const refine = chooseRefinement(groups, n, m, options.frozenEdges);

  // Read 2, once per run of groups: their refined values (sorted, resolved and folded
  // before the next run reuses the buffers), and, the first time, current values outside
  // the reference range.
  const resolved = emptyResolved(groups, refine.flags);
  const fold = new FineFold(n, m);
  const refinedGroupOfBin = reuse('refinedGroupOfBin', Int32Array, binning.count);
  const extremes = Float64Array.of(referenceMin, referenceMax);
  const outside = new Float64Array(2);
  let refinedValues = 0;
  let collecting = 0;
  const runs = refinementRuns(groups, refine.flags, options.refinementBudget ?? REFINEMENT_BUDGET);
  for (const [from, to] of runs) {
    const collectStarted = performance.now();
    const refinedBySide = [new GroupedValues(0, groups, refine.flags, from, to), new GroupedValues(1, groups, refine.flags, from, to)] as const;
    refinedGroupOfBin.fill(-1);
    for (let bin = 0; bin < binning.count; bin++) {
      const group = groupOfBin[bin]!;
      if (group >= from && group < to && refine.flags[group] !== FOLDED) refinedGroupOfBin[bin] = group;
    }
    const countOutside = from === 0;
    for (const side of [0, 1] as const) {
      values.forEachChunk(side, (chunk) => refineChunk(chunk, side, refinedGroupOfBin, binning, refinedBySide[side], countOutside ? outside : null, extremes));
    }
    collecting += performance.now() - collectStarted;
    resolveGroups(groups, refine.flags, refinedBySide[0].sorted(), refinedBySide[1].sorted(), from, to, resolved);
    if (!refine.complete) fold.add(groups, resolved, from, to);
    refinedValues += refinedBySide[0].length + refinedBySide[1].length;
  }
  resolved.referenceAt.fill(-1, 0, groups.count); // the sorted values they point into are gone
  const [currentBelow, currentAbove] = outside as unknown as [number, number];
  const timings = (): FineBinColumnResult['timings'] => ({ bins: binned - started, refine: collecting, fold: performance.now() - started - (binned - started) - collecting });

  if (refine.complete) {
    const { summary, edges, bins } = foldComplete(resolved, n, m, options.frozenEdges);
    return { metrics: analyzeNumericFromSummary(summary, bins, options.extras), edges, path: 'complete', bins: binning.count, refinedValues, timings: timings() };
  }

  const folded = fold.finish();
  const edges = options.frozenEdges !== null ? [...options.frozenEdges] : edgesFromRanks(groups, resolved, n);
  const decileBins = countBelowEdges(groups, resolved, edges, n, m);
  let ties = sampleHasTies || folded.tiesInRefined;
  for (let g = 0; g < groups.count && !ties; g++) ties = groups.min[g] === groups.max[g] && groups.reference[g]! + groups.current[g]! > 1;
  const moments = referenceMoments(groups, n);
  const summary: NumericStreamSummary = {
    referenceCount: n,
    currentCount: m,
    distinctValues: n + m - (ties ? 1 : 0),
    ksMaxDiff: folded.ksMaxDiff,
    wasserstein: n > 0 && m > 0 ? folded.area / (n * m) : null,
    referenceMin: n > 0 ? referenceMin : null,
    referenceMax: n > 0 ? referenceMax : null,
    referenceMean: n > 0 ? moments.mean : null,
    referenceStd: n > 0 ? moments.std : null,
    currentBelowReference: n > 0 ? currentBelow : 0,
    currentAboveReference: n > 0 ? currentAbove : 0,
  };
  return { metrics: analyzeNumericFromSummary(summary, decileBins, options.extras), edges, path: 'fine-bins', bins: binning.count, refinedValues, timings: timings() };
}

/**
 * Mean and population standard deviation of the reference from the per-group anchored
 * sums: sum (x - mean)^2 = sum_groups [S2 + 2 (anchor - mean) S1 + r (anchor - mean)^2].
 */
function referenceMoments(groups: Bins, n: number): { mean: number; std: number } {
  if (n === 0) return { mean: 0, std: 0 };
  const total = new CompensatedSum();
  for (let g = 0; g < groups.count; g++) {
    const r = groups.reference[g]!;
    if (r === 0) continue;
    total.add(r * groups.anchor[g]!);
    total.add(groups.referenceOffset[g]!);
  }
  const mean = total.value / n;
  const squares = new CompensatedSum();
  for (let g = 0; g < groups.count; g++) {
    const r = groups.reference[g]!;
    if (r === 0) continue;
    const shift = groups.anchor[g]! - mean;
    squares.add(groups.referenceSquares[g]!);
    squares.add(2 * shift * groups.referenceOffset[g]!);
    squares.add(r * shift * shift);
  }
  // NaN only from Infinity - Infinity: squares beyond the double range, an infinite spread.
  const variance = squares.value !== squares.value ? Infinity : Math.max(0, squares.value) / n;
  return { mean, std: Math.sqrt(variance) };
}

/**
 * Per-group flags. Groups whose exact runs are needed after the fold (decile ranks and
 * edges, and every group on the complete path) keep them; the others, often a third of a
 * column's values, are folded straight from their sorted values and let go, so a thread's
 * memory grows with the values of one column only, not with three copies of them.
 */
const FOLDED = 0;
const REFINE = 1;
const REFINE_AND_KEEP = 2;

interface Refinement {
  /** FOLDED, REFINE or REFINE_AND_KEEP per group. */
  flags: Uint8Array;
  complete: boolean;
}

function chooseRefinement(groups: Bins, n: number, m: number, frozenEdges: readonly number[] | null): Refinement {
  const count = groups.count;
  const flags = reuse('flags', Uint8Array, count).fill(0);
  const multiValued = (g: number): boolean => groups.min[g]! < groups.max[g]!;
  let multiValuedValues = 0;
  for (let g = 0; g < count; g++) if (multiValued(g)) multiValuedValues += groups.reference[g]! + groups.current[g]!;
  const complete = multiValuedValues <= COMPLETE_REFINEMENT_LIMIT;
  if (complete) {
    for (let g = 0; g < count; g++) if (multiValued(g)) flags[g] = REFINE_AND_KEEP;
  } else {
    flagKolmogorovAndSign(groups, n, m, flags);
    if (frozenEdges !== null) flagStraddled(groups, frozenEdges, flags);
    else flagOrderStatistics(groups, n, flags);
    for (let g = 0; g < count; g++) if (!multiValued(g)) flags[g] = FOLDED;
  }
  return { flags, complete };
}

/** fineBinsToRefine's rule: groups that could hold the KS maximum or where G may change sign. */
function flagKolmogorovAndSign(groups: Bins, n: number, m: number, flags: Uint8Array): void {
  let a = 0;
  let b = 0;
  let knownMax = 0;
  for (let g = 0; g < groups.count; g++) {
    a += groups.reference[g]!;
    b += groups.current[g]!;
    knownMax = Math.max(knownMax, Math.abs(a * m - b * n));
  }
  a = 0;
  b = 0;
  for (let g = 0; g < groups.count; g++) {
    const r = groups.reference[g]!;
    const c = groups.current[g]!;
    const high = (a + r) * m - b * n;
    const low = a * m - (b + c) * n;
    if (Math.max(Math.abs(low), Math.abs(high)) > knownMax || (low < 0 && high > 0)) flags[g] = REFINE;
    a += r;
    b += c;
  }
}

/** Groups holding the reference order statistics of the decile edges, and every group between two that one edge interpolates. */
function flagOrderStatistics(groups: Bins, n: number, flags: Uint8Array): void {
  if (n === 0) return;
  const cumulative = reuse('cumulative', Float64Array, groups.count);
  let seen = 0;
  for (let g = 0; g < groups.count; g++) cumulative[g] = seen += groups.reference[g]!;
  const groupOfRank = (rank: number): number => {
    let low = 0;
    let high = groups.count - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (cumulative[middle]! > rank) high = middle;
      else low = middle + 1;
    }
    return low;
  };
  for (const p of DECILE_PROBABILITIES) {
    const position = (n - 1) * p;
    const lower = Math.min(Math.floor(position), n - 1);
    const upper = position > lower && lower + 1 < n ? lower + 1 : lower;
    for (let g = groupOfRank(lower); g <= groupOfRank(upper); g++) flags[g] = REFINE_AND_KEEP;
  }
}

/** Groups with values on both sides of a given edge. */
function flagStraddled(groups: Bins, edges: readonly number[], flags: Uint8Array): void {
  for (const edge of edges) {
    for (let g = 0; g < groups.count; g++) if (groups.min[g]! < edge && edge <= groups.max[g]!) flags[g] = REFINE_AND_KEEP;
  }
}

/**
 * Exact (value, reference count, current count) runs of the kept and single-valued groups,
 * in order, and where the sorted values of the other refined groups are.
 */
interface ResolvedGroups {
  /** First and one-past-last run of each group; start = -1 for a group without stored runs. */
  start: Int32Array;
  end: Int32Array;
  length: number;
  value: Float64Array;
  reference: Float64Array;
  current: Float64Array;
  /** REFINE groups: their first sorted value per side (-1 elsewhere), in `sortedReference` / `sortedCurrent`. */
  referenceAt: Int32Array;
  currentAt: Int32Array;
  sortedReference: Float64Array;
  sortedCurrent: Float64Array;
}

function emptyResolved(groups: Bins, flags: Uint8Array): ResolvedGroups {
  let kept = 0;
  for (let g = 0; g < groups.count; g++) if (flags[g] === REFINE_AND_KEEP) kept += groups.reference[g]! + groups.current[g]!;
  const size = groups.count + kept;
  return {
    start: reuse('start', Int32Array, groups.count).fill(-1),
    end: reuse('end', Int32Array, groups.count).fill(-1),
    length: 0,
    value: reuse('value', Float64Array, size),
    reference: reuse('resolvedReference', Float64Array, size),
    current: reuse('resolvedCurrent', Float64Array, size),
    referenceAt: reuse('referenceAt', Int32Array, groups.count).fill(-1),
    currentAt: reuse('currentAt', Int32Array, groups.count).fill(-1),
    sortedReference: new Float64Array(0),
    sortedCurrent: new Float64Array(0),
  };
}

/** Resolves groups [from, to) into `resolved` from their sorted refined values (see ResolvedGroups). */
function resolveGroups(groups: Bins, flags: Uint8Array, reference: Float64Array, current: Float64Array, from: number, to: number, resolved: ResolvedGroups): void {
  resolved.sortedReference = reference;
  resolved.sortedCurrent = current;
  let i = 0;
  let j = 0;
  const record = (value: number, referenceCount: number, currentCount: number): void => {
    resolved.value[resolved.length] = value;
    resolved.reference[resolved.length] = referenceCount;
    resolved.current[resolved.length] = currentCount;
    resolved.length++;
  };
  for (let g = from; g < to; g++) {
    const r = groups.reference[g]!;
    const c = groups.current[g]!;
    if (flags[g] === FOLDED) {
      if (groups.min[g] !== groups.max[g]) continue;
      resolved.start[g] = resolved.length;
      record(groups.min[g]!, r, c);
      resolved.end[g] = resolved.length;
      continue;
    }
    // The sorted refined values of this group are the next r (c) ones: groups are disjoint ascending ranges.
    if (i + r > reference.length || j + c > current.length) {
      throw new RangeError(`fewer refined values than fine bin ${g} counted: the data changed between the two reads`);
    }
    const first = Math.min(r > 0 ? reference[i]! : Infinity, c > 0 ? current[j]! : Infinity);
    const last = Math.max(r > 0 ? reference[i + r - 1]! : -Infinity, c > 0 ? current[j + c - 1]! : -Infinity);
    if (!(first === groups.min[g] && last === groups.max[g])) {
      throw new RangeError(`refined values of fine bin ${g} do not match its range: the data changed between the two reads`);
    }
    if (flags[g] === REFINE_AND_KEEP) {
      resolved.start[g] = resolved.length;
      forEachValueCount(reference.subarray(i, i + r), current.subarray(j, j + c), record);
      resolved.end[g] = resolved.length;
    } else {
      resolved.referenceAt[g] = i;
      resolved.currentAt[g] = j;
    }
    i += r;
    j += c;
  }
  if (i !== reference.length || j !== current.length) throw new RangeError('refined values do not add up to the refined bins');
}

/** Every group resolved: the offline engine's own fold over the complete stream. */
function foldComplete(
  resolved: ResolvedGroups,
  n: number,
  m: number,
  frozenEdges: readonly number[] | null,
): { summary: NumericStreamSummary; edges: number[]; bins: NumericBins & { edges: number[] } } {
  const fold = new NumericStreamFold({ referenceCount: n, currentCount: m });
  const length = resolved.length;
  for (let s = 0; s < length; s++) fold.add(resolved.value[s]! + 0, resolved.reference[s]!, resolved.current[s]!);
  const summary = fold.finish();
  let edges: number[];
  if (frozenEdges !== null) edges = [...frozenEdges];
  else {
    const wanted = decileRanks(n);
    const byRank = new Map<number, number>();
    let seen = 0;
    let next = 0;
    for (let s = 0; s < length && next < wanted.length; s++) {
      seen += resolved.reference[s]!;
      while (next < wanted.length && wanted[next]! < seen) byRank.set(wanted[next++]!, resolved.value[s]!);
    }
    edges = decileEdgesFromRanks(n, byRank);
  }
  const referenceCounts = new Array<number>(edges.length + 1).fill(0);
  const currentCounts = new Array<number>(edges.length + 1).fill(0);
  for (let s = 0; s < length; s++) {
    const bin = binIndex(edges, resolved.value[s]!);
    referenceCounts[bin]! += resolved.reference[s]!;
    currentCounts[bin]! += resolved.current[s]!;
  }
  return { summary, edges, bins: { edges, referenceCounts, currentCounts } };
}

/**
 * foldFineBins over typed arrays, group after group in order (in runs, see
 * refinementRuns), with each unrefined group's integral from its anchored sums.
 */
class FineFold {
  private readonly area = new CompensatedSum();
  private a = 0;
  private b = 0;
  private maxDiff = 0;
  private previousMax = NaN;
  private tiesInRefined = false;
  private position = 0;
  /** One exact run, in order: the stored runs and the runs of the refined groups not kept alike. */
  private readonly step = (value: number, referenceCount: number, currentCount: number): void => {
    const { n, m } = this;
    this.area.add(Math.abs(this.a * m - this.b * n) * (value - this.position));
    this.a += referenceCount;
    this.b += currentCount;
    if (referenceCount + currentCount > 1) this.tiesInRefined = true;
    const diff = Math.abs(this.a * m - this.b * n);
    if (diff > this.maxDiff) this.maxDiff = diff;
    this.position = value;
  };

  constructor(private readonly n: number, private readonly m: number) {}

  /** Folds groups [from, to), the groups before them folded already. */
  add(groups: Bins, resolved: ResolvedGroups, from: number, to: number): void {
    const { n, m, area } = this;
    for (let g = from; g < to; g++) {
      const r = groups.reference[g]!;
      const c = groups.current[g]!;
      const min = groups.min[g]!;
      const max = groups.max[g]!;
      const before = this.a * m - this.b * n;
      if (this.previousMax === this.previousMax && before !== 0) area.add(Math.abs(before) * (min - this.previousMax));
      const start = resolved.start[g]!;
      const referenceAt = resolved.referenceAt[g]!;
      if (start >= 0 || referenceAt >= 0) {
        this.position = min;
        if (start >= 0) for (let s = start; s < resolved.end[g]!; s++) this.step(resolved.value[s]!, resolved.reference[s]!, resolved.current[s]!);
        else {
          const currentAt = resolved.currentAt[g]!;
          forEachValueCount(resolved.sortedReference.subarray(referenceAt, referenceAt + r), resolved.sortedCurrent.subarray(currentAt, currentAt + c), this.step);
        }
        area.add(Math.abs(this.a * m - this.b * n) * (max - this.position));
      } else {
        // G keeps one sign across the group (else it would have been refined), so
        // integral |G| = |G0 (max - min) + m sum_ref (max - x) - n sum_cur (max - x)|.
        const anchor = groups.anchor[g]!;
        const referenceBelowMax = r * (max - anchor) - groups.referenceOffset[g]!;
        const currentBelowMax = c * (max - anchor) - groups.currentOffset[g]!;
        area.add(Math.abs(before * (max - min) + m * referenceBelowMax - n * currentBelowMax));
        this.a += r;
        this.b += c;
        const diff = Math.abs(this.a * m - this.b * n);
        if (diff > this.maxDiff) this.maxDiff = diff;
      }
      this.previousMax = max;
    }
  }

  finish(): { ksMaxDiff: number; area: number; tiesInRefined: boolean } {
    if (this.a !== this.n || this.b !== this.m) throw new RangeError('fine bin counts do not add up to the totals');
    return { ksMaxDiff: this.maxDiff, area: this.area.value, tiesInRefined: this.tiesInRefined };
  }
}

/** Reference order statistics at decileRanks(n), then the edges, as decileEdgesFromRanks. */
function edgesFromRanks(groups: Bins, resolved: ResolvedGroups, n: number): number[] {
  if (n === 0) return [];
  const wanted = decileRanks(n);
  const byRank = new Map<number, number>();
  let seen = 0;
  let next = 0;
  for (let g = 0; g < groups.count && next < wanted.length; g++) {
    const r = groups.reference[g]!;
    if (wanted[next]! >= seen + r) {
      seen += r;
      continue;
    }
    const start = resolved.start[g]!;
    if (start < 0) throw new RangeError(`fine bin ${g} holds a decile rank but was not refined`);
    for (let s = start; s < resolved.end[g]! && next < wanted.length; s++) {
      seen += resolved.reference[s]!;
      while (next < wanted.length && wanted[next]! < seen) byRank.set(wanted[next++]!, resolved.value[s]!);
    }
  }
  return decileEdgesFromRanks(n, byRank);
}

/** Decile bin counts (left-closed) from the groups, resolving the groups an edge falls inside. */
function countBelowEdges(groups: Bins, resolved: ResolvedGroups, edges: readonly number[], n: number, m: number): NumericBins & { edges: number[] } {
  const belowReference: number[] = [];
  const belowCurrent: number[] = [];
  let g = 0;
  let a = 0;
  let b = 0;
  for (const edge of edges) {
    while (g < groups.count && groups.max[g]! < edge) {
      a += groups.reference[g]!;
      b += groups.current[g]!;
      g++;
    }
    let partialReference = 0;
    let partialCurrent = 0;
    if (g < groups.count && groups.min[g]! < edge) {
      const start = resolved.start[g]!;
      if (start < 0) throw new RangeError(`fine bin ${g} straddles a decile edge but was not refined`);
      for (let s = start; s < resolved.end[g]! && resolved.value[s]! < edge; s++) {
        partialReference += resolved.reference[s]!;
        partialCurrent += resolved.current[s]!;
      }
    }
    belowReference.push(a + partialReference);
    belowCurrent.push(b + partialCurrent);
  }
  const referenceCounts: number[] = [];
  const currentCounts: number[] = [];
  for (let e = 0; e <= edges.length; e++) {
    referenceCounts.push((e < edges.length ? belowReference[e]! : n) - (e > 0 ? belowReference[e - 1]! : 0));
    currentCounts.push((e < edges.length ? belowCurrent[e]! : m) - (e > 0 ? belowCurrent[e - 1]! : 0));
  }
  return { edges: [...edges], referenceCounts, currentCounts };
}
