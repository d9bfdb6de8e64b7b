// RowBinary encoding of rows for INSERT ... FORMAT RowBinary. The server copies these bytes
// instead of parsing text, which is where JSONEachRow spends most of an insert (see
// bench/ingest.ts). Supported by 18.16 and every later ClickHouse.

export type ColumnType =
  | 'String' | 'UInt8' | 'UInt16' | 'UInt32' | 'DateTime' | 'Float64' | 'Nullable(Float64)'
  | 'Array(String)' | 'Array(Float64)'
  | { enum8: Readonly<Record<string, number>> };

export type ColumnSpec<Row> = readonly [name: keyof Row & string, type: ColumnType];

export class RowBinaryError extends Error {
  override readonly name = 'RowBinaryError';
}

/** A growable byte buffer with little-endian writers. */
export class ByteWriter {
  private buffer: Buffer;
  private offset = 0;

  constructor(initialBytes = 1 << 20) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
  }

  get length(): number {
    return this.offset;
  }

  private ensure(extra: number): void {
    if (this.offset + extra <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.offset + extra) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buffer.copy(grown, 0, 0, this.offset);
    this.buffer = grown;
  }

  varUInt(value: number): void {
    this.ensure(10);
    let rest = value;
    while (rest >= 0x80) {
      this.buffer[this.offset++] = (rest & 0x7f) | 0x80;
      rest = Math.floor(rest / 128);
    }
    this.buffer[this.offset++] = rest;
  }

  uint8(value: number): void {
    this.ensure(1);
    this.buffer[this.offset++] = value;
  }

  int8(value: number): void {
    this.ensure(1);
    this.buffer.writeInt8(value, this.offset);
    this.offset += 1;
  }

  uint16(value: number): void {
    this.ensure(2);
    this.buffer.writeUInt16LE(value, this.offset);
    this.offset += 2;
  }

  uint32(value: number): void {
    this.ensure(4);
    this.buffer.writeUInt32LE(value, this.offset);
    this.offset += 4;
  }

  float64(value: number): void {
    this.ensure(8);
    this.buffer.writeDoubleLE(value, this.offset);
    this.offset += 8;
  }

  string(value: string): void {
    const byteLength = Buffer.byteLength(value, 'utf8');
    this.varUInt(byteLength);
    this.ensure(byteLength);
    this.offset += this.buffer.write(value, this.offset, byteLength, 'utf8');
  }

  /** Drops everything written after `length` bytes. */
  truncate(length: number): void {
    this.offset = Math.min(this.offset, length);
  }

  /** The encoded bytes (a view: copy it before reusing the writer). */
  bytes(): Buffer {
    return this.buffer.subarray(0, this.offset);
  }

}

type FieldEncoder = (writer: ByteWriter, value: unknown, column: string) => void;

function expectNumber(value: unknown, column: string): number {
  if (typeof value !== 'number' || Number.isNaN(value)) throw new RowBinaryError(`column ${column}: expected a number, got ${String(value)}`);
  return value;
}

function expectInteger(value: unknown, column: string, max: number): number {
  const number = expectNumber(value, column);
  if (!Number.isInteger(number) || number < 0 || number > max) throw new RowBinaryError(`column ${column}: ${number} is not an integer in [0, ${max}]`);
  return number;
}

function expectArray(value: unknown, column: string): unknown[] {
  if (!Array.isArray(value)) throw new RowBinaryError(`column ${column}: expected an array`);
  return value;
}

function fieldEncoder(type: ColumnType): FieldEncoder {
  if (typeof type === 'object') {
    const codes = type.enum8;
    return (writer, value, column) => {
      const code = codes[value as string];
      if (code === undefined) throw new RowBinaryError(`column ${column}: "${String(value)}" is not one of ${Object.keys(codes).join(', ')}`);
      writer.int8(code);
    };
  }
  switch (type) {
    case 'String':
      return (writer, value, column) => {
        if (typeof value !== 'string') throw new RowBinaryError(`column ${column}: expected a string`);
        writer.string(value);
      };
    case 'UInt8':
      return (writer, value, column) => writer.uint8(expectInteger(value, column, 0xff));
    case 'UInt16':
      return (writer, value, column) => writer.uint16(expectInteger(value, column, 0xffff));
    case 'UInt32':
    case 'DateTime':
      return (writer, value, column) => writer.uint32(expectInteger(value, column, 0xffffffff));
    case 'Float64':
      return (writer, value, column) => writer.float64(expectNumber(value, column));
    case 'Nullable(Float64)':
      return (writer, value, column) => {
        if (value === null || value === undefined) {
          writer.uint8(1);
        } else {
          writer.uint8(0);
          writer.float64(expectNumber(value, column));
        }
      };
    case 'Array(String)':
      return (writer, value, column) => {
        const items = expectArray(value, column);
        writer.varUInt(items.length);
        for (const item of items) {
          if (typeof item !== 'string') throw new RowBinaryError(`column ${column}: expected an array of strings`);
          writer.string(item);
        }
      };
    case 'Array(Float64)':
      return (writer, value, column) => {
        const items = expectArray(value, column);
        writer.varUInt(items.length);
        for (const item of items) writer.float64(expectNumber(item, column));
      };
  }
}

export interface RowEncoder<Row> {
  columns: string[];
  /** Appends one row; throws RowBinaryError (and writes a partial row) when a value does not fit its column. */
  encode(writer: ByteWriter, row: Row): void;
}

export function rowEncoder<Row>(spec: ReadonlyArray<ColumnSpec<Row>>): RowEncoder<Row> {
  const fields = spec.map(([name, type]) => [name, fieldEncoder(type)] as const);
  return {
    columns: spec.map(([name]) => name),
    encode(writer, row) {
      for (const [name, encode] of fields) encode(writer, (row as Record<string, unknown>)[name], name);
    },
  };
}

/** Encodes every row; a row that does not fit is reported by index and left out. */
export function encodeRows<Row>(encoder: RowEncoder<Row>, rows: readonly Row[]): { bytes: Buffer; invalid: Array<{ index: number; message: string }> } {
  const writer = new ByteWriter(Math.max(4096, rows.length * 512));
  const invalid: Array<{ index: number; message: string }> = [];
  rows.forEach((row, index) => {
    const start = writer.length;
    try {
      encoder.encode(writer, row);
    } catch (error) {
      if (!(error instanceof RowBinaryError)) throw error;
      invalid.push({ index, message: error.message });
      writer.truncate(start);
    }
  });
  return { bytes: Buffer.from(writer.bytes()), invalid };
}
