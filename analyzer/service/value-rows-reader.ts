/**
 * Reads the numeric value stream of column-streams.ts as it arrives:
 *   SELECT side UInt8, ks Array(UInt16), vs Array(Float64)[, unknown Array(String)] FORMAT RowBinary
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

/**
 * Calls onRow for every row of the stream, in order; resolves with the number of rows.
 * `withNames`: rows carry the fourth column (unknown names).
 */
export async function readValueRows(stream: AsyncIterable<Buffer>, withNames: boolean, onRow: (row: ValueRow) => void): Promise<number> {
  // One row object, refilled: millions of rows allocate nothing per row.
  const row: ValueRow = { side: 0, count: 0, view: new DataView(new ArrayBuffer(0)), idsAt: 0, valuesAt: 0, names: null };
  let carry: Buffer | null = null;
  let rows = 0;

  /** Parses the row at `offset`; returns the next offset, -1 when the row is incomplete, -2 when it is no row. */
  const parse = (buffer: Buffer, view: DataView, offset: number): number => {
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
      const end = parse(joined, viewOf(joined), 0);
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
    const view = viewOf(buffer);
    let offset = 0;
    let next = parse(buffer, view, offset);
    for (; next >= 0; next = parse(buffer, view, offset)) offset = next;
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
