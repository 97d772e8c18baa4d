import { errorCodes, gql, gqlOk, startModerator, uniqueName } from '../../support/harness';
import { bid, CLOSE, createRequest, DAY, until, registerParties } from './helpers';

const ROUTE = `query($d: String!, $at: DateTime, $b: ID) { routeCall(destination: $d, at: $at, buyerId: $b) { carrier { id } ratePerUnit currency matchedPrefix reason selection { id } } }`;

describe('moderator: switch routing (longest prefix, interval boundaries, several instances)', () => {
  const env = { MODERATOR_DB_NAME: uniqueName('t_mod_route'), OUTBOX_ENABLED: 'false', SCHEDULER_ENABLED: 'false', REDIS_URL: 'redis://127.0.0.1:6379', PUBSUB_PREFIX: `${uniqueName('test')}:` };
  let a: Awaited<ReturnType<typeof startModerator>>;
  let b: Awaited<ReturnType<typeof startModerator>>;
  let parties: Awaited<ReturnType<typeof registerParties>>;
  const base = Date.now();
  const S1 = new Date(base + 2 * DAY), E1 = new Date(base + 40 * DAY);
  const S2 = new Date(base + 5 * DAY), E2 = new Date(base + 10 * DAY), E3 = new Date(base + 15 * DAY);
  const iso = (d: Date | number) => new Date(d).toISOString();

  beforeAll(async () => {
    a = await startModerator(env);
    b = await startModerator(env);
    parties = await registerParties(a.url, {
      buyers: [{ id: 'buyer-r' }, { id: 'buyer-q' }],
      carriers: [{ id: 'carrier-uk', coverage: ['44'] }, { id: 'carrier-ldn', coverage: ['4420'] }, { id: 'carrier-next', coverage: ['4420'] }],
    });
    const buyer = parties.buyers['buyer-r'];
    const award = async (destination: string, start: Date, end: Date, carrier: string, rate: string) => {
      const req = await createRequest(a.url, buyer.token, { routes: [{ origin: '1', destination }], interval: { start: iso(start), end: iso(end) }, biddingClosesAt: iso(base + DAY) });
      await bid(a.url, parties.carriers[carrier].token, req.id, rate);
      return (await gqlOk(a.url, CLOSE, { id: req.id }, buyer.token)).closeBidding.selection.id as string;
    };
    await award('44', S1, E1, 'carrier-uk', '0.02');
    await award('4420', S2, E2, 'carrier-ldn', '0.01');
    await award('4420', E2, E3, 'carrier-next', '0.015');
  });
  afterAll(async () => {
    await a.conn.dropDatabase();
    await b.stop();
    await a.stop();
  });

  it('routes by the longest prefix whose selection is live at the call time, on another instance too', async () => {
    const t = parties.buyers['buyer-r'].token;
    // Instance b learnt of the selections through the routing.changed event.
    await until(async () => (await gqlOk(b.url, ROUTE, { d: '442071234567', at: iso(S2) }, t)).routeCall.carrier?.id === 'carrier-ldn');
    for (const url of [a.url, b.url]) {
      const r = async (d: string, at: Date | number) => (await gqlOk(url, ROUTE, { d, at: iso(at) }, t)).routeCall;
      expect(await r('+442071234567', S2)).toMatchObject({ carrier: { id: 'carrier-ldn' }, matchedPrefix: '4420', ratePerUnit: '0.01', currency: 'GBP', reason: null });
      expect((await r('442071234567', E2.getTime() - 1)).carrier).toEqual({ id: 'carrier-ldn' });
      // End is exclusive, start inclusive: at E2 the adjacent award takes over.
      expect(await r('442071234567', E2)).toMatchObject({ carrier: { id: 'carrier-next' }, ratePerUnit: '0.015', matchedPrefix: '4420' });
      // After both 4420 awards, the shorter 44 prefix still routes.
      expect(await r('442071234567', E3)).toMatchObject({ carrier: { id: 'carrier-uk' }, matchedPrefix: '44' });
      expect(await r('441611234567', S2)).toMatchObject({ carrier: { id: 'carrier-uk' }, matchedPrefix: '44' });
      expect((await r('441611234567', S1.getTime() - 1))).toMatchObject({ carrier: null, selection: null, matchedPrefix: null, reason: 'NO_ACTIVE_SELECTION_AT_TIME' });
      expect((await r('442071234567', E1))).toMatchObject({ carrier: null, reason: 'NO_ACTIVE_SELECTION_AT_TIME' });
      expect((await r('331234', S2))).toMatchObject({ carrier: null, reason: 'NO_ROUTE_FOR_DESTINATION' });
    }
  });

  it('exports the table as entries, CSV and JSON', async () => {
    const t = parties.buyers['buyer-r'].token;
    const q = `query($at: DateTime) { routingTable(at: $at) { buyerId at entries { prefix carrierId carrier { name } ratePerUnit currency intervalStart intervalEnd } csv json } }`;
    const table = (await gqlOk(a.url, q, { at: iso(S2) }, t)).routingTable;
    expect(table.buyerId).toBe('buyer-r');
    expect(table.entries.map((e: { prefix: string; carrierId: string }) => [e.prefix, e.carrierId])).toEqual([['44', 'carrier-uk'], ['4420', 'carrier-ldn']]);
    const lines = table.csv.trimEnd().split('\r\n');
    expect(lines[0]).toBe('prefix,carrier_id,rate_per_unit,currency,interval_start,interval_end,selection_id,request_id');
    expect(lines.slice(1).map((l: string) => l.split(',').slice(0, 6))).toEqual([
      ['44', 'carrier-uk', '0.02', 'GBP', iso(S1), iso(E1)],
      ['4420', 'carrier-ldn', '0.01', 'GBP', iso(S2), iso(E2)],
    ]);
    expect(JSON.parse(table.json).map((e: { prefix: string; intervalEnd: string }) => [e.prefix, e.intervalEnd])).toEqual([['44', iso(E1)], ['4420', iso(E2)]]);
    // Another buyer's table is empty; ADMIN reads any buyer's.
    expect((await gqlOk(a.url, q, { at: iso(S2) }, parties.buyers['buyer-q'].token)).routingTable.entries).toEqual([]);
    expect((await gqlOk(a.url, `query($at: DateTime) { routingTable(at: $at, buyerId: "buyer-r") { entries { prefix } } }`, { at: iso(S2) }, parties.admin)).routingTable.entries).toHaveLength(2);
  });

  it('refuses what a caller may not do and names a bad destination', async () => {
    const t = parties.buyers['buyer-r'].token;
    expect(errorCodes(await gql(a.url, ROUTE, { d: '44', b: 'buyer-q' }, t))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await gql(a.url, ROUTE, { d: '44' }, parties.carriers['carrier-uk'].token))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await gql(a.url, ROUTE, { d: '44' }))).toEqual(['UNAUTHENTICATED']);
    expect((await gql(a.url, ROUTE, { d: '44-20' }, t)).errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'destination' });
    expect((await gql(a.url, ROUTE, { d: '44', at: 'tomorrow' }, t)).errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'at' });
    expect((await gql(a.url, ROUTE, { d: '44' }, parties.admin)).errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'buyerId' });
  });

  it('loads the table from the database at start and reloads it after a pub/sub interruption', async () => {
    const c = await startModerator(env);
    try {
      const t = parties.buyers['buyer-r'].token;
      expect((await gqlOk(c.url, ROUTE, { d: '442071234567', at: iso(E2) }, t)).routeCall.carrier).toEqual({ id: 'carrier-next' });
      const before = c.services.routing.reloads;
      // An instance that missed events (e.g. Redis reconnect) rebuilds from the database.
      await (c.pubsub as unknown as { sub: { disconnect(reconnect: boolean): void } }).sub.disconnect(true);
      await until(async () => c.services.routing.reloads > before);
      expect(c.services.routing.size).toBe(3);
    } finally {
      await c.stop();
    }
  });
});
