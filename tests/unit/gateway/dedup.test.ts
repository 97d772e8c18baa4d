// The pure parts of in-flight deduplication: what joins, what never does, and that nothing
// outlives the work it joined.
import type { IncomingMessage } from 'node:http';
import { InFlight, upstreamKey } from '../../../gateway/src/inflight';
import { inboundKey, isDedupableQuery, kindMemoSize, KINDS_REMEMBERED_BYTES } from '../../../gateway/src/inbound';

const deferred = <T>() => {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
};

describe('InFlight', () => {
  it('runs the work of one key once for every caller arriving while it runs, then forgets it', async () => {
    const inflight = new InFlight<string>();
    const d = deferred<string>();
    let started = 0;
    const work = () => (started++, d.promise);
    const a = inflight.run('k', work);
    const b = inflight.run('k', work);
    const other = inflight.run('other', () => Promise.resolve('x'));
    expect([a.joined, b.joined, other.joined]).toEqual([false, true, false]);
    expect(started).toBe(1);
    d.resolve('answer');
    expect(await Promise.all([a.promise, b.promise, other.promise])).toEqual(['answer', 'answer', 'x']);
    expect(inflight.size).toBe(0);
    const c = inflight.run('k', () => Promise.resolve('fresh'));
    expect(c.joined).toBe(false);
    expect(await c.promise).toBe('fresh');
  });

  it('hands a failure to every waiter and forgets the key, so the next caller tries again', async () => {
    const inflight = new InFlight<string>();
    const d = deferred<string>();
    const a = inflight.run('k', () => d.promise);
    const b = inflight.run('k', () => Promise.resolve('never'));
    d.reject(new Error('down'));
    await expect(a.promise).rejects.toThrow('down');
    await expect(b.promise).rejects.toThrow('down');
    expect(inflight.size).toBe(0);
    expect(await inflight.run('k', () => Promise.resolve('up')).promise).toBe('up');
  });
});

describe('upstreamKey', () => {
  const body = JSON.stringify({ query: '{ a }', variables: { id: '1' } });
  it('differs by caller token and by any byte of the body', () => {
    expect(upstreamKey('Bearer A', body)).toBe(upstreamKey('Bearer A', body));
    expect(upstreamKey('Bearer A', body)).not.toBe(upstreamKey('Bearer B', body));
    expect(upstreamKey(undefined, body)).not.toBe(upstreamKey('Bearer A', body));
    expect(upstreamKey('Bearer A', body)).not.toBe(upstreamKey('Bearer A', JSON.stringify({ query: '{ a }', variables: { id: '2' } })));
  });
});

describe('inbound joining', () => {
  it('joins queries only: never mutations, subscriptions or text it cannot parse', () => {
    expect(isDedupableQuery('{ bills { id } }', undefined, 1000)).toBe(true);
    expect(isDedupableQuery('query Page($n: Int) { bills(first: $n) { id } }', 'Page', 1000)).toBe(true);
    expect(isDedupableQuery('mutation { touch }', undefined, 1000)).toBe(false);
    expect(isDedupableQuery('subscription { billIssued { id } }', undefined, 1000)).toBe(false);
    // The operation name picks the operation: the same document is a query or a mutation.
    const both = 'query Q { a } mutation M { touch }';
    expect(isDedupableQuery(both, 'Q', 1000)).toBe(true);
    expect(isDedupableQuery(both, 'M', 1000)).toBe(false);
    expect(isDedupableQuery(both, undefined, 1000)).toBe(false);
    expect(isDedupableQuery('{ a', undefined, 1000)).toBe(false);
    expect(isDedupableQuery(42, undefined, 1000)).toBe(false);
    // Beyond the token limit it is not parsed here (Apollo refuses it).
    expect(isDedupableQuery(`{ ${'a '.repeat(50)}}`, undefined, 10)).toBe(false);
  });

  const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
  const raw = JSON.stringify({ query: '{ a }' });
  const body = JSON.parse(raw);

  it('keys on the caller token, the response format asked for and the exact body', () => {
    const a = inboundKey(req({ authorization: 'Bearer A', accept: 'application/json' }), raw, body, 1000);
    expect(a).toBeDefined();
    expect(inboundKey(req({ authorization: 'Bearer A', accept: 'application/json' }), raw, body, 1000)).toBe(a);
    expect(inboundKey(req({ authorization: 'Bearer B', accept: 'application/json' }), raw, body, 1000)).not.toBe(a);
    expect(inboundKey(req({ accept: 'application/json' }), raw, body, 1000)).not.toBe(a);
    expect(inboundKey(req({ authorization: 'Bearer A', accept: 'application/graphql-response+json' }), raw, body, 1000)).not.toBe(a);
    const vars = JSON.stringify({ query: '{ a }', variables: { x: 1 } });
    expect(inboundKey(req({ authorization: 'Bearer A', accept: 'application/json' }), vars, JSON.parse(vars), 1000)).not.toBe(a);
  });

  it('leaves mutations, batches and large bodies to run on their own', () => {
    const h = req({ authorization: 'Bearer A' });
    const m = JSON.stringify({ query: 'mutation { touch }' });
    expect(inboundKey(h, m, JSON.parse(m), 1000)).toBeUndefined();
    const batch = JSON.stringify([{ query: '{ a }' }]);
    expect(inboundKey(h, batch, JSON.parse(batch), 1000)).toBeUndefined();
    const big = JSON.stringify({ query: `{ a }${' '.repeat(70 * 1024)}` });
    expect(inboundKey(h, big, JSON.parse(big), 1000)).toBeUndefined();
  });
});

// Issue 20 (low–medium): unauthenticated queries with 40 KB comments filled the operation-kind memo.
describe('the operation-kind memo', () => {
  it('keys on the text without comments and whitespace, and stays within its byte bound', () => {
    const before = kindMemoSize();
    const padded = (i: number) => `# ${'x'.repeat(40 * 1024)}\n{ whoami${i} }`;
    for (let i = 0; i < 500; i++) expect(isDedupableQuery(padded(i), undefined, 1000)).toBe(true);
    const after = kindMemoSize();
    // 500 entries of ~12 bytes each: the comments are not remembered.
    expect(after.bytes - before.bytes).toBeLessThan(500 * 32);
    expect(after.bytes).toBeLessThanOrEqual(KINDS_REMEMBERED_BYTES);
    // The same operation with other comments and spacing is the same entry.
    const size = kindMemoSize().entries;
    expect(isDedupableQuery('{\n  whoami1   # again\n}', undefined, 1000)).toBe(true);
    expect(kindMemoSize().entries).toBe(size);
    // Big distinct texts never take more than the bound.
    for (let i = 0; i < 300; i++) isDedupableQuery(`{ ${Array.from({ length: 700 }, (_, j) => `a${i}_${j}: whoami`).join(' ')} }`, undefined, 100_000);
    expect(kindMemoSize().bytes).toBeLessThanOrEqual(KINDS_REMEMBERED_BYTES);
  });
});
