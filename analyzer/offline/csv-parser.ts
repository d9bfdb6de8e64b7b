/**
 * Streaming CSV (RFC 4180) parser. Fed text chunks, it hands each cell to a
 * sink as a (source, start, end) range, so plain cells never become strings
 * unless the column needs one (numbers are parsed straight from the
 * characters): that is what keeps a million-row file at a few seconds.
 *
 * Quoted fields may hold commas, doubled quotes and line breaks; CRLF and LF
 * both end records; blank lines are skipped. Anything RFC 4180 does not allow
 * (a quote inside an unquoted field, text after a closing quote, an
 * unterminated quote) is an InputError naming the line and column (field number).
 */
import { countBelow } from '../stats/binning.js';
import { InputError } from './input-error.js';

export interface CsvSink {
  /** An unquoted cell: the text source.slice(start, end). */
  cell(source: string, start: number, end: number): void;
  /** A quoted cell, with its quotes removed and doubled quotes undone. */
  quotedCell(value: string): void;
  /** The record that started on `line` is complete. */
  endRecord(line: number): void;
}

const QUOTE = 34;
const COMMA = 44;
const NEWLINE = 10;
const CARRIAGE_RETURN = 13;
/** A record longer than this is taken as a runaway quote rather than buffered forever. */
const MAX_RECORD_CHARACTERS = 64 * 1024 * 1024;

export class CsvParser {
  private pending = '';
  private line = 1;
  private started = false;

  constructor(
    private readonly file: string,
    private readonly sink: CsvSink,
  ) {}

  push(chunk: string): void {
    this.consume(chunk, false);
  }

  end(): void {
    this.consume('', true);
  }

  private consume(chunk: string, final: boolean): void {
    let text = this.pending.length === 0 ? chunk : flatten(this.pending + chunk);
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // byte-order mark
    }
    let limit = final ? text.length : completeRecordsEnd(text);
    if (limit === 0 && text.length > MAX_RECORD_CHARACTERS) limit = text.length;
    this.scan(text, limit);
    this.pending = text.slice(limit);
  }

  /**
   * Parse text[0, limit), which holds whole records (and, when final, possibly
   * a last one without a line break). Lines without quotes take the fast path:
   * native indexOf finds line breaks and commas (each character is searched
   * once, thanks to the cached next positions); only records with quotes
   * are walked character by character.
   */
  private scan(text: string, limit: number): void {
    const sink = this.sink;
    let line = this.line;
    let i = 0;
    let nextQuote = -1;
    let nextComma = -1;
    while (i < limit) {
      if (nextQuote < i) {
        nextQuote = text.indexOf('"', i);
        if (nextQuote === -1 || nextQuote > limit) nextQuote = limit;
      }
      let lineEnd = text.indexOf('\n', i);
      if (lineEnd === -1 || lineEnd > limit) lineEnd = limit;
      if (nextQuote < lineEnd) {
        [i, line] = this.scanQuotedRecord(text, i, limit, line);
        continue;
      }
      const end = lineEnd > i && text.charCodeAt(lineEnd - 1) === CARRIAGE_RETURN ? lineEnd - 1 : lineEnd;
      if (end > i) {
        let start = i;
        for (;;) {
          if (nextComma < start) {
            nextComma = text.indexOf(',', start);
            if (nextComma === -1) nextComma = text.length;
          }
          if (nextComma >= end) break;
          sink.cell(text, start, nextComma);
          start = nextComma + 1;
        }
        sink.cell(text, start, end);
        sink.endRecord(line);
      }
      line++;
      i = lineEnd + 1;
    }
    this.line = line;
  }

  /** One record that contains quotes, character by character; returns [next position, next line]. */
  private scanQuotedRecord(text: string, start: number, limit: number, firstLine: number): [number, number] {
    const sink = this.sink;
    let line = firstLine;
    let cellStart = start;
    let fields = 0;
    let i = start;
    while (i < limit) {
      const code = text.charCodeAt(i);
      if (code === COMMA) {
        sink.cell(text, cellStart, i);
        fields++;
        cellStart = ++i;
      } else if (code === NEWLINE) {
        const end = i > cellStart && text.charCodeAt(i - 1) === CARRIAGE_RETURN ? i - 1 : i;
        sink.cell(text, cellStart, end);
        sink.endRecord(firstLine);
        return [i + 1, line + 1];
      } else if (code === QUOTE) {
        if (i !== cellStart) {
          throw new InputError(this.file, line, fields + 1, 'quote inside an unquoted field (quote the whole field and double the quote)');
        }
        let value = '';
        let from = i + 1;
        for (;;) {
          const close = text.indexOf('"', from);
          if (close === -1 || close >= limit) {
            throw new InputError(this.file, line, fields + 1, 'unterminated quoted field');
          }
          value += text.slice(from, close);
          if (close + 1 < limit && text.charCodeAt(close + 1) === QUOTE) {
            value += '"';
            from = close + 2;
          } else {
            i = close + 1;
            break;
          }
        }
        line += countNewlines(value);
        sink.quotedCell(value);
        fields++;
        const next = i < limit ? text.charCodeAt(i) : -1;
        if (next === COMMA) {
          cellStart = ++i;
        } else if (next === -1) {
          sink.endRecord(firstLine);
          return [i, line];
        } else if (next === NEWLINE || (next === CARRIAGE_RETURN && (i + 1 >= limit || text.charCodeAt(i + 1) === NEWLINE))) {
          sink.endRecord(firstLine);
          return [Math.min(limit, i + (next === CARRIAGE_RETURN ? 2 : 1)), line + 1];
        } else {
          throw new InputError(this.file, line, fields, 'unexpected text after a closing quote');
        }
      } else {
        i++;
      }
    }
    // The last record of the file, without a line break.
    const end = limit > cellStart && text.charCodeAt(limit - 1) === CARRIAGE_RETURN ? limit - 1 : limit;
    sink.cell(text, cellStart, end);
    sink.endRecord(firstLine);
    return [limit, line];
  }
}

/**
 * End of the last complete record in text: just past the last line break that
 * lies outside quotes (an even number of quote characters before it).
 */
function completeRecordsEnd(text: string): number {
  let newline = text.lastIndexOf('\n');
  if (newline === -1) return 0;
  if (text.indexOf('"') === -1) return newline + 1;
  const quotes: number[] = [];
  for (let q = text.indexOf('"'); q !== -1; q = text.indexOf('"', q + 1)) quotes.push(q);
  while (newline !== -1) {
    if (countBelow(quotes, newline) % 2 === 0) return newline + 1;
    newline = text.lastIndexOf('\n', newline - 1);
  }
  return 0;
}

/**
 * Concatenation makes a rope (cons string) in V8, on which every charCodeAt
 * takes a slow path; converting it to a number forces V8 to flatten it once.
 */
function flatten(text: string): string {
  void Number(text);
  return text;
}

function countNewlines(text: string): number {
  let count = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) count++;
  return count;
}
