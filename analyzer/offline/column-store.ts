/**
 * Accumulates one column of one file while it streams past, in as little
 * memory as the statistics allow:
 *  - numeric: finite values in fixed-size Float64Array chunks (no 2x slack
 *    from geometric growth; one exact-size copy at the end, which the KS sort
 *    needs anyway), non-finite tokens as counts;
 *  - categorical: category -> count only.
 * A column starts numeric and turns categorical at its first non-numeric
 * cell (or starts categorical when forced). On turning, numbers seen so far
 * become categories under their canonical form (String(1.50) = "1.5"), and
 * later numeric-looking cells use the same form, so "1.5" and "1.50" stay one
 * category however the column started. Forced categorical columns keep the
 * raw text ("007" stays "007").
 */
import { parseCell, parsePlainDecimal } from './cell-value.js';

const CHUNK_SIZE = 1 << 16;

export type ColumnKind = 'numeric' | 'categorical';

/** A finished column in a form that can cross to another thread (numbers are transferred, not copied). */
export interface ColumnSnapshot {
  forcedCategorical: boolean;
  kind: ColumnKind;
  missing: number;
  typeErrors: number;
  seen: number;
  numbers: Float64Array | null;
  nonFiniteTokens: Map<string, number>;
  categories: Map<string, number>;
}

export class ColumnStore {
  kind: ColumnKind;
  readonly forcedCategorical: boolean;
  missing = 0;
  typeErrors = 0;
  /** Cells this store was given (missing ones included); rows - seen are cells absent from their row. */
  seen = 0;
  private chunks: Float64Array[] = [];
  private current: Float64Array | null = null;
  private fill = 0;
  private numericCount = 0;
  private nonFiniteTokens = new Map<string, number>();
  private categories = new Map<string, number>();

  constructor(forcedCategorical: boolean) {
    this.forcedCategorical = forcedCategorical;
    this.kind = forcedCategorical ? 'categorical' : 'numeric';
  }

  addText(text: string): void {
    this.seen++;
    if (this.forcedCategorical) {
      if (text.length === 0 || text === 'null' || text === 'NULL' || text.trim().length === 0) this.missing++;
      else this.countCategory(text);
      return;
    }
    const cell = parseCell(text);
    switch (cell.kind) {
      case 'missing':
        this.missing++;
        return;
      case 'number':
        if (this.kind === 'numeric') this.pushNumber(cell.value);
        else this.countCategory(String(cell.value));
        return;
      case 'non-finite':
        if (this.kind === 'numeric') {
          this.nonFiniteTokens.set(text, (this.nonFiniteTokens.get(text) ?? 0) + 1);
          this.typeErrors++;
        } else this.countCategory(text);
        return;
      case 'text':
        if (this.kind === 'numeric') this.becomeCategorical();
        this.countCategory(text);
        return;
    }
  }

  /** The cell source.slice(start, end), without making the string when it is a plain number. */
  addSlice(source: string, start: number, end: number): void {
    if (this.kind === 'numeric') {
      const value = parsePlainDecimal(source, start, end);
      if (value === value) {
        this.seen++;
        this.pushNumber(value);
        return;
      }
    }
    this.addText(source.slice(start, end));
  }

  /** A number from NDJSON (already typed; 1e999 arrives as Infinity). */
  addNumber(value: number): void {
    this.seen++;
    if (Number.isFinite(value)) {
      if (this.kind === 'numeric') this.pushNumber(value);
      else this.countCategory(String(value));
    } else if (this.kind === 'numeric') {
      const token = String(value);
      this.nonFiniteTokens.set(token, (this.nonFiniteTokens.get(token) ?? 0) + 1);
      this.typeErrors++;
    } else this.countCategory(String(value));
  }

  addMissing(): void {
    this.seen++;
    this.missing++;
  }

  addTypeError(): void {
    this.seen++;
    this.typeErrors++;
  }

  /** A value that is a category whatever the column looked like so far (NDJSON booleans). */
  addCategory(category: string): void {
    this.seen++;
    if (this.kind === 'numeric') this.becomeCategorical();
    this.countCategory(category);
  }

  toSnapshot(): ColumnSnapshot {
    return {
      forcedCategorical: this.forcedCategorical,
      kind: this.kind,
      missing: this.missing,
      typeErrors: this.typeErrors,
      seen: this.seen,
      numbers: this.kind === 'numeric' ? this.takeNumbers() : null,
      nonFiniteTokens: this.nonFiniteTokens,
      categories: this.categories,
    };
  }

  static fromSnapshot(snapshot: ColumnSnapshot): ColumnStore {
    const store = new ColumnStore(snapshot.forcedCategorical);
    store.kind = snapshot.kind;
    store.missing = snapshot.missing;
    store.typeErrors = snapshot.typeErrors;
    store.seen = snapshot.seen;
    if (snapshot.numbers !== null) {
      store.chunks = [snapshot.numbers];
      store.numericCount = snapshot.numbers.length;
    }
    store.nonFiniteTokens = snapshot.nonFiniteTokens;
    store.categories = snapshot.categories;
    return store;
  }

  get validCount(): number {
    return this.kind === 'numeric' ? this.numericCount : sum(this.categories.values());
  }

  /** Convert to categorical (when the other file's column is categorical). */
  becomeCategorical(): void {
    if (this.kind === 'categorical') return;
    this.kind = 'categorical';
    for (const chunk of this.filledChunks()) {
      for (const value of chunk) this.countCategory(String(value));
    }
    this.chunks = [];
    this.current = null;
    this.fill = 0;
    this.numericCount = 0;
    // Tokens that were type errors in a numeric column are ordinary categories now.
    for (const [token, count] of this.nonFiniteTokens) {
      this.categories.set(token, (this.categories.get(token) ?? 0) + count);
      this.typeErrors -= count;
    }
    this.nonFiniteTokens.clear();
  }

  /** The finite values as one exact-size array; the store lets go of its chunks. */
  takeNumbers(): Float64Array {
    if (this.kind !== 'numeric') throw new Error('column is not numeric');
    const only = this.chunks.length === 1 ? this.chunks[0]! : null;
    if (only !== null && only !== this.current && only.length === this.numericCount) {
      this.chunks = []; // restored from a snapshot: already one exact-size array
      return only;
    }
    const out = new Float64Array(this.numericCount);
    let offset = 0;
    for (const chunk of this.filledChunks()) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    this.chunks = [];
    this.current = null;
    this.fill = 0;
    return out;
  }

  takeCategories(): Map<string, number> {
    if (this.kind !== 'categorical') throw new Error('column is not categorical');
    const out = this.categories;
    this.categories = new Map();
    return out;
  }

  private pushNumber(value: number): void {
    if (this.current === null || this.fill === CHUNK_SIZE) {
      this.current = new Float64Array(CHUNK_SIZE);
      this.chunks.push(this.current);
      this.fill = 0;
    }
    this.current[this.fill++] = value;
    this.numericCount++;
  }

  private *filledChunks(): Generator<Float64Array> {
    for (const chunk of this.chunks) yield chunk === this.current ? chunk.subarray(0, this.fill) : chunk;
  }

  private countCategory(category: string): void {
    this.categories.set(category, (this.categories.get(category) ?? 0) + 1);
  }
}

function sum(values: Iterable<number>): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}
