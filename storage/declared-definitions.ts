/**
 * Definitions as code (monitors and rules in the config file): at start-up, writes each
 * declared definition whose stored one differs or is missing, and deletes those that came
 * from the config file but are no longer declared. API-made definitions are left alone.
 */
export interface DeclaredSync<T> {
  declared: readonly T[];
  stored: ReadonlyArray<{ item: T; source: string }>;
  id(item: T): string;
  /** The complete JSON form: equal JSON means an unchanged definition. */
  toJson(item: T): unknown;
  save(item: T): Promise<unknown>;
  remove(item: T): Promise<unknown>;
}

export async function syncDeclared<T>(sync: DeclaredSync<T>): Promise<{ written: number; deleted: number }> {
  const declared = new Set(sync.declared.map(sync.id));
  const stored = new Map(sync.stored.map((entry) => [sync.id(entry.item), entry]));
  let deleted = 0;
  for (const entry of stored.values()) {
    if (entry.source === 'config' && !declared.has(sync.id(entry.item))) {
      await sync.remove(entry.item);
      deleted++;
    }
  }
  let written = 0;
  for (const item of sync.declared) {
    const existing = stored.get(sync.id(item));
    if (existing !== undefined && existing.source === 'config' && JSON.stringify(sync.toJson(existing.item)) === JSON.stringify(sync.toJson(item))) continue;
    await sync.save(item);
    written++;
  }
  return { written, deleted };
}
