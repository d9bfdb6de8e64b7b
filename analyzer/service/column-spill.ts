/**
 * Numeric values of every column of one analysis, parked on disk per (column, side) as
 * raw doubles while the single pass over ClickHouse streams in row by row, so each
 * column can afterwards be read on its own, twice (fine bins, then refinement), with
 * memory independent of the window size (64 KB of buffer per column and side). Also
 * keeps a small evenly spaced sample of each column, from which the fine bins take their
 * centre and scale. Files live in a private temporary directory, removed by dispose().
 *
 * A full buffer is copied aside and written by libuv's thread pool while the stream goes
 * on: written from the streaming thread, the 1 GB of a 2 x 1M-row bench window cost that
 * thread 1.8-2.3 s of its ~6 (page-cache copies on ext4). Each write names its file
 * position, so writes in flight may finish in any order; at most MAX_WRITES_IN_FLIGHT
 * buffers wait, beyond that a buffer is written synchronously (memory stays bounded).
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, write, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ColumnValues } from './numeric-fine-bins.js';

const BUFFER_VALUES = 8192; // 64 KB per (column, side)
const READ_VALUES = 131_072; // 1 MB per read
const SAMPLE_SIZE = 4096;
const SAMPLE_EVERY = 64; // of each flushed buffer
const MAX_WRITES_IN_FLIGHT = 32; // 2 MB of copies

/** Every `stride`-th value offered; when full, every other one is dropped and the stride doubles. */
class DecimatedSample {
  readonly values = new Float64Array(SAMPLE_SIZE);
  size = 0;
  private stride = 1;
  private skip = 0;

  add(value: number): void {
    if (this.skip > 0) {
      this.skip--;
      return;
    }
    if (this.size === SAMPLE_SIZE) {
      for (let i = 0; i < SAMPLE_SIZE / 2; i++) this.values[i] = this.values[2 * i]!;
      this.size = SAMPLE_SIZE / 2;
      this.stride *= 2;
    }
    this.values[this.size++] = value;
    this.skip = this.stride - 1;
  }
}

/** Where a spilled column is, enough to read it in another thread. */
export interface SpilledColumn {
  files: [reference: string, current: string];
  counts: [reference: number, current: number];
  sample: Float64Array;
}

// One read buffer per thread, reused: columns are read one at a time.
let readBuffer = new Float64Array(0);

/** A spilled column's values, read from its two files (one reader at a time per thread). */
export function spilledColumnValues(column: SpilledColumn): ColumnValues {
  return {
    referenceCount: column.counts[0],
    currentCount: column.counts[1],
    forEachChunk(side, visit) {
      const count = column.counts[side];
      if (count === 0) return;
      if (readBuffer.length === 0) readBuffer = new Float64Array(READ_VALUES);
      const chunk = readBuffer.subarray(0, Math.min(READ_VALUES, count));
      const bytes = new Uint8Array(chunk.buffer, 0, chunk.length * 8);
      const fd = openSync(column.files[side], 'r');
      try {
        let remaining = count;
        while (remaining > 0) {
          const take = Math.min(remaining, chunk.length);
          let read = 0;
          while (read < take * 8) {
            const got = readSync(fd, bytes, read, take * 8 - read, null);
            if (got === 0) throw new Error(`column file ${column.files[side]} is shorter than its ${count} values`);
            read += got;
          }
          visit(take === chunk.length ? chunk : chunk.subarray(0, take));
          remaining -= take;
        }
      } finally {
        closeSync(fd);
      }
    },
  };
}

export class ColumnSpill {
  private readonly directory: string;
  // Slot = column id * 2 + side; flat arrays so the per-value path is a few typed-array writes.
  private capacity = 0;
  private buffers = new Float64Array(0);
  private filled = new Int32Array(0);
  private counts = new Float64Array(0);
  private fds: Array<number | undefined> = [];
  private samples: Array<DecimatedSample | undefined> = [];
  /** Copies of full buffers not being written, reused. */
  private readonly spare: Uint8Array[] = [];
  private writesInFlight = 0;
  private writeError: Error | null = null;
  private allWritten: (() => void) | null = null;

  constructor(parent: string = tmpdir()) {
    this.directory = mkdtempSync(join(parent, 'driftwatch-columns-'));
  }

  private grow(slot: number): void {
    let capacity = Math.max(16, this.capacity);
    while (capacity <= slot) capacity *= 2;
    const buffers = new Float64Array(capacity * BUFFER_VALUES);
    buffers.set(this.buffers);
    const filled = new Int32Array(capacity);
    filled.set(this.filled);
    const counts = new Float64Array(capacity);
    counts.set(this.counts);
    this.buffers = buffers;
    this.filled = filled;
    this.counts = counts;
    this.capacity = capacity;
  }

  private path(slot: number): string {
    return join(this.directory, `${slot >> 1}-${slot & 1}.f64`);
  }

  private flush(slot: number): void {
    const length = this.filled[slot]!;
    if (length === 0) return;
    const start = slot * BUFFER_VALUES;
    const id = slot >> 1;
    const sample = (this.samples[id] ??= new DecimatedSample());
    for (let i = 0; i < length; i += SAMPLE_EVERY) sample.add(this.buffers[start + i]!);
    const fd = (this.fds[slot] ??= openSync(this.path(slot), 'w'));
    const bytes = new Uint8Array(this.buffers.buffer, start * 8, length * 8);
    const position = this.counts[slot]! * 8;
    this.counts[slot]! += length;
    this.filled[slot] = 0;
    if (this.writesInFlight >= MAX_WRITES_IN_FLIGHT) {
      writeAllSync(fd, bytes, position);
      return;
    }
    const copy = this.spare.pop() ?? new Uint8Array(BUFFER_VALUES * 8);
    copy.set(bytes);
    this.writesInFlight++;
    writeAll(fd, copy.subarray(0, bytes.length), position, (error) => {
      this.writesInFlight--;
      this.spare.push(copy);
      if (error !== null) this.writeError ??= error;
      if (this.writesInFlight === 0) this.allWritten?.();
    });
  }

  /**
   * Appends `count` values (Float64 LE at view[valuesAt..]) to `side` of their columns:
   * ids (UInt16 LE at view[idsAt..]), or `ids` when given. Id 0 (not selected) is skipped.
   */
  addRow(side: 0 | 1, view: DataView, idsAt: number, valuesAt: number, count: number, ids: Uint16Array | null = null): void {
    for (let i = 0; i < count; i++) {
      const id = ids === null ? view.getUint16(idsAt + 2 * i, true) : ids[i]!;
      if (id === 0) continue;
      const slot = id * 2 + side;
      if (slot >= this.capacity) this.grow(slot);
      const position = this.filled[slot]!;
      this.buffers[slot * BUFFER_VALUES + position] = view.getFloat64(valuesAt + 8 * i, true);
      if (position + 1 === BUFFER_VALUES) {
        this.filled[slot] = BUFFER_VALUES;
        this.flush(slot);
      } else this.filled[slot] = position + 1;
    }
  }

  /**
   * Appends `rows` rows of `width` values (row-major in `block`) whose columns are `ids`
   * (id 0 skipped), column by column: a column's values go to its buffer in one tight loop.
   */
  addBlock(side: 0 | 1, block: Float64Array, rows: number, ids: Uint16Array): void {
    const width = ids.length;
    for (let column = 0; column < width; column++) {
      const id = ids[column]!;
      if (id === 0) continue;
      const slot = id * 2 + side;
      if (slot >= this.capacity) this.grow(slot);
      const buffers = this.buffers; // grow() may have replaced it; flush() does not
      const base = slot * BUFFER_VALUES;
      let position = this.filled[slot]!;
      let at = column;
      for (let row = 0; row < rows; ) {
        // As many values as fit before the buffer is full: the copy loop has no other branch.
        const take = Math.min(rows - row, BUFFER_VALUES - position);
        for (let to = base + position, end = to + take; to < end; to++, at += width) buffers[to] = block[at]!;
        row += take;
        position += take;
        if (position === BUFFER_VALUES) {
          this.filled[slot] = BUFFER_VALUES;
          this.flush(slot);
          position = 0;
        }
      }
      this.filled[slot] = position;
    }
  }

  /** Flushes, waits for every write and closes the files; call once the stream has ended, before reading. */
  async finish(): Promise<void> {
    for (let slot = 0; slot < this.capacity; slot++) this.flush(slot);
    if (this.writesInFlight > 0) await new Promise<void>((resolve) => (this.allWritten = resolve));
    this.allWritten = null;
    this.spare.length = 0;
    this.closeFiles();
    if (this.writeError !== null) throw this.writeError;
  }

  /** Column ids that received at least one value (after finish()). */
  ids(): number[] {
    const ids: number[] = [];
    for (let id = 0; id * 2 < this.capacity; id++) if (this.counts[id * 2]! + this.counts[id * 2 + 1]! > 0) ids.push(id);
    return ids;
  }

  valueCounts(id: number): [reference: number, current: number] {
    return 2 * id + 1 < this.capacity ? [this.counts[2 * id]!, this.counts[2 * id + 1]!] : [0, 0];
  }

  column(id: number): SpilledColumn {
    const sample = this.samples[id];
    return {
      files: [this.path(2 * id), this.path(2 * id + 1)],
      counts: this.valueCounts(id),
      sample: sample === undefined ? new Float64Array(0) : sample.values.slice(0, sample.size),
    };
  }

  /**
   * Removes the files; safe to call more than once. Files still being written (a stream
   * that failed) are closed once their writes end: a descriptor closed under a pending
   * write could be reused by another file in the meantime and receive its bytes.
   */
  dispose(): void {
    rmSync(this.directory, { recursive: true, force: true });
    if (this.writesInFlight > 0) this.allWritten = () => this.closeFiles();
    else this.closeFiles();
  }

  private closeFiles(): void {
    for (let slot = 0; slot < this.fds.length; slot++) {
      const fd = this.fds[slot];
      if (fd !== undefined) closeSync(fd);
      this.fds[slot] = undefined;
    }
  }
}

/** Writes all of `bytes` at `position` (a write may take less than asked). */
function writeAllSync(fd: number, bytes: Uint8Array, position: number): void {
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
}

function writeAll(fd: number, bytes: Uint8Array, position: number, done: (error: Error | null) => void, offset = 0): void {
  write(fd, bytes, offset, bytes.length - offset, position + offset, (error, written) => {
    if (error !== null) done(error);
    else if (offset + written < bytes.length) writeAll(fd, bytes, position, done, offset + written);
    else done(null);
  });
}

const BLOCK_ROWS = 128;

/**
 * Rows of one side that share their column ids (rows of one feature pattern mostly come
 * in runs), gathered row-major, then spilled column by column (ColumnSpill.addBlock).
 * Writing each value of a row to a different column buffer cost the streaming thread
 * ~10 ns a value (1.2 s per 2 x 1M rows of 60 values); the gathered block stays in cache.
 */
export class RowBlock {
  private ids: Uint16Array | null = null;
  private rows = 0;
  private block = new Float64Array(0);

  constructor(private readonly spill: ColumnSpill, private readonly side: 0 | 1) {}

  /** Adds a row: `ids.length` values (Float64 LE at view[valuesAt..]); `ids` must be the same object for the same columns. */
  add(ids: Uint16Array, view: DataView, valuesAt: number): void {
    const width = ids.length;
    if (ids !== this.ids || this.rows === BLOCK_ROWS) {
      this.flush();
      this.ids = ids;
      if (this.block.length < BLOCK_ROWS * width) this.block = new Float64Array(BLOCK_ROWS * width);
    }
    const block = this.block;
    for (let i = 0, at = this.rows * width; i < width; i++, at++) block[at] = view.getFloat64(valuesAt + 8 * i, true);
    this.rows++;
  }

  /** Spills the rows gathered so far; call at the end of the stream too. */
  flush(): void {
    if (this.ids !== null && this.rows > 0) this.spill.addBlock(this.side, this.block, this.rows, this.ids);
    this.rows = 0;
  }
}
