/**
 * Reads the numeric value streams of column-streams.ts as they arrive, in one of two row
 * layouts (RowBinary):
 *  - by id:      side UInt8, ks Array(UInt16), vs Array(Float64)[, unknown Array(String)]
 *  - by pattern: tag UInt8 (bit 0 side, bits 1-2 extras), pattern UInt64, vs Array(Float64);
 *    the pattern names the row's feature names (see column-streams.ts), so no per-value id
 *    travels.
 * RowBinary keeps doubles bit-exact with no text parsing. A row is handed over where it
 * lies, as offsets into a DataView of the received bytes (DataView reads are compiled to
 * plain loads; copying each row out would allocate a view per row, and the garbage
 * collector then costs more than the parsing). Measured on 18.16,
 * the server formats these rows as cheaply as Native blocks, and a row format is what
 * scripts/check-sql-current replays byte for byte on a current ClickHouse.
 */

export interface ValueRow {
  side: 0 | 1;
  /** Values in this row. */
  count: number;
  /** The received bytes; valid only during the callback. */
  view: DataView;
  /** Byte offsets in `view` of the ids (UInt16 LE) and the values (Float64 LE). */
  idsAt: number;
  valuesAt: number;
  /** The row's feature names when the query ships them (only for rows with unknown names), else null. */
  names: string[] | null;
}

export function idAt(row: ValueRow, index: number): number {
  return row.view.getUint16(row.idsAt + 2 * index, true);
}

export function valueAt(row: ValueRow, index: number): number {
  return row.view.getFloat64(row.valuesAt + 8 * index, true);
}

/** Bytes of the next chunk joined to a cut row: enough for a row of ~500 values. */
const JOIN_BYTES = 8192;

/** Bytes kept of what came instead of a row, for the error message: a server error text is shorter. */
const TAIL_BYTES = 4096;

export class ValueRowsError extends Error {
  override readonly name = 'ValueRowsError';
}

/** varUInt at `offset`: [value, next offset], or null when the buffer ends first. */
function varUInt(buffer: Buffer, offset: number): [number, number] | null {
  let result = 0;
  let scale = 1;
  for (let i = offset; i < buffer.length && i < offset + 10; i++) {
    const byte = buffer[i]!;
    result += (byte & 0x7f) * scale;
    if (byte < 0x80) return [result, i + 1];
    scale *= 128;
  }
  if (buffer.length >= offset + 10) throw new ValueRowsError('malformed varUInt in the value stream');
  return null;
}

export interface PatternRow {
  side: 0 | 1;
  /** Columns appended after the features: bit 0 prediction, bit 1 score. */
  extras: number;
  /** The UInt64 pattern as two 32-bit halves (a double cannot hold it exactly). */
  patternLow: number;
  patternHigh: number;
  count: number;
  /** The received bytes; valid only during the callback. */
  view: DataView;
  /** Byte offset in `view` of the values (Float64 LE). */
  valuesAt: number;
}

/** Parses the row at `offset`: the next offset, -1 when the row is incomplete, -2 when it is no row. */
type RowParser = (buffer: Buffer, view: DataView, offset: number) => number;

/**
 * Calls onRow for every row of the stream, in order; resolves with the number of rows.
 * `withNames`: rows carry the fourth column (unknown names).
 */
export async function readValueRows(stream: AsyncIterable<Buffer>, withNames: boolean, onRow: (row: ValueRow) => void): Promise<number> {
  // One row object, refilled: millions of rows allocate nothing per row.
  const row: ValueRow = { side: 0, count: 0, view: new DataView(new ArrayBuffer(0)), idsAt: 0, valuesAt: 0, names: null };
  return readRows(stream, (buffer, view, offset) => {
    if (offset >= buffer.length) return -1;
    const side = buffer[offset]!;
    if (side > 1) return -2; // most likely a server error appended to the body
    const idCount = varUInt(buffer, offset + 1);
    if (idCount === null) return -1;
    const [count, idsAt] = idCount;
    const valueCount = varUInt(buffer, idsAt + 2 * count);
    if (valueCount === null) return -1;
    const [values, valuesAt] = valueCount;
    if (values !== count) throw new ValueRowsError(`value stream row has ${count} column ids but ${values} values`);
    let end = valuesAt + 8 * count;
    if (end > buffer.length) return -1;
    let names: string[] | null = null;
    if (withNames) {
      const nameCount = varUInt(buffer, end);
      if (nameCount === null) return -1;
      end = nameCount[1];
      if (nameCount[0] > 0) {
        names = [];
        for (let i = 0; i < nameCount[0]; i++) {
          const length = varUInt(buffer, end);
          if (length === null || length[1] + length[0] > buffer.length) return -1;
          names.push(buffer.toString('utf8', length[1], length[1] + length[0]));
          end = length[1] + length[0];
        }
      }
    }
    row.side = side as 0 | 1;
    row.count = count;
    row.view = view;
    row.idsAt = idsAt;
    row.valuesAt = valuesAt;
    row.names = names;
    onRow(row);
    return end;
  });
}

/** Tags above this are no row: bit 0 side, bits 1-2 extras. */
const LAST_TAG = 7;

/** Calls onRow for every row of a stream in the pattern layout; resolves with the number of rows. */
export async function readPatternRows(stream: AsyncIterable<Buffer>, onRow: (row: PatternRow) => void): Promise<number> {
  const row: PatternRow = { side: 0, extras: 0, patternLow: 0, patternHigh: 0, count: 0, view: new DataView(new ArrayBuffer(0)), valuesAt: 0 };
  return readRows(stream, (buffer, view, offset) => {
    if (offset >= buffer.length) return -1;
    const tag = buffer[offset]!;
    if (tag > LAST_TAG) return -2;
    const valueCount = varUInt(buffer, offset + 9);
    if (valueCount === null) return -1;
    const [count, valuesAt] = valueCount;
    const end = valuesAt + 8 * count;
    if (end > buffer.length) return -1;
    row.side = (tag & 1) as 0 | 1;
    row.extras = tag >> 1;
    row.patternLow = view.getUint32(offset + 1, true);
    row.patternHigh = view.getUint32(offset + 5, true);
    row.count = count;
    row.view = view;
    row.valuesAt = valuesAt;
    onRow(row);
    return end;
  });
}

/** Feeds every row of the stream to `parse` (which hands it on), rows cut by chunk boundaries included. */
async function readRows(stream: AsyncIterable<Buffer>, parse: RowParser): Promise<number> {
  let carry: Buffer | null = null;
  let rows = 0;
  let broken = false;
  for await (const piece of stream) {
    let chunk = piece;
    if (carry !== null && !broken) {
      // The row cut by the chunk boundary, from a small joined buffer: joining whole chunks
      // would copy (and collect) every byte of the stream once more.
      const joined = Buffer.concat([carry, chunk.subarray(0, JOIN_BYTES)]);
      const end = parse(joined, viewOf(joined), 0);
      if (end >= carry.length) {
        rows++;
        chunk = chunk.subarray(end - carry.length);
        carry = null;
      } else if (end === -2) {
        broken = true;
      } else if (end === -1 && joined.length === carry.length + chunk.length) {
        carry = joined; // the whole chunk is still inside one row
        continue;
      }
    }
    const buffer: Buffer = carry === null ? chunk : Buffer.concat([carry, chunk]);
    if (broken) {
      // Keep the start of what came instead of a row: the server's error text begins there.
      carry = buffer.subarray(0, Math.min(buffer.length, TAIL_BYTES));
      continue;
    }
    const view = viewOf(buffer);
    let offset = 0;
    let next = parse(buffer, view, offset);
    for (; next >= 0; next = parse(buffer, view, offset)) {
      offset = next;
      rows++;
    }
    broken = next === -2;
    carry = offset < buffer.length ? buffer.subarray(offset) : null;
  }
  if (carry !== null) throw serverError(carry);
  return rows;
}

function viewOf(buffer: Buffer): DataView {
  return new DataView(buffer.buffer, buffer.byteOffset, buffer.length);
}

/** What is left when the rows stop making sense: a server error appended to the body, or a cut. */
function serverError(rest: Buffer): Error {
  const text = rest.subarray(0, TAIL_BYTES).toString('utf8');
  const error = /Code: \d+[\s\S]*/.exec(text);
  return error ? new Error(error[0].trim()) : new ValueRowsError(`value stream ended inside a row (${rest.length} bytes left)`);
}
