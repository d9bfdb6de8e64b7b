/**
 * The V8 heap flags Driftwatch runs with (test/unit/node-flags.test.ts holds `npm start`,
 * the demo, the Docker image and the benchmarks to them).
 *
 * Every process: --max-old-space-size=160 --max-semi-space-size=4. Batches and column values
 * live off the JS heap, so the heap itself stays small and bounded.
 *
 * A process that runs the analyzer adds --initial-old-space-size=64. With a 160 MB ceiling
 * V8 sets the old-generation limit just above the ~10 MB the heap holds and starts marking
 * again as soon as a collection ends: measured on the analyzer bench (2 x 1M rows), ~100
 * full mark-compacts per analysis and wall times 20-30% longer; with the flag none, and the
 * same peak RSS (the heap stays ~15 MB). An ingest-only process goes without it: there the
 * heap does fill, and its peak RSS rose from ~235 to 283 MB (one bench run), past the
 * 256 MB goal.
 */
export const NODE_HEAP_FLAGS: readonly string[] = ['--max-old-space-size=160', '--max-semi-space-size=4'];
export const ANALYZER_NODE_HEAP_FLAGS: readonly string[] = [...NODE_HEAP_FLAGS, '--initial-old-space-size=64'];

/** The flags a process running these roles should be started with. */
export function heapFlagsFor(roles: ReadonlySet<string>): readonly string[] {
  return roles.has('analyzer') ? ANALYZER_NODE_HEAP_FLAGS : NODE_HEAP_FLAGS;
}

/**
 * The heap flags `heapFlagsFor(roles)` names that a process was started without, given its
 * command-line flags (execArgv) and NODE_OPTIONS (where node accepts the two size limits).
 */
export function missingHeapFlags(roles: ReadonlySet<string>, execArgv: readonly string[], nodeOptions = ''): string[] {
  const given = new Set([...execArgv, ...nodeOptions.split(/\s+/)].map((flag) => flag.split('=')[0]));
  return heapFlagsFor(roles).filter((flag) => !given.has(flag.split('=')[0]));
}
