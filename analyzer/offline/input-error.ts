/**
 * A problem with an input file, located precisely enough to fix it:
 * `file:line:column: message`. The command exits with code 2 on these.
 */
export class InputError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly column: number | null,
    readonly detail: string,
  ) {
    super(`${file}${line === null ? '' : `:${line}`}${column === null ? '' : `:${column}`}: ${detail}`);
    this.name = 'InputError';
  }
}

/** Wrong command-line usage (unknown flag, missing value); also exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
