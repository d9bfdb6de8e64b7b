// analyzer/service/column-spill.ts: values spilled row by row (addRow) or in gathered blocks
// (RowBlock), written through the thread pool, come back per column and side in arrival
// order, across buffer and block boundaries and pattern changes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ColumnSpill, RowBlock, spilledColumnValues } from '../../analyzer/service/column-spill.js';

function readBack(spill: ColumnSpill, id: number): [number[], number[]] {
  const values = spilledColumnValues(spill.column(id));
  const sides: [number[], number[]] = [[], []];
  for (const side of [0, 1] as const) values.forEachChunk(side, (chunk) => sides[side].push(...chunk));
  return sides;
}

function rowView(values: number[]): DataView {
  // An odd offset, as rows lie in received chunks.
  const bytes = new Uint8Array(3 + 8 * values.length);
  const view = new DataView(bytes.buffer, 0, bytes.length);
  values.forEach((value, index) => view.setFloat64(3 + 8 * index, value, true));
  return view;
}

test('rows spilled through blocks and row by row give each column its values in arrival order', async () => {
  // Three layouts of column ids (0 = not selected), rows switching between them in runs and singly.
  const layouts = [Uint16Array.of(3, 4, 5, 0, 6), Uint16Array.of(3, 5, 6), Uint16Array.of(7, 0, 4, 3)];
  const expected = new Map<number, [number[], number[]]>();
  const byBlock = new ColumnSpill();
  const byRow = new ColumnSpill();
  const blocks = [new RowBlock(byBlock, 0), new RowBlock(byBlock, 1)] as const;
  try {
    let value = 0;
    // ~20,000 rows per side: past the 8,192-value buffers and the 128-row blocks many times.
    for (let row = 0; row < 40_000; row++) {
      const side = (row % 7 === 3 ? 1 - (row & 1) : row & 1) as 0 | 1;
      const ids = layouts[Math.floor(row / 300) % 3 === 2 && row % 5 === 0 ? 2 : Math.floor(row / 300) % 2]!;
      const values = Array.from(ids, () => (value += 1.25) * (value % 3 === 0 ? -1 : 1));
      const view = rowView(values);
      blocks[side].add(ids, view, 3);
      byRow.addRow(side, view, 0, 3, values.length, ids);
      ids.forEach((id, position) => {
        if (id === 0) return;
        const sides = expected.get(id) ?? [[], []];
        sides[side].push(values[position]!);
        expected.set(id, sides);
      });
    }
    blocks[0].flush();
    blocks[1].flush();
    await byBlock.finish();
    await byRow.finish();
    assert.deepEqual(byBlock.ids(), [...expected.keys()].sort((a, b) => a - b));
    for (const [id, sides] of expected) {
      assert.deepEqual(readBack(byBlock, id), sides, `column ${id} through blocks`);
      assert.deepEqual(readBack(byRow, id), sides, `column ${id} row by row`);
      assert.deepEqual(byBlock.valueCounts(id), [sides[0].length, sides[1].length]);
      assert.ok(byBlock.column(id).sample.length > 0);
    }
  } finally {
    byBlock.dispose();
    byRow.dispose();
  }
});

test('a spill disposed while its writes are in flight leaves nothing behind and fails nothing', async () => {
  const spill = new ColumnSpill();
  const ids = Uint16Array.of(3, 4);
  const block = new RowBlock(spill, 0);
  for (let row = 0; row < 50_000; row++) block.add(ids, rowView([row, -row]), 3);
  block.flush();
  const directory = spill.column(3).files[0].replace(/\/[^/]+$/, '');
  spill.dispose();
  const { existsSync } = await import('node:fs');
  assert.equal(existsSync(directory), false);
  // Writes still running end quietly; give them time to.
  await new Promise((resolve) => setTimeout(resolve, 200));
});
