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
  const { [field]: range, ...rest } = filter as Record<string, any>;
  const ms = (v: unknown) => (v === undefined || v === null ? undefined : new Date(v as Date).getTime());
  const lo = Math.max(DATE_MIN.getTime(), ms(range?.$gte) ?? -Infinity, (ms(range?.$gt) ?? -Infinity) + 1);
  let hi = Math.min(DATE_MAX.getTime(), ms(range?.$lte) ?? Infinity, (ms(range?.$lt) ?? Infinity) - 1);
  if (before) hi = Math.min(hi, before.at.getTime());
  const q: Record<string, unknown> = { ...rest, [field]: { $gte: new Date(lo), $lte: new Date(hi) } };
  if (before) {
    // Ties on the instant continue by _id; evaluated after the index read.
    const tie = { $or: [{ [field]: { $lt: before.at } }, { [field]: before.at, _id: { $lt: before.id } }] };
    q.$and = [...((rest.$and as unknown[]) ?? []), tie];
  }
  return (await model.find(q).sort({ [field]: -1, _id: -1 }).limit(limit).lean().exec()) as T[];
}
