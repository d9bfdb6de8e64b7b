// RowBinary encoding of rows for INSERT ... FORMAT RowBinary. The server copies these bytes
// instead of parsing text, which is where JSONEachRow spends most of an insert (see
// bench/ingest.ts). Supported by 18.16 and every later ClickHouse.

export type ColumnType =
  | 'String' | 'UInt8' | 'UInt16' | 'UInt32' | 'UInt64' | 'DateTime' | 'Float64' | 'Nullable(Float64)'
  | 'Array(String)' | 'Array(Float64)' | 'Array(UInt64)'
  | { enum8: Readonly<Record<string, number>> };

export type ColumnSpec<Row> = readonly [name: keyof Row & string, type: ColumnType];

export class RowBinaryError extends Error {
  override readonly name = 'RowBinaryError';
}

/**
 * A growable byte buffer with little-endian writers. Hand-written UTF-8 and a DataView
 * instead of Buffer methods: per-value native calls cost more than the encoding itself.
 */
export class ByteWriter {
  private bytesArray: Uint8Array;
  private view: DataView;
  private offset = 0;

  constructor(initialBytes = 1 << 20) {
    this.bytesArray = new Uint8Array(Math.max(16, initialBytes));
    this.view = new DataView(this.bytesArray.buffer);
  }

  get length(): number {
    return this.offset;
  }

  private ensure(extra: number): void {
    if (this.offset + extra <= this.bytesArray.length) return;
    let size = this.bytesArray.length * 2;
    while (size < this.offset + extra) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytesArray.subarray(0, this.offset));
    this.bytesArray = grown;
    this.view = new DataView(grown.buffer);
  }

  varUInt(value: number): void {
    this.ensure(10);
    let rest = value;
    while (rest >= 0x80) {
      this.bytesArray[this.offset++] = (rest & 0x7f) | 0x80;
      rest = Math.floor(rest / 128);
    }
    this.bytesArray[this.offset++] = rest;
  }

  uint8(value: number): void {
    this.ensure(1);
    this.bytesArray[this.offset++] = value;
  }

  int8(value: number): void {
    this.ensure(1);
    this.view.setInt8(this.offset, value);
    this.offset += 1;
  }

  uint16(value: number): void {
    this.ensure(2);
    this.view.setUint16(this.offset, value, true);
    this.offset += 2;
  }

  uint32(value: number): void {
    this.ensure(4);
    this.view.setUint32(this.offset, value, true);
    this.offset += 4;
  }

  /** A safe integer (< 2^53) as UInt64. */
  uint64(value: number): void {
    this.ensure(8);
    this.view.setUint32(this.offset, value % 0x1_0000_0000, true);
    this.view.setUint32(this.offset + 4, Math.floor(value / 0x1_0000_0000), true);
    this.offset += 8;
  }

  float64(value: number): void {
    this.ensure(8);
    this.view.setFloat64(this.offset, value, true);
    this.offset += 8;
  }

  string(value: string): void {
    const length = value.length;
    // At most 3 bytes per UTF-16 unit (a surrogate pair is 4 bytes for 2 units).
    this.ensure(length * 3 + 5);
    const lengthAt = this.offset;
    // Reserve one length byte; move the text if the length needs more.
    let at = lengthAt + 1;
    const out = this.bytesArray;
    for (let i = 0; i < length; i += 1) {
      let code = value.charCodeAt(i);
      if (code < 0x80) {
        out[at++] = code;
      } else if (code < 0x800) {
        out[at++] = 0xc0 | (code >> 6);
        out[at++] = 0x80 | (code & 0x3f);
      } else if (code >= 0xd800 && code <= 0xdbff && i + 1 < length && (value.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
        code = 0x10000 + ((code - 0xd800) << 10) + (value.charCodeAt(i + 1) - 0xdc00);
        i += 1;
        out[at++] = 0xf0 | (code >> 18);
        out[at++] = 0x80 | ((code >> 12) & 0x3f);
        out[at++] = 0x80 | ((code >> 6) & 0x3f);
        out[at++] = 0x80 | (code & 0x3f);
      } else {
        // A lone surrogate becomes U+FFFD, as TextEncoder does.
        if (code >= 0xd800 && code <= 0xdfff) code = 0xfffd;
        out[at++] = 0xe0 | (code >> 12);
        out[at++] = 0x80 | ((code >> 6) & 0x3f);
        out[at++] = 0x80 | (code & 0x3f);
      }
    }
    const byteLength = at - lengthAt - 1;
    if (byteLength < 0x80) {
      out[lengthAt] = byteLength;
      this.offset = at;
      return;
    }
    // ensure() above reserved the 4 extra bytes a longer prefix may need.
    const prefix = byteLength < 0x4000 ? 2 : byteLength < 0x200000 ? 3 : byteLength < 0x10000000 ? 4 : 5;
    this.bytesArray.copyWithin(lengthAt + prefix, lengthAt + 1, at);
    this.offset = lengthAt;
    this.varUInt(byteLength);
    this.offset = lengthAt + prefix + byteLength;
  }

  /** A String of bytes already known to be valid UTF-8: source[start, end) as they are. */
  utf8Bytes(source: Uint8Array, start: number, end: number): void {
    const length = end - start;
    this.varUInt(length);
    this.ensure(length);
    const out = this.bytesArray;
    let at = this.offset;
    // A loop beats set(subarray()) for the short names and values events are made of, and
    // allocates no view.
    if (length < 64) {
      for (let i = start; i < end; i += 1) out[at++] = source[i]!;
    } else {
      out.set(source.subarray(start, end), at);
      at += length;
    }
    this.offset = at;
  }

  /** Drops everything written after `length` bytes. */
  truncate(length: number): void {
    this.offset = Math.min(this.offset, length);
  }

  /** The encoded bytes (a view over the writer's memory). */
  bytes(): Buffer {
    return Buffer.from(this.bytesArray.buffer, this.bytesArray.byteOffset, this.offset);
  }

  /** A copy of the encoded bytes, exactly as long as they are (the writer can be reused). */
  copy(): Uint8Array {
    return this.bytesArray.slice(0, this.offset);
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
    case 'UInt64':
      return (writer, value, column) => writer.uint64(expectInteger(value, column, Number.MAX_SAFE_INTEGER));
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
    case 'Array(UInt64)':
      return (writer, value, column) => {
        const items = expectArray(value, column);
        writer.varUInt(items.length);
        for (const item of items) writer.uint64(expectInteger(item, column, Number.MAX_SAFE_INTEGER));
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

/** Appends one row; if a value does not fit its column, removes the partial row and returns why. */
export function appendRow<Row>(writer: ByteWriter, encoder: RowEncoder<Row>, row: Row): string | undefined {
  const start = writer.length;
  try {
    encoder.encode(writer, row);
    return undefined;
  } catch (error) {
    if (!(error instanceof RowBinaryError)) throw error;
    writer.truncate(start);
    return error.message;
  }
}

/** Encodes every row; a row that does not fit is reported by index and left out. */
export function encodeRows<Row>(encoder: RowEncoder<Row>, rows: readonly Row[]): { bytes: Buffer; invalid: Array<{ index: number; message: string }> } {
  const writer = new ByteWriter(Math.max(4096, rows.length * 512));
  const invalid: Array<{ index: number; message: string }> = [];
  rows.forEach((row, index) => {
    const message = appendRow(writer, encoder, row);
    if (message !== undefined) invalid.push({ index, message });
  });
  return { bytes: writer.bytes(), invalid };
}
