// Newest-first pages read through a time index, in widening windows.
//
// `find(filter).sort({t: -1}).limit(n)` is one indexed read on MongoDB, but FerretDB 1.x sorts
// in memory: it reads every document matching the filter before taking the first n, so a page
// costs the whole collection (or the whole tenant). Reading the newest slice of time first, then
// older slices of growing width until the page is full, touches only about a page of documents
// through the time field's index on both engines. Slices are disjoint and ordered, so the newest
// `limit` documents are among those read as soon as that many have been found.

/** Earliest and latest instants the windows span: 13-digit milliseconds (2001-09-09 to 2286-11-20). */
export const DATE_MIN = new Date(1e12);
export const DATE_MAX = new Date(1e13 - 1);

const FIRST_WINDOW_MS = 3600_000;
const GROWTH = 16;

interface Findable<T> {
  find(filter: Record<string, unknown>): { lean(): { exec(): Promise<unknown> } };
}

export interface NewestFirstOptions {
  /** The indexed date field the page is ordered by (descending), ties broken by `_id` descending. */
  field: string;
  limit: number;
  /** Only documents strictly before this position (a previous page's last document). */
  before?: { at: Date; id: string };
  now?: number;
}

/** Returns up to `limit` documents matching `filter`, newest first by `field`, then `_id`. */
export async function newestFirst<T extends { _id: unknown }>(model: Findable<T>, filter: Record<string, unknown>, opts: NewestFirstOptions): Promise<T[]> {
  const { field, limit } = opts;
  const time = (d: T) => new Date((d as Record<string, any>)[field]).getTime();
  // A range the caller put on the field narrows the windows.
  const { [field]: range, ...rest } = filter as Record<string, any>;
  const ms = (v: unknown) => (v === undefined || v === null ? undefined : new Date(v as Date).getTime());
  const floor = Math.max(DATE_MIN.getTime(), ms(range?.$gte) ?? (ms(range?.$gt) ?? -Infinity) + 1);
  const ceiling = Math.min(
    opts.before ? opts.before.at.getTime() : DATE_MAX.getTime(),
    (ms(range?.$lt) ?? Infinity) - 1,
    ms(range?.$lte) ?? Infinity,
  );
  const found: T[] = [];
  if (ceiling < floor) return found;
  // The first window reaches from an hour ago to the ceiling (documents dated in the future too).
  // Bounds are inclusive milliseconds, so both stay within DATE_MIN..DATE_MAX.
  let hi = ceiling;
  let lo = Math.max(floor, Math.min(ceiling, (opts.now ?? Date.now()) - FIRST_WINDOW_MS));
  let width = FIRST_WINDOW_MS;
  for (;;) {
    const docs = (await model
      .find({ ...rest, [field]: { $gte: new Date(lo), $lte: new Date(hi) } })
      .lean()
      .exec()) as T[];
    for (const d of docs) {
      if (opts.before && time(d) === ceiling && !(String(d._id) < opts.before.id)) continue;
      found.push(d);
    }
    if (found.length >= limit || lo <= floor) break;
    hi = lo - 1;
    width *= GROWTH;
    lo = Math.max(floor, hi - width);
  }
  found.sort((a, b) => time(b) - time(a) || (String(a._id) < String(b._id) ? 1 : String(a._id) > String(b._id) ? -1 : 0));
  return found.slice(0, limit);
}
