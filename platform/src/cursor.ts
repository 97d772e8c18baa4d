import { badInput } from '@exchange/pricing';

/**
 * The one page-cursor codec of both subgraphs. A cursor is opaque to clients: base64url of
 * `p1:<instant in ms, or empty>:<id>`, the position of the last item of a page in its order
 * (an instant and an id for time-ordered lists, an id alone for id-ordered ones).
 *
 * Cursors written before it (the Moderator's market feed `mb1:<ms>:<id>`, billing's JSON array
 * `[iso, id]` / `[id]`) are still read, so a client holding one keeps paging.
 */
export interface PagePosition {
  at: Date | null;
  id: string;
}

const MAX_CURSOR = 600;
const CURRENT = /^p1:(\d{0,16}):([^\x00-\x1f]{1,400})$/s;
const LEGACY_MARKET = /^mb1:(\d{1,16}):([A-Za-z0-9_-]{1,100})$/;
const ZONED_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

export function encodeCursor(p: { at?: Date | null; id: string }): string {
  return Buffer.from(`p1:${p.at ? p.at.getTime() : ''}:${p.id}`, 'utf8').toString('base64url');
}

/** The position a cursor encodes, null for no cursor; BAD_USER_INPUT naming `field` for anything this API did not write. */
export function decodeCursor(value: string | null | undefined, field = 'after'): PagePosition | null {
  if (value === undefined || value === null) return null;
  const position = typeof value === 'string' && value.length <= MAX_CURSOR && /^[A-Za-z0-9_-]+$/.test(value) ? read(Buffer.from(value, 'base64url').toString('utf8')) : null;
  if (!position) throw badInput(field, `${field} is not a cursor returned by this API (pass the cursor a page returned)`);
  return position;
}

function read(text: string): PagePosition | null {
  const m = CURRENT.exec(text) ?? LEGACY_MARKET.exec(text);
  if (!m) return legacyArray(text);
  if (m[1] === '') return { at: null, id: m[2] };
  const at = instant(new Date(Number(m[1])));
  return at ? { at, id: m[2] } : null;
}

function instant(d: Date): Date | null {
  return Number.isNaN(d.getTime()) ? null : d;
}

/** Billing's earlier cursors: a JSON array `[iso instant, id]` or `[id]`. */
function legacyArray(text: string): PagePosition | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (!Array.isArray(v)) return null;
  if (v.length === 1 && typeof v[0] === 'string' && v[0] !== '') return { at: null, id: v[0] };
  if (v.length === 2 && typeof v[0] === 'string' && ZONED_ISO.test(v[0]) && typeof v[1] === 'string' && v[1] !== '') {
    const at = instant(new Date(v[0]));
    return at ? { at, id: v[1] } : null;
  }
  return null;
}
