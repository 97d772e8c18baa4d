// The kept-answer rules of gateway/src/response-cache.ts without Redis: the versions live in a Map
// that plays the hash (tests/integration/gateway/response-cache.test.ts runs the real thing).
import { STORE_FIELD, type DataVersionReader } from '@exchange/platform';
import { OperationReads, ResponseCache, type KeptAnswer } from '../../../gateway/src/response-cache';

class Versions {
  readonly hash = new Map<string, string>([[STORE_FIELD, 'store-1']]);
  down = false;
  reader(): DataVersionReader {
    return {
      snapshot: async () => (this.down ? undefined : Object.fromEntries(this.hash)),
      current: async (fields: readonly string[]) =>
        this.down ? undefined : { store: this.hash.get(STORE_FIELD) ?? null, versions: fields.map((f) => this.hash.get(f) ?? null) },
      close: () => undefined,
    } as unknown as DataVersionReader;
  }
}

const answer = (body: string): KeptAnswer => ({ status: 200, headers: [['content-type', 'application/json']], body });
const readsOf = (...headers: (string | undefined)[]) => {
  const r = new OperationReads();
  for (const h of headers) r.note(h);
  return r;
};

describe('ResponseCache', () => {
  let clock = 1_000;
  let v: Versions;
  let cache: ResponseCache;
  const events: string[] = [];
  beforeEach(() => {
    clock = 1_000;
    v = new Versions();
    events.length = 0;
    cache = new ResponseCache({ reader: v.reader(), ttlMs: 10_000, maxBytes: 1024 * 1024, now: () => clock, count: (e) => events.push(e) });
  });

  async function keep(key: string, body: string, ...headers: (string | undefined)[]) {
    const before = await cache.snapshot();
    cache.keep(key, answer(body), before, readsOf(...headers));
  }

  it('answers from a kept answer until a collection it read gets a new version', async () => {
    v.hash.set('db.bills', 'a');
    await keep('k', '{"data":{"x":1}}', 'store-1 db.bills,db.parties');
    expect((await cache.lookup('k'))?.body).toBe('{"data":{"x":1}}');
    v.hash.set('db.usage', 'z'); // a collection the answer did not read
    expect(await cache.lookup('k')).toBeDefined();
    v.hash.set('db.parties', 'first-write'); // never written before the answer was kept
    expect(await cache.lookup('k')).toBeUndefined();
    expect(await cache.lookup('k')).toBeUndefined(); // dropped, not revived
    expect(events).toEqual(['kept', 'hit', 'hit', 'stale', 'miss']);
  });

  it('serves nothing older than its time limit', async () => {
    await keep('k', '{"data":{}}', 'store-1 db.bills');
    clock += 9_999;
    expect(await cache.lookup('k')).toBeDefined();
    clock += 1;
    expect(await cache.lookup('k')).toBeUndefined();
  });

  it('keeps nothing a fetch cannot vouch for', async () => {
    await keep('no-header', '{"data":{}}', 'store-1 db.bills', undefined);
    await keep('other-store', '{"data":{}}', 'store-2 db.bills');
    await keep('two-stores', '{"data":{}}', 'store-1 db.bills', 'store-2 db.parties');
    await keep('no-fetch', '{"data":{}}');
    await keep('errors', '{"data":{"bill":null},"errors":[{"message":"x"}]}', 'store-1 db.bills');
    const spoiled = readsOf('store-1 db.bills');
    spoiled.spoil();
    cache.keep('joined', answer('{"data":{}}'), await cache.snapshot(), spoiled);
    cache.keep('failed-status', { ...answer('{"data":{}}'), status: 500 }, await cache.snapshot(), readsOf('store-1 db.bills'));
    cache.keep('redis-down', answer('{"data":{}}'), undefined, readsOf('store-1 db.bills'));
    expect(cache.size().entries).toBe(0);
    expect(events.every((e) => e === 'not_kept')).toBe(true);
  });

  it('serves nothing when the store was replaced (a Redis that lost the hash) or cannot be asked', async () => {
    await keep('k', '{"data":{}}', 'store-1 db.bills');
    v.down = true;
    expect(await cache.lookup('k')).toBeUndefined();
    v.down = false;
    v.hash.clear();
    v.hash.set(STORE_FIELD, 'store-9');
    expect(await cache.lookup('k')).toBeUndefined();
  });

  it('evicts the least recently used answers to stay within its memory', async () => {
    const small = new ResponseCache({ reader: v.reader(), ttlMs: 10_000, maxBytes: 64 * 1024, now: () => clock });
    const body = `{"data":{"s":"${'x'.repeat(1500)}"}}`;
    const put = async (k: string) => small.keep(k, answer(body), await small.snapshot(), readsOf('store-1 db.bills'));
    for (let i = 0; i < 20; i++) await put(`k${i}`);
    expect(small.size().bytes).toBeLessThanOrEqual(64 * 1024);
    const kept = small.size().entries;
    expect(kept).toBeLessThan(20);
    expect(await small.lookup('k0')).toBeUndefined();
    const oldestLeft = `k${20 - kept}`;
    expect(await small.lookup(oldestLeft)).toBeDefined(); // used now: the next eviction takes another
    await put('k-new');
    expect(await small.lookup(oldestLeft)).toBeDefined();
    expect(await small.lookup(`k${21 - kept}`)).toBeUndefined();
  });

  it('does not keep one answer larger than a sixteenth of its memory', async () => {
    const small = new ResponseCache({ reader: v.reader(), ttlMs: 10_000, maxBytes: 64 * 1024, now: () => clock });
    small.keep('big', answer(`{"data":{"s":"${'x'.repeat(4096)}"}}`), await small.snapshot(), readsOf('store-1 db.bills'));
    expect(small.size().entries).toBe(0);
  });
});
