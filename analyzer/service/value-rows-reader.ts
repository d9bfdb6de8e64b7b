/**
 * Reads the numeric value stream of column-streams.ts as it arrives:
 *   SELECT side UInt8, ks Array(UInt16), vs Array(Float64)[, unknown Array(String)] FORMAT RowBinary
 * RowBinary keeps doubles bit-exact with no text parsing; per row, the ids and values are
 * copied once into aligned scratch arrays and handed over as views. Measured on 18.16,
 * the server formats these rows as cheaply as Native blocks, and a row format is what
 * scripts/check-sql-current replays byte for byte on a current ClickHouse.
 */

export interface ValueRow {
  side: 0 | 1;
  /** Values in this row: ids[0..count) and values[0..count). */
  count: number;
  /** Column id per value; scratch memory, valid only during the callback. */
  ids: Uint16Array;
  /** The values; scratch memory, valid only during the callback. */
  values: Float64Array;
  /** The row's feature names when the query ships them (only for rows with unknown names), else null. */
  names: string[] | null;
}

/** Bytes of the next chunk joined to a cut row: enough for a row of ~500 values. */
const JOIN_BYTES = 8192;

/** Bytes kept of what came instead of a row, for the error message: a server error text is shorter. */
const TAIL_BYTES = 4096;

export class ValueRowsError extends Error {
  override readonly name = 'ValueRowsError';
}

/** Aligned arrays for one row, with byte views to copy into (no allocation per row). */
class Scratch {
  ids = new Uint16Array(0);
  values = new Float64Array(0);
  idBytes = new Uint8Array(0);
  valueBytes = new Uint8Array(0);

  ensure(count: number): void {
    if (count <= this.values.length) return;
    const capacity = Math.max(512, count * 2);
    this.ids = new Uint16Array(capacity);
    this.values = new Float64Array(capacity);
    this.idBytes = new Uint8Array(this.ids.buffer);
    this.valueBytes = new Uint8Array(this.values.buffer);
  }
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

/**
 * Calls onRow for every row of the stream, in order; resolves with the number of rows.
 * `withNames`: rows carry the fourth column (unknown names).
 */
export async function readValueRows(stream: AsyncIterable<Buffer>, withNames: boolean, onRow: (row: ValueRow) => void): Promise<number> {
  const scratch = new Scratch();
  // One row object, refilled: millions of rows allocate nothing per row.
  const row: ValueRow = { side: 0, count: 0, ids: scratch.ids, values: scratch.values, names: null };
  let carry: Buffer | null = null;
  let rows = 0;

  /** Parses the row at `offset`; returns the next offset, -1 when the row is incomplete, -2 when it is no row. */
  const parse = (buffer: Buffer, offset: number): number => {
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
    scratch.ensure(count);
    // Copies into aligned memory: the row's doubles sit at any byte offset of the stream.
    buffer.copy(scratch.idBytes, 0, idsAt, idsAt + 2 * count);
    buffer.copy(scratch.valueBytes, 0, valuesAt, valuesAt + 8 * count);
    row.side = side as 0 | 1;
    row.count = count;
    row.ids = scratch.ids;
    row.values = scratch.values;
    row.names = names;
    onRow(row);
    rows++;
    return end;
  };

  let broken = false;
  for await (const piece of stream) {
    let chunk = piece;
    if (carry !== null && !broken) {
      // The row cut by the chunk boundary, from a small joined buffer: joining whole chunks
      // would copy (and collect) every byte of the stream once more.
      const joined = Buffer.concat([carry, chunk.subarray(0, JOIN_BYTES)]);
      const end = parse(joined, 0);
      if (end >= carry.length) {
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
    let offset = 0;
    let next = parse(buffer, offset);
    for (; next >= 0; next = parse(buffer, offset)) offset = next;
    broken = next === -2;
    carry = offset < buffer.length ? buffer.subarray(offset) : null;
  }
  if (carry !== null) throw serverError(carry);
  return rows;
}

/** What is left when the rows stop making sense: a server error appended to the body, or a cut. */
function serverError(rest: Buffer): Error {
  const text = rest.subarray(0, TAIL_BYTES).toString('utf8');
  const error = /Code: \d+[\s\S]*/.exec(text);
  return error ? new Error(error[0].trim()) : new ValueRowsError(`value stream ended inside a row (${rest.length} bytes left)`);
}
