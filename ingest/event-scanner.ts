// The common case of decodeMessage, straight from bytes: a valid event written as plain JSON
// becomes its RowBinary row in one pass, without JSON.parse, the parsed object, the row
// object or a single string per field (those cost ~15 us and most of ingest's garbage per
// event; this pass costs a few). It accepts only what it can prove valid and encodes it
// byte for byte as the reference path (decodeMessage + appendRow) would. Anything else
// (escapes, duplicate or numeric keys, unknown fields, a value out of range, invalid
// UTF-8, ...) is "not handled" and goes to the reference path, which encodes it or says why
// not. test/unit/event-scanner.test.ts holds the two paths to the same bytes.
import type { EventKind } from '../schemas/events.js';
import type { ByteWriter } from '../storage/row-binary.js';
import type { DecodeLimits } from './decode.js';
import { parseEventTimestamp } from './timestamp.js';

const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN = 0x7b;
const CLOSE = 0x7d;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

// Limits of schemas/events.ts, in code points as Ajv counts them.
const NAME_MAX = 256;
const MODEL_ID_MAX = 128;
const VALUE_MAX = 4096;
const SEGMENT_VALUE_MAX = 1024;
const TIMESTAMP_MIN = 10;
const TIMESTAMP_MAX = 40;
const MAX_FEATURES = 2000;
const MAX_SCORES = 1000;
const MAX_SEGMENTS = 100;

/** What the values of a name -> value object may be: features, scores, segments. */
type ObjectValues = 'scalar' | 'probability' | 'string';

/** Kinds of a scanned value. */
const enum Kind { None, Number, String, True, False, Null }

// Fields, as bits: duplicates are refused, required ones checked.
const EVENT_ID = 1;
const MODEL_ID = 2;
const MODEL_VERSION = 4;
const TIMESTAMP = 8;
const FEATURES = 16;
const PREDICTION = 32;
const SCORE = 64;
const SCORES = 128;
const SEGMENTS = 256;
const LABEL = 512;

const FIELD_NAMES: ReadonlyArray<readonly [string, number]> = [
  ['event_id', EVENT_ID], ['model_id', MODEL_ID], ['model_version', MODEL_VERSION], ['timestamp', TIMESTAMP], ['features', FEATURES],
  ['prediction', PREDICTION], ['score', SCORE], ['scores', SCORES], ['segments', SEGMENTS], ['label', LABEL],
];
const FIELD_BYTES = FIELD_NAMES.map(([name, bit]) => ({ bytes: Buffer.from(name, 'latin1'), bit }));

const ALLOWED: Record<EventKind, number> = {
  prediction: EVENT_ID | MODEL_ID | MODEL_VERSION | TIMESTAMP | FEATURES | PREDICTION | SCORE | SCORES | SEGMENTS,
  feature_log: EVENT_ID | MODEL_ID | TIMESTAMP | FEATURES,
  label: EVENT_ID | MODEL_ID | TIMESTAMP | LABEL,
};
const REQUIRED: Record<EventKind, number> = {
  prediction: EVENT_ID | MODEL_ID | MODEL_VERSION | TIMESTAMP | PREDICTION,
  feature_log: EVENT_ID | MODEL_ID | TIMESTAMP | FEATURES,
  label: EVENT_ID | MODEL_ID | TIMESTAMP | LABEL,
};

// Exact powers of ten (10^22 is the largest a double holds exactly).
const POW10 = Array.from({ length: 23 }, (_, exponent) => 10 ** exponent);
const TRUE_BYTES = Buffer.from('true', 'latin1');
const FALSE_BYTES = Buffer.from('false', 'latin1');
const NULL_BYTES = Buffer.from('null', 'latin1');

// Enum8 codes of rows.ts' VALUE_KIND.
const VALUE_KIND_NUMBER = 1;
const VALUE_KIND_STRING = 2;
const VALUE_KIND_BOOLEAN = 3;

/**
 * Name -> value entries of one JSON object (features, scores or segments), kept as byte
 * spans of the message in reusable typed arrays, so scanning allocates nothing per event.
 */
class Entries {
  count = 0;
  nameStart = new Int32Array(64);
  nameEnd = new Int32Array(64);
  kind = new Uint8Array(64);
  valueStart = new Int32Array(64);
  valueEnd = new Int32Array(64);
  number = new Float64Array(64);
  hash = new Int32Array(64);

  add(): number {
    if (this.count === this.kind.length) this.grow();
    return this.count++;
  }

  private grow(): void {
    const size = this.kind.length * 2;
    const grown = <T extends Int32Array | Uint8Array | Float64Array>(array: T, make: (size: number) => T): T => {
      const next = make(size);
      next.set(array);
      return next;
    };
    this.nameStart = grown(this.nameStart, (n) => new Int32Array(n));
    this.nameEnd = grown(this.nameEnd, (n) => new Int32Array(n));
    this.kind = grown(this.kind, (n) => new Uint8Array(n));
    this.valueStart = grown(this.valueStart, (n) => new Int32Array(n));
    this.valueEnd = grown(this.valueEnd, (n) => new Int32Array(n));
    this.number = grown(this.number, (n) => new Float64Array(n));
    this.hash = grown(this.hash, (n) => new Int32Array(n));
  }
}

/** One scanner per thread; `encode` is not re-entrant. */
export class EventScanner {
  private data: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private end = 0;
  // The last scanned string: its span and its length in code points.
  private stringStart = 0;
  private stringEnd = 0;
  private stringChars = 0;
  private numberValue = 0;

  private readonly features = new Entries();
  private readonly scores = new Entries();
  private readonly segments = new Entries();
  // Open addressing over entry name hashes, stamped per object so it is never cleared.
  private readonly slots = new Int32Array(8192);
  private readonly slotStamp = new Int32Array(8192);
  private stamp = 0;

  /**
   * Appends the row of the event in data[start, end) to `writer` and returns true, or
   * returns false with nothing written when the reference path must decide.
   */
  encode(kind: EventKind, data: Uint8Array, start: number, end: number, nowMs: number, limits: DecodeLimits, writer: ByteWriter): boolean {
    this.data = data;
    this.pos = start;
    this.end = end;
    this.features.count = 0;
    this.scores.count = 0;
    this.segments.count = 0;
    const allowed = ALLOWED[kind];
    let seen = 0;
    let eventIdStart = 0, eventIdEnd = 0, modelIdStart = 0, modelIdEnd = 0, versionStart = 0, versionEnd = 0;
    let epochMs = 0;
    let valueKind = Kind.None, valueNumber = 0, valueStart = 0, valueEnd = 0;
    let score = 0;

    this.skipSpace();
    if (!this.take(OPEN)) return false;
    this.skipSpace();
    for (;;) {
      if (!this.scanString()) return false;
      const field = this.fieldBit(this.stringStart, this.stringEnd);
      if (field === 0 || (field & allowed) === 0 || (field & seen) !== 0) return false;
      seen |= field;
      this.skipSpace();
      if (!this.take(COLON)) return false;
      this.skipSpace();
      switch (field) {
        case EVENT_ID:
          if (!this.scanString() || this.stringChars < 1 || this.stringChars > NAME_MAX) return false;
          eventIdStart = this.stringStart;
          eventIdEnd = this.stringEnd;
          break;
        case MODEL_ID:
          if (!this.scanString() || !this.isModelId()) return false;
          modelIdStart = this.stringStart;
          modelIdEnd = this.stringEnd;
          break;
        case MODEL_VERSION:
          if (!this.scanString() || this.stringChars < 1 || this.stringChars > MODEL_ID_MAX) return false;
          versionStart = this.stringStart;
          versionEnd = this.stringEnd;
          break;
        case TIMESTAMP: {
          const time = this.scanTimestamp(nowMs, limits);
          if (time < 0) return false;
          epochMs = time;
          break;
        }
        case FEATURES:
          if (!this.scanObject(this.features, MAX_FEATURES, 'scalar', VALUE_MAX)) return false;
          break;
        case PREDICTION:
        case LABEL: {
          const scanned = this.scanValue();
          if (scanned === Kind.Null || scanned === Kind.None) return false;
          if (scanned === Kind.String && this.stringChars > VALUE_MAX) return false;
          valueKind = scanned;
          valueNumber = this.numberValue;
          valueStart = this.stringStart;
          valueEnd = this.stringEnd;
          break;
        }
        case SCORE:
          if (this.scanValue() !== Kind.Number || !(this.numberValue >= 0 && this.numberValue <= 1)) return false;
          score = this.numberValue;
          break;
        case SCORES:
          if (!this.scanObject(this.scores, MAX_SCORES, 'probability', 0)) return false;
          break;
        case SEGMENTS:
          if (!this.scanObject(this.segments, MAX_SEGMENTS, 'string', SEGMENT_VALUE_MAX)) return false;
          break;
      }
      this.skipSpace();
      if (this.take(COMMA)) {
        this.skipSpace();
        continue;
      }
      if (!this.take(CLOSE)) return false;
      break;
    }
    this.skipSpace();
    if (this.pos !== this.end || (seen & REQUIRED[kind]) !== REQUIRED[kind]) return false;

    // Column order of rows.ts (PREDICTION_SPEC, FEATURE_LOG_SPEC, LABEL_SPEC).
    const ts = Math.floor(epochMs / 1000);
    const ingestedAt = Math.floor(nowMs / 1000);
    this.span(writer, modelIdStart, modelIdEnd);
    if (kind === 'prediction') this.span(writer, versionStart, versionEnd);
    writer.uint32(ts);
    writer.uint16(epochMs % 1000);
    this.span(writer, eventIdStart, eventIdEnd);
    if (kind === 'prediction' || kind === 'label') this.value(writer, valueKind, valueNumber, valueStart, valueEnd);
    if (kind === 'prediction') {
      if ((seen & SCORE) !== 0) {
        writer.uint8(0);
        writer.float64(score);
      } else {
        writer.uint8(1);
      }
      this.names(writer, this.scores, -1, this.scores.count);
      this.numbers(writer, this.scores);
    }
    if (kind !== 'label') this.featureColumns(writer);
    if (kind === 'prediction') {
      this.names(writer, this.segments, -1, this.segments.count);
      this.strings(writer, this.segments);
    }
    writer.uint32(ingestedAt);
    return true;
  }

  private skipSpace(): void {
    const data = this.data;
    let pos = this.pos;
    while (pos < this.end) {
      const c = data[pos]!;
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      pos += 1;
    }
    this.pos = pos;
  }

  private take(byte: number): boolean {
    if (this.pos < this.end && this.data[this.pos] === byte) {
      this.pos += 1;
      return true;
    }
    return false;
  }

  /** A string without escapes, of valid UTF-8; sets its span and length in code points. */
  private scanString(): boolean {
    if (!this.take(QUOTE)) return false;
    const data = this.data;
    const end = this.end;
    let pos = this.pos;
    let chars = 0;
    for (;;) {
      if (pos >= end) return false;
      const c = data[pos]!;
      if (c === QUOTE) break;
      // Escapes and raw control characters: the reference path (JSON.parse) decides.
      if (c === 0x5c || c < 0x20) return false;
      if (c < 0x80) {
        pos += 1;
      } else {
        const length = utf8SequenceLength(data, pos, end);
        if (length === 0) return false;
        pos += length;
      }
      chars += 1;
    }
    this.stringStart = this.pos;
    this.stringEnd = pos;
    this.stringChars = chars;
    this.pos = pos + 1;
    return true;
  }

  /** A JSON number (grammar checked here); sets its value. */
  private scanNumber(): boolean {
    const data = this.data;
    const end = this.end;
    const start = this.pos;
    let pos = start;
    const negative = data[pos] === MINUS;
    if (negative) pos += 1;
    if (pos >= end) return false;
    let mantissa = 0;
    let significant = 0;
    let fractionDigits = 0;
    const first = data[pos]!;
    if (first === ZERO) {
      pos += 1;
    } else if (first > ZERO && first <= NINE) {
      while (pos < end && data[pos]! >= ZERO && data[pos]! <= NINE) {
        mantissa = mantissa * 10 + (data[pos]! - ZERO);
        significant += 1;
        pos += 1;
      }
    } else {
      return false;
    }
    if (pos < end && data[pos] === DOT) {
      pos += 1;
      const digitsStart = pos;
      while (pos < end && data[pos]! >= ZERO && data[pos]! <= NINE) {
        const digit = data[pos]! - ZERO;
        if (mantissa !== 0 || digit !== 0) significant += 1;
        mantissa = mantissa * 10 + digit;
        pos += 1;
      }
      fractionDigits = pos - digitsStart;
      if (fractionDigits === 0) return false;
    }
    let exponent = 0;
    if (pos < end && (data[pos] === 0x65 || data[pos] === 0x45)) {
      pos += 1;
      let exponentSign = 1;
      if (pos < end && (data[pos] === 0x2b || data[pos] === MINUS)) {
        if (data[pos] === MINUS) exponentSign = -1;
        pos += 1;
      }
      const digitsStart = pos;
      while (pos < end && data[pos]! >= ZERO && data[pos]! <= NINE) {
        // Saturates: any exponent this large takes the exact path below.
        if (exponent < 100_000) exponent = exponent * 10 + (data[pos]! - ZERO);
        pos += 1;
      }
      if (pos === digitsStart) return false;
      exponent *= exponentSign;
    }
    this.pos = pos;
    const scale = exponent - fractionDigits;
    let value: number;
    if (mantissa === 0) {
      value = 0;
    } else if (significant <= 15 && scale >= -22 && scale <= 22) {
      // Both operands exact, so one correctly rounded operation: the value JSON.parse gives.
      value = scale >= 0 ? mantissa * POW10[scale]! : mantissa / POW10[-scale]!;
    } else {
      value = Math.abs(Number(latin1(data, start, pos)));
    }
    value = negative ? -value : value;
    if (!Number.isFinite(value)) return false;
    this.numberValue = value;
    return true;
  }

  private scanLiteral(bytes: Uint8Array): boolean {
    if (this.pos + bytes.length > this.end) return false;
    for (let i = 0; i < bytes.length; i += 1) if (this.data[this.pos + i] !== bytes[i]) return false;
    this.pos += bytes.length;
    return true;
  }

  /** A scalar value: its kind (None when it is anything else). */
  private scanValue(): Kind {
    const c = this.pos < this.end ? this.data[this.pos]! : 0;
    if (c === QUOTE) return this.scanString() ? Kind.String : Kind.None;
    if (c === 0x74) return this.scanLiteral(TRUE_BYTES) ? Kind.True : Kind.None;
    if (c === 0x66) return this.scanLiteral(FALSE_BYTES) ? Kind.False : Kind.None;
    if (c === 0x6e) return this.scanLiteral(NULL_BYTES) ? Kind.Null : Kind.None;
    return this.scanNumber() ? Kind.Number : Kind.None;
  }

  /** Epoch milliseconds of a valid, accepted timestamp; -1 otherwise. */
  private scanTimestamp(nowMs: number, limits: DecodeLimits): number {
    const scanned = this.scanValue();
    let value: string | number;
    if (scanned === Kind.Number) {
      if (!Number.isInteger(this.numberValue)) return -1;
      value = this.numberValue;
    } else if (scanned === Kind.String) {
      if (this.stringChars < TIMESTAMP_MIN || this.stringChars > TIMESTAMP_MAX) return -1;
      // RFC 3339 is ASCII: other text fails parseRfc3339 and is the reference path's to refuse.
      if (this.stringEnd - this.stringStart !== this.stringChars) return -1;
      value = latin1(this.data, this.stringStart, this.stringEnd);
    } else {
      return -1;
    }
    const time = parseEventTimestamp(value, nowMs, limits.maxFutureSkewMs);
    return time.ok ? time.epochMs : -1;
  }

  /**
   * A name -> scalar object into `entries`. Names must be 1-256 code points, unique and not
   * array indexes (JavaScript objects list those first, which would reorder the row).
   */
  private scanObject(entries: Entries, maxEntries: number, values: ObjectValues, maxValueChars: number): boolean {
    if (!this.take(OPEN)) return false;
    this.stamp += 1;
    this.skipSpace();
    if (this.take(CLOSE)) return true;
    for (;;) {
      if (!this.scanString()) return false;
      const nameStart = this.stringStart;
      const nameEnd = this.stringEnd;
      if (this.stringChars < 1 || this.stringChars > NAME_MAX || isDigits(this.data, nameStart, nameEnd) || isProto(this.data, nameStart, nameEnd)) return false;
      if (entries.count === maxEntries) return false;
      const index = entries.add();
      entries.nameStart[index] = nameStart;
      entries.nameEnd[index] = nameEnd;
      if (!this.insertName(entries, index)) return false;
      this.skipSpace();
      if (!this.take(COLON)) return false;
      this.skipSpace();
      const kind = this.scanValue();
      if (kind === Kind.None) return false;
      if (kind === Kind.String) {
        if (this.stringChars > maxValueChars) return false;
        entries.valueStart[index] = this.stringStart;
        entries.valueEnd[index] = this.stringEnd;
      } else if (kind === Kind.Number) {
        entries.number[index] = this.numberValue;
      }
      if (values === 'string' && kind !== Kind.String) return false;
      if (values === 'probability' && !(kind === Kind.Number && this.numberValue >= 0 && this.numberValue <= 1)) return false;
      entries.kind[index] = kind;
      this.skipSpace();
      if (this.take(COMMA)) {
        this.skipSpace();
        continue;
      }
      return this.take(CLOSE);
    }
  }


  /** False when the name may repeat an earlier one of the object (equal hash: let JSON.parse decide). */
  private insertName(entries: Entries, index: number): boolean {
    const data = this.data;
    let hash = 0x811c9dc5;
    for (let i = entries.nameStart[index]!; i < entries.nameEnd[index]!; i += 1) hash = Math.imul(hash ^ data[i]!, 0x01000193);
    entries.hash[index] = hash;
    const mask = this.slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      if (this.slotStamp[slot] !== this.stamp) {
        this.slotStamp[slot] = this.stamp;
        this.slots[slot] = index;
        return true;
      }
      if (entries.hash[this.slots[slot]!] === hash) return false;
    }
  }

  private fieldBit(start: number, end: number): number {
    const length = end - start;
    for (const { bytes, bit } of FIELD_BYTES) {
      if (bytes.length !== length) continue;
      let equal = true;
      for (let i = 0; i < length; i += 1) {
        if (this.data[start + i] !== bytes[i]) {
          equal = false;
          break;
        }
      }
      if (equal) return bit;
    }
    return 0;
  }

  /** ^[A-Za-z0-9][A-Za-z0-9._:/-]*$, 1-128 characters. */
  private isModelId(): boolean {
    const length = this.stringEnd - this.stringStart;
    if (length < 1 || length > MODEL_ID_MAX) return false;
    for (let i = 0; i < length; i += 1) {
      const c = this.data[this.stringStart + i]!;
      const alphanumeric = (c >= ZERO && c <= NINE) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
      if (alphanumeric) continue;
      if (i === 0 || (c !== DOT && c !== 0x5f && c !== COLON && c !== 0x2f && c !== MINUS)) return false;
    }
    return true;
  }

  /** A String column: the UTF-8 bytes of the message as they are (already validated). */
  private span(writer: ByteWriter, start: number, end: number): void {
    writer.utf8Bytes(this.data, start, end);
  }

  /** prediction_kind / label_kind, _num, _str, as rows.ts' splitValue. */
  private value(writer: ByteWriter, kind: Kind, number: number, start: number, end: number): void {
    if (kind === Kind.Number) {
      writer.int8(VALUE_KIND_NUMBER);
      writer.float64(number);
      writer.varUInt(0);
    } else if (kind === Kind.String) {
      writer.int8(VALUE_KIND_STRING);
      writer.float64(0);
      this.span(writer, start, end);
    } else {
      writer.int8(VALUE_KIND_BOOLEAN);
      writer.float64(kind === Kind.True ? 1 : 0);
      writer.utf8Bytes(kind === Kind.True ? TRUE_BYTES : FALSE_BYTES, 0, kind === Kind.True ? 4 : 5);
    }
  }

  /** Array(String) of the names of the `count` entries of one kind (-1: all). */
  private names(writer: ByteWriter, entries: Entries, only: number, count: number): void {
    writer.varUInt(count);
    for (let i = 0; i < entries.count; i += 1) {
      if (only === -1 || entries.kind[i] === only) this.span(writer, entries.nameStart[i]!, entries.nameEnd[i]!);
    }
  }

  private numbers(writer: ByteWriter, entries: Entries): void {
    writer.varUInt(entries.count);
    for (let i = 0; i < entries.count; i += 1) writer.float64(entries.number[i]!);
  }

  private strings(writer: ByteWriter, entries: Entries): void {
    writer.varUInt(entries.count);
    for (let i = 0; i < entries.count; i += 1) this.span(writer, entries.valueStart[i]!, entries.valueEnd[i]!);
  }

  /** num_feature_names/values, cat_feature_names/values (booleans as "true"/"false"), null_feature_names. */
  private featureColumns(writer: ByteWriter): void {
    const features = this.features;
    const numeric = this.countOf(features, Kind.Number);
    const nulls = this.countOf(features, Kind.Null);
    const categorical = features.count - numeric - nulls;
    this.names(writer, features, Kind.Number, numeric);
    writer.varUInt(numeric);
    for (let i = 0; i < features.count; i += 1) if (features.kind[i] === Kind.Number) writer.float64(features.number[i]!);
    writer.varUInt(categorical);
    for (let i = 0; i < features.count; i += 1) {
      const kind = features.kind[i];
      if (kind === Kind.String || kind === Kind.True || kind === Kind.False) this.span(writer, features.nameStart[i]!, features.nameEnd[i]!);
    }
    writer.varUInt(categorical);
    for (let i = 0; i < features.count; i += 1) {
      const kind = features.kind[i];
      if (kind === Kind.String) this.span(writer, features.valueStart[i]!, features.valueEnd[i]!);
      else if (kind === Kind.True) writer.utf8Bytes(TRUE_BYTES, 0, 4);
      else if (kind === Kind.False) writer.utf8Bytes(FALSE_BYTES, 0, 5);
    }
    this.names(writer, features, Kind.Null, nulls);
  }

  private countOf(entries: Entries, only: Kind): number {
    let count = 0;
    for (let i = 0; i < entries.count; i += 1) if (entries.kind[i] === only) count += 1;
    return count;
  }

}

/** Bytes of one well-formed UTF-8 sequence starting at a byte >= 0x80 (no overlongs, surrogates or > U+10FFFF); 0 if invalid. */
function utf8SequenceLength(data: Uint8Array, pos: number, end: number): number {
  const lead = data[pos]!;
  const continuation = (offset: number, low = 0x80, high = 0xbf) => pos + offset < end && data[pos + offset]! >= low && data[pos + offset]! <= high;
  if (lead >= 0xc2 && lead <= 0xdf) return continuation(1) ? 2 : 0;
  if (lead >= 0xe0 && lead <= 0xef) {
    const low = lead === 0xe0 ? 0xa0 : 0x80;
    const high = lead === 0xed ? 0x9f : 0xbf;
    return continuation(1, low, high) && continuation(2) ? 3 : 0;
  }
  if (lead >= 0xf0 && lead <= 0xf4) {
    const low = lead === 0xf0 ? 0x90 : 0x80;
    const high = lead === 0xf4 ? 0x8f : 0xbf;
    return continuation(1, low, high) && continuation(2) && continuation(3) ? 4 : 0;
  }
  return 0;
}

function isDigits(data: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i += 1) if (data[i]! < ZERO || data[i]! > NINE) return false;
  return end > start;
}

/** `__proto__`: JSON.parse makes it an own key, but leave such events to the reference path. */
function isProto(data: Uint8Array, start: number, end: number): boolean {
  return end - start === 9 && data[start] === 0x5f && latin1(data, start, end) === '__proto__';
}

function latin1(data: Uint8Array, start: number, end: number): string {
  let text = '';
  for (let i = start; i < end; i += 1) text += String.fromCharCode(data[i]!);
  return text;
}
