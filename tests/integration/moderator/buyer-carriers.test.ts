// A buyer reads a carrier through `_entities` only if one of its requests went to that carrier.
// The check is batched per page and a yes is remembered per process (a request's carriers never
// change); these tests pin what that must not change: another buyer never profits from a
// remembered yes, a no is asked again (so a new request counts at once, on every instance), and
// a page's carriers cost one carrier read and no repeated checks.
import { gql, gqlOk, startModerator } from '../../support/harness';
import { createRequest, registerParties } from './helpers';

const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Carrier { id name } } }`;
const reps = (ids: string[]) => ({ r: ids.map((id) => ({ __typename: 'Carrier', id })) });

describe('moderator: a buyer’s carrier entities', () => {
  let a: Awaited<ReturnType<typeof startModerator>>;
  let b: Awaited<ReturnType<typeof startModerator>>;
  let parties: Awaited<ReturnType<typeof registerParties>>;
  const ops: string[] = [];
  beforeAll(async () => {
    a = await startModerator({ OUTBOX_ENABLED: 'false', SCHEDULER_ENABLED: 'false' });
    // A second instance on the same database: its own process memory, as a second replica has.
    b = await startModerator({ OUTBOX_ENABLED: 'false', SCHEDULER_ENABLED: 'false', MODERATOR_DB_NAME: a.dbName });
    parties = await registerParties(a.url, {
      buyers: [{ id: 'bc-buyer-1' }, { id: 'bc-buyer-2' }],
      carriers: [...Array.from({ length: 5 }, (_, i) => ({ id: `bc-carrier-${i}`, coverage: ['44'] })), { id: 'bc-elsewhere', coverage: ['33'] }],
    });
    a.conn.set('debug', (collection: string, method: string) => void ops.push(`${collection}.${method}`));
  });
  afterAll(async () => {
    a.conn.set('debug', false);
    await b.stop();
    await a.conn.dropDatabase();
    await a.stop();
  });

  it('reads a page of carrier references in one carrier read, checking each distinct carrier once, and then not at all', async () => {
    const buyer = parties.buyers['bc-buyer-1'].token;
    await createRequest(a.url, buyer); // distributed to the five carriers covering 44
    const page = Array.from({ length: 20 }, (_, i) => `bc-carrier-${i % 5}`);
    ops.length = 0;
    const first = (await gqlOk(a.url, ENTITIES, reps(page), buyer))._entities;
    expect(first.map((c: { id: string }) => c.id)).toEqual(page);
    expect(first[3]).toEqual({ id: 'bc-carrier-3', name: 'Carrier bc-carrier-3' });
    expect(ops.filter((o) => o === 'carriers.find')).toHaveLength(1);
    expect(ops.filter((o) => o.startsWith('service_requests.')).length).toBeLessThanOrEqual(5);
    ops.length = 0;
    await gqlOk(a.url, ENTITIES, reps(page), buyer);
    expect(ops).toEqual(['carriers.find']);
  });

  it('never lets another buyer (or the same buyer for another carrier) through on a remembered yes', async () => {
    const other = parties.buyers['bc-buyer-2'].token;
    const buyer = parties.buyers['bc-buyer-1'].token;
    await gqlOk(a.url, ENTITIES, reps(['bc-carrier-0']), buyer); // remembered for buyer 1 on instance a
    for (const app of [a, b]) {
      const res = await gql(app.url, ENTITIES, reps(['bc-carrier-0']), other);
      expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(res.data?._entities ?? [null]).toEqual([null]);
    }
    const res = await gql(a.url, ENTITIES, reps(['bc-elsewhere']), buyer);
    expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    // Mixed page: the carriers it dealt with come back, the other one is refused.
    const mixed = await gql(a.url, ENTITIES, reps(['bc-carrier-1', 'bc-elsewhere']), buyer);
    expect(mixed.data?._entities).toEqual([{ id: 'bc-carrier-1', name: 'Carrier bc-carrier-1' }, null]);
    expect(mixed.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('asks a no again: a new request counts at once, on every instance', async () => {
    const other = parties.buyers['bc-buyer-2'].token;
    for (const app of [a, b]) expect((await gql(app.url, ENTITIES, reps(['bc-carrier-2']), other)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    await createRequest(b.url, other);
    for (const app of [a, b]) expect((await gqlOk(app.url, ENTITIES, reps(['bc-carrier-2']), other))._entities).toEqual([{ id: 'bc-carrier-2', name: 'Carrier bc-carrier-2' }]);
  });
});
