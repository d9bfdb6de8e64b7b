import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ANALYZER_NODE_HEAP_FLAGS, heapFlagsFor, missingHeapFlags, NODE_HEAP_FLAGS } from '../../app/node-flags.js';

const REPO = new URL('../../../', import.meta.url); // the repo (this file runs from dist/test/unit/)
const read = (path: string): string => readFileSync(new URL(path, REPO), 'utf8');

/** The `--...-space-size` flags of a command line, in order. */
function heapFlags(commandLine: string): string[] {
  return commandLine.match(/--[a-z-]+-space-size=\d+/g) ?? [];
}

// Each starts every role, the analyzer included.
const launchers: Array<[where: string, commandLine: () => string]> = [
  ['package.json scripts.start', () => (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts.start!],
  ['the Dockerfile CMD', () => read('Dockerfile').split('\n').find((line) => line.startsWith('CMD'))!],
  ['scripts/demo.sh', () => read('scripts/demo.sh').split('\n').find((line) => line.includes('dist/cli/main.js start'))!],
];

for (const [where, commandLine] of launchers) {
  test(`${where} starts node with the heap flags of a process running the analyzer`, () => {
    assert.deepEqual(heapFlags(commandLine()), [...ANALYZER_NODE_HEAP_FLAGS]);
  });
}

test('the analyzer raises the initial old-space limit; ingest alone keeps the bounded heap only', () => {
  const table: Array<[roles: string[], flags: readonly string[]]> = [
    [['ingest', 'analyzer', 'alerting', 'api'], ANALYZER_NODE_HEAP_FLAGS],
    [['analyzer'], ANALYZER_NODE_HEAP_FLAGS],
    [['ingest'], NODE_HEAP_FLAGS],
    [['ingest', 'api'], NODE_HEAP_FLAGS],
    [['alerting'], NODE_HEAP_FLAGS],
  ];
  for (const [roles, flags] of table) assert.deepEqual(heapFlagsFor(new Set(roles)), flags, roles.join(','));
  assert.ok(ANALYZER_NODE_HEAP_FLAGS.includes('--initial-old-space-size=64'));
  assert.ok(!NODE_HEAP_FLAGS.some((flag) => flag.startsWith('--initial-old-space-size')));
});

test('missingHeapFlags names the flags a process was started without, whatever their values', () => {
  const analyzer = new Set(['analyzer']);
  const table: Array<[execArgv: string[], missing: string[]]> = [
    [[], [...ANALYZER_NODE_HEAP_FLAGS]],
    [[...ANALYZER_NODE_HEAP_FLAGS, '--enable-source-maps'], []],
    [['--max-old-space-size=512', '--max-semi-space-size=8', '--initial-old-space-size=128'], []],
    [[...NODE_HEAP_FLAGS], ['--initial-old-space-size=64']],
  ];
  for (const [execArgv, missing] of table) assert.deepEqual(missingHeapFlags(analyzer, execArgv), missing, execArgv.join(' '));
  assert.deepEqual(missingHeapFlags(new Set(['ingest']), [...NODE_HEAP_FLAGS]), []);
  // The size limits may come through NODE_OPTIONS instead (node refuses the initial size there).
  assert.deepEqual(missingHeapFlags(new Set(['ingest']), ['--enable-source-maps'], ' --max-old-space-size=160  --max-semi-space-size=4'), []);
  assert.deepEqual(missingHeapFlags(analyzer, ['--initial-old-space-size=64'], '--max-old-space-size=160'), ['--max-semi-space-size=4']);
});
