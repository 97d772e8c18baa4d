import { AppError } from '../../../moderator-subgraph/src/domain/errors';
import { type RoutingEntry, RoutingIndex } from '../../../moderator-subgraph/src/domain/routing';

const T0 = Date.UTC(2030, 1, 1);
const HOUR = 3_600_000;
const t = (h: number) => new Date(T0 + h * HOUR);

function entry(selectionId: string, prefix: string, fromH: number, toH: number, patch: Partial<RoutingEntry> = {}): RoutingEntry {
  return {
    selectionId,
    buyerId: 'buyer-1',
    carrierId: `carrier-of-${selectionId}`,
    prefix,
    intervalStart: t(fromH),
    intervalEnd: t(toH),
    ratePerUnit: '0.01',
    currency: 'USD',
    requestId: `req-of-${selectionId}`,
    ...patch,
  };
}

function sel(r: ReturnType<RoutingIndex['lookup']>): string {
  return r.entry ? r.entry.selectionId : r.reason;
}

describe('RoutingIndex', () => {
  let ix: RoutingIndex;
  beforeEach(() => {
    ix = new RoutingIndex();
    ix.upsert(entry('uk', '44', 0, 24));
    ix.upsert(entry('london', '4420', 0, 24));
  });

  it('routes to the longest matching prefix', () => {
    expect(sel(ix.lookup('buyer-1', '442071234567', t(1)))).toBe('london');
    expect(sel(ix.lookup('buyer-1', '+442071234567', t(1)))).toBe('london');
    expect(sel(ix.lookup('buyer-1', '441611234567', t(1)))).toBe('uk');
    expect(sel(ix.lookup('buyer-1', '4420', t(1)))).toBe('london');
    expect(sel(ix.lookup('buyer-1', '442', t(1)))).toBe('uk');
    expect(sel(ix.lookup('buyer-1', '4', t(1)))).toBe('NO_ROUTE_FOR_DESTINATION');
    expect(sel(ix.lookup('buyer-1', '33123456789', t(1)))).toBe('NO_ROUTE_FOR_DESTINATION');
  });

  it('returns the full entry', () => {
    const r = ix.lookup('buyer-1', '442071234567', t(1));
    expect(r.entry).toEqual(entry('london', '4420', 0, 24));
  });

  it('falls back to a shorter prefix when the longer one is outside its interval', () => {
    ix.upsert(entry('london', '4420', 10, 12)); // replaces (london, 4420)
    expect(sel(ix.lookup('buyer-1', '442071234567', t(11)))).toBe('london');
    expect(sel(ix.lookup('buyer-1', '442071234567', t(9)))).toBe('uk');
    expect(sel(ix.lookup('buyer-1', '442071234567', t(12)))).toBe('uk');
    expect(ix.size).toBe(2);
  });

  it('reports a matched prefix without a live selection', () => {
    expect(sel(ix.lookup('buyer-1', '442071234567', t(24)))).toBe('NO_ACTIVE_SELECTION_AT_TIME');
    expect(sel(ix.lookup('buyer-1', '442071234567', t(-1)))).toBe('NO_ACTIVE_SELECTION_AT_TIME');
  });

  it('treats the interval as start-inclusive, end-exclusive', () => {
    const end = new Date(T0 + 24 * HOUR);
    expect(sel(ix.lookup('buyer-1', '4420', new Date(T0)))).toBe('london');
    expect(sel(ix.lookup('buyer-1', '4420', new Date(T0 - 1)))).toBe('NO_ACTIVE_SELECTION_AT_TIME');
    expect(sel(ix.lookup('buyer-1', '4420', new Date(end.getTime() - 1)))).toBe('london');
    expect(sel(ix.lookup('buyer-1', '4420', end))).toBe('NO_ACTIVE_SELECTION_AT_TIME');
  });

  it('keeps buyers apart', () => {
    ix.upsert(entry('b2-uk', '44', 0, 24, { buyerId: 'buyer-2' }));
    expect(sel(ix.lookup('buyer-2', '442071234567', t(1)))).toBe('b2-uk');
    expect(sel(ix.lookup('buyer-3', '442071234567', t(1)))).toBe('NO_ROUTE_FOR_DESTINATION');
    expect(ix.table('buyer-2', t(1)).map((e) => e.selectionId)).toEqual(['b2-uk']);
  });

  it('removes a selection and falls back', () => {
    expect(ix.remove('london')).toBe(1);
    expect(sel(ix.lookup('buyer-1', '442071234567', t(1)))).toBe('uk');
    expect(ix.remove('london')).toBe(0);
    expect(ix.remove('uk')).toBe(1);
    expect(sel(ix.lookup('buyer-1', '442071234567', t(1)))).toBe('NO_ROUTE_FOR_DESTINATION');
    expect(ix.size).toBe(0);
  });

  it('removes every prefix of a multi-route selection', () => {
    ix.upsert(entry('multi', '33', 0, 24));
    ix.upsert(entry('multi', '49', 0, 24));
    expect(ix.entriesOf('multi').map((e) => e.prefix)).toEqual(['33', '49']);
    expect(ix.remove('multi')).toBe(2);
    expect(sel(ix.lookup('buyer-1', '3312345', t(1)))).toBe('NO_ROUTE_FOR_DESTINATION');
    expect(sel(ix.lookup('buyer-1', '4412345', t(1)))).toBe('uk');
  });

  it('prefers the later-starting selection when two overlap on one prefix', () => {
    ix.upsert(entry('uk-b', '44', 6, 30));
    expect(sel(ix.lookup('buyer-1', '4416', t(5)))).toBe('uk');
    expect(sel(ix.lookup('buyer-1', '4416', t(6)))).toBe('uk-b');
    expect(sel(ix.lookup('buyer-1', '4416', t(25)))).toBe('uk-b');
  });

  it('has no route for malformed destinations', () => {
    expect(sel(ix.lookup('buyer-1', '', t(1)))).toBe('NO_ROUTE_FOR_DESTINATION');
    expect(sel(ix.lookup('buyer-1', '+', t(1)))).toBe('NO_ROUTE_FOR_DESTINATION');
    expect(sel(ix.lookup('buyer-1', '4420x', t(1)))).toBe('NO_ROUTE_FOR_DESTINATION');
    expect(sel(ix.lookup('buyer-1', '44 20', t(1)))).toBe('NO_ROUTE_FOR_DESTINATION');
  });

  it('lists the live table in prefix order', () => {
    ix.upsert(entry('uk-mobile', '447', 0, 24));
    ix.upsert(entry('france', '33', 0, 24));
    ix.upsert(entry('later', '449', 30, 40));
    expect(ix.table('buyer-1', t(1)).map((e) => e.prefix)).toEqual(['33', '44', '4420', '447']);
    expect(ix.table('buyer-1', t(35)).map((e) => e.selectionId)).toEqual(['later']);
    expect(ix.table('nobody', t(1))).toEqual([]);
  });

  it('stores a frozen copy, immune to later changes by the caller', () => {
    const e = entry('copy', '39', 0, 24);
    ix.upsert(e);
    e.carrierId = 'tampered';
    e.intervalEnd.setTime(T0);
    const r = ix.lookup('buyer-1', '3906', t(1));
    expect(r.entry?.carrierId).toBe('carrier-of-copy');
    expect(Object.isFrozen(r.entry)).toBe(true);
  });

  it('rejects invalid entries', () => {
    expect(() => ix.upsert(entry('bad', '044', 0, 1))).toThrow(AppError);
    expect(() => ix.upsert(entry('bad', '44', 1, 1))).toThrow(AppError);
    expect(() => ix.upsert(entry('bad', '44', 0, 1, { buyerId: '' }))).toThrow(AppError);
  });
});

describe('RoutingIndex against a brute-force model', () => {
  // Deterministic PRNG so a failure is reproducible.
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const digits = (len: number) => Array.from({ length: len }, () => String(rnd(3) + 1)).join('');

  function reference(entries: RoutingEntry[], buyerId: string, dest: string, at: number): string {
    const matching = entries.filter((e) => e.buyerId === buyerId && dest.startsWith(e.prefix));
    if (matching.length === 0) return 'NO_ROUTE_FOR_DESTINATION';
    const live = matching.filter((e) => e.intervalStart.getTime() <= at && at < e.intervalEnd.getTime());
    if (live.length === 0) return 'NO_ACTIVE_SELECTION_AT_TIME';
    live.sort(
      (a, b) =>
        b.prefix.length - a.prefix.length ||
        b.intervalStart.getTime() - a.intervalStart.getTime() ||
        (a.selectionId < b.selectionId ? -1 : 1),
    );
    return live[0].selectionId;
  }

  it('agrees through inserts, replacements and removals', () => {
    const ix = new RoutingIndex();
    let model: RoutingEntry[] = [];
    for (let step = 0; step < 3000; step++) {
      const op = rnd(10);
      if (op < 6) {
        const e = entry(`s${rnd(300)}`, digits(1 + rnd(5)), rnd(20), 0, { buyerId: `b${rnd(3)}` });
        e.intervalEnd = new Date(e.intervalStart.getTime() + (1 + rnd(10)) * HOUR);
        // Upsert replaces the (selectionId, prefix) pair whatever buyer it had.
        model = model.filter((m) => !(m.selectionId === e.selectionId && m.prefix === e.prefix));
        model.push(e);
        ix.upsert(e);
      } else if (op < 7) {
        const id = `s${rnd(300)}`;
        const n = model.filter((m) => m.selectionId === id).length;
        model = model.filter((m) => m.selectionId !== id);
        expect(ix.remove(id)).toBe(n);
      } else {
        const buyer = `b${rnd(3)}`;
        const dest = digits(1 + rnd(8));
        const at = T0 + rnd(32) * HOUR - HOUR;
        expect([step, sel(ix.lookup(buyer, dest, new Date(at)))]).toEqual([step, reference(model, buyer, dest, at)]);
      }
      expect(ix.size).toBe(model.length);
    }
    // Drain everything: the trie must end empty, with nothing routable.
    for (const id of new Set(model.map((m) => m.selectionId))) ix.remove(id);
    expect(ix.size).toBe(0);
    expect(sel(ix.lookup('b0', '1', t(5)))).toBe('NO_ROUTE_FOR_DESTINATION');
  });
});
