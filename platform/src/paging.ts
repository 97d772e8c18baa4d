// Newest-first pages: `find(filter).sort({t: -1, _id: -1}).limit(n)` with the time field bounded
// on both sides.
//
// The bounds are what let the embedded engine serve the page from the time index: FerretDB 1.x
// as released sorts in memory after reading every matching document; the project's patch
// (tools/ferretdb/patches/0001, orderedQuery) reads in index order, stopping after the page,
// when the sort field carries a date range whose both ends it can compare exactly, which is
// any two instants from 2001-09-09 to 2286-11-20 (13-digit milliseconds). MongoDB serves the
// same query from the same index.

/** Earliest and latest instants a page spans: 13-digit milliseconds. */
export const DATE_MIN = new Date(1e12);
export const DATE_MAX = new Date(1e13 - 1);

interface Findable {
  find(filter: Record<string, unknown>): {
    sort(s: Record<string, 1 | -1>): { limit(n: number): { lean(): { exec(): Promise<unknown> } } };
  };
}

export interface NewestFirstOptions {
  /** The indexed date field the page is ordered by (descending), ties broken by `_id` descending. */
  field: string;
  limit: number;
  /** Only documents strictly after this position (a previous page's last document). */
  before?: { at: Date; id: string };
}

/** Returns up to `limit` documents matching `filter`, newest first by `field`, then `_id`. */
export async function newestFirst<T>(model: Findable, filter: Record<string, unknown>, opts: NewestFirstOptions): Promise<T[]> {
  const { field, limit, before } = opts;
  // A range the caller put on the field narrows the bounds (instants are whole milliseconds).
  const { rest, range } = bounded(filter, field, before?.at.getTime());
  const q: Record<string, unknown> = { ...rest, [field]: range };
  if (before) {
    // Ties on the instant continue by _id; evaluated after the index read.
    const tie = { $or: [{ [field]: { $lt: before.at } }, { [field]: before.at, _id: { $lt: before.id } }] };
    q.$and = [...((rest.$and as unknown[]) ?? []), tie];
  }
  return (await model.find(q).sort({ [field]: -1, _id: -1 }).limit(limit).lean().exec()) as T[];
}

/** Milliseconds of a date-like value. */
const millis = (v: unknown) => (v === undefined || v === null ? undefined : new Date(v as Date).getTime());

/** The filter with `field` bounded to [DATE_MIN, DATE_MAX] within whatever range it already had. */
function bounded(filter: Record<string, unknown>, field: string, extraHi?: number): { rest: Record<string, unknown>; range: { $gte: Date; $lte: Date } } {
  const { [field]: range, ...rest } = filter as Record<string, any>;
  const lo = Math.max(DATE_MIN.getTime(), millis(range?.$gte) ?? -Infinity, (millis(range?.$gt) ?? -Infinity) + 1);
  const hi = Math.min(DATE_MAX.getTime(), millis(range?.$lte) ?? Infinity, (millis(range?.$lt) ?? Infinity) - 1, extraHi ?? Infinity);
  return { rest, range: { $gte: new Date(lo), $lte: new Date(hi) } };
}

export interface AscendingPagesOptions {
  /** The indexed date field the documents are read in order of, ties by `_id`. */
  field: string;
  pageSize: number;
  /** Projection; `field` and `_id` are always included. */
  select?: Record<string, number>;
}

/**
 * Every document matching `filter` in (`field`, `_id`) order, read in pages of `pageSize`, each
 * one short query that resumes after the previous page's last document. Unlike one long
 * cursor, no read stays open while the caller writes between pages: on SQLite an open read pins
 * a snapshot and the write-ahead log cannot be checkpointed past it.
 */
export async function* ascendingPages<T extends { _id: unknown }>(model: { find(f: Record<string, unknown>): any }, filter: Record<string, unknown>, opts: AscendingPagesOptions): AsyncGenerator<T> {
  const { field, pageSize } = opts;
  const { rest, range } = bounded(filter, field);
  let after: { at: Date; id: unknown } | null = null;
  for (;;) {
    const q: Record<string, unknown> = { ...rest, [field]: after ? { $gte: after.at, $lte: range.$lte } : range };
    if (after) q.$and = [...((rest.$and as unknown[]) ?? []), { $or: [{ [field]: { $gt: after.at } }, { [field]: after.at, _id: { $gt: after.id } }] }];
    let query = model.find(q);
    if (opts.select) query = query.select({ ...opts.select, [field]: 1, _id: 1 });
    const page = (await query.sort({ [field]: 1, _id: 1 }).limit(pageSize).lean().exec()) as T[];
    for (const doc of page) yield doc;
    if (page.length < pageSize) return;
    const last = page[page.length - 1] as Record<string, any>;
    after = { at: new Date(last[field]), id: last._id };
  }
}
