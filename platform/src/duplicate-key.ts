/**
 * Duplicate keys: how both subgraphs make a write happen once (a unique index refuses the second
 * insert) on MongoDB and FerretDB alike. The error shapes: a single write fails with code 11000;
 * an insertMany/bulkWrite fails with `writeErrors` (an array, or one object), each with the
 * index of the refused document. Some FerretDB paths put only "E11000 …" in the message.
 */

export const DUPLICATE_KEY_CODE = 11000;

export interface WriteError {
  index: number;
  code?: number;
  errmsg?: string;
}

function duplicate(e: { code?: unknown; errmsg?: unknown; message?: unknown } | null | undefined): boolean {
  if (!e || typeof e !== 'object') return false;
  if (e.code === DUPLICATE_KEY_CODE) return true;
  const text = typeof e.errmsg === 'string' ? e.errmsg : typeof e.message === 'string' ? e.message : '';
  return text.startsWith('E11000');
}

/** The per-document errors of a failed multi-document write; empty for any other error. */
export function writeErrorsOf(err: unknown): WriteError[] {
  const raw = (err as { writeErrors?: unknown } | null)?.writeErrors;
  return (Array.isArray(raw) ? raw : raw ? [raw] : []) as WriteError[];
}

/** A unique index refused the write (a single-document write, or the error as a whole). */
export function isDuplicateKey(err: unknown): boolean {
  return duplicate(err as { code?: unknown });
}

/**
 * The indexes a failed unordered multi-document write refused, when every refusal is a duplicate
 * key; null when anything else failed (the caller rethrows).
 */
export function duplicateIndexes(err: unknown): Set<number> | null {
  const list = writeErrorsOf(err);
  if (list.length === 0 || !list.every(duplicate)) return null;
  return new Set(list.map((e) => e.index));
}

/** Index of the first refused document of a failed ordered insert when it is a duplicate key, or null for another failure. */
export function firstDuplicate(err: unknown): number | null {
  const list = writeErrorsOf(err);
  if (list.length > 0) return duplicate(list[0]) ? Math.min(...list.map((e) => e.index)) : null;
  return isDuplicateKey(err) ? 0 : null;
}

/** Inserts many documents unordered, ignoring duplicate keys (idempotent re-runs); returns the indexes refused as duplicates. */
export async function insertIgnoringDuplicates(model: { collection: { insertMany(docs: any[], o: any): Promise<unknown> } }, docs: any[]): Promise<Set<number>> {
  if (docs.length === 0) return new Set();
  try {
    await model.collection.insertMany(docs, { ordered: false });
    return new Set();
  } catch (err) {
    const dup = duplicateIndexes(err);
    if (!dup) throw err;
    return dup;
  }
}
