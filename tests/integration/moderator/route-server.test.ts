import { errorCodes, gql, gqlOk, startGateway, startModerator, uniqueName } from '../../support/harness';
import { bid, CLOSE, createRequest, DAY, until, registerParties } from './helpers';

const ADD_TRUNK = `mutation($input: AddCarrierTrunkInput!) { addCarrierTrunk(input: $input) { id carrierId name host port transport techPrefix priority } }`;
const REMOVE_TRUNK = `mutation($id: ID!) { removeCarrierTrunk(id: $id) { id name } }`;
const CREATE_KEY = `mutation($input: CreateSwitchKeyInput!) { createSwitchKey(input: $input) { key switchKey { id buyerId name revokedAt } } }`;
const REVOKE_KEY = `mutation($id: ID!) { revokeSwitchKey(id: $id) { id revokedAt } }`;
const ATTEMPTS = `query($id: ID!) { routeAttempts(selectionId: $id) { slotStart attempts } }`;

interface Answer {
  status: number;
  type: string | null;
  text: string;
  json: any;
}

/** One route-server request through real HTTP. */
async function route(base: string, path: string, params: Record<string, string>, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  const qs = Object.entries(params)
    .map(([k, v]) => `${k}=${encodeURIComponent(v).replace(/%2B/g, '+')}`)
    .join('&');
  const res = await fetch(`${base}${path}${qs ? `?${qs}` : ''}`, { method, headers });
  const text = await res.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* text answers */
  }
  return { status: res.status, type: res.headers.get('content-type'), text, json };
}

describe('moderator: route server for switches (real HTTP, two instances sharing Redis)', () => {
  const env = {
    MODERATOR_DB_NAME: uniqueName('t_mod_rsrv'),
    OUTBOX_ENABLED: 'false',
    SCHEDULER_ENABLED: 'false',
    ROUTE_ATTEMPTS_FLUSH_MS: '100',
    REDIS_URL: 'redis://127.0.0.1:6379',
    PUBSUB_PREFIX: `${uniqueName('test')}:`,
  };
  let a: Awaited<ReturnType<typeof startModerator>>;
  let b: Awaited<ReturnType<typeof startModerator>>;
  let parties: Awaited<ReturnType<typeof registerParties>>;
  let keyR: string;
  let keyQ: string;
  let selUk: string;
  let selNone: string;
  const base = Date.now();
  const S = new Date(base + 2 * DAY);
  const E = new Date(base + 40 * DAY);
  const inside = new Date(base + 3 * DAY);
  const iso = (d: Date | number) => new Date(d).toISOString();
  const epoch = (d: Date) => String(Math.floor(d.getTime() / 1000));

  const award = async (destination: string, carrier: string, rate = '0.02') => {
    const buyer = parties.buyers['buyer-r'];
    const req = await createRequest(a.url, buyer.token, { routes: [{ origin: '1', destination }], interval: { start: iso(S), end: iso(E) }, biddingClosesAt: iso(base + DAY) });
    await bid(a.url, parties.carriers[carrier].token, req.id, rate);
    return (await gqlOk(a.url, CLOSE, { id: req.id }, buyer.token)).closeBidding.selection.id as string;
  };

  beforeAll(async () => {
    a = await startModerator(env);
    b = await startModerator(env);
    parties = await registerParties(a.url, {
      buyers: [{ id: 'buyer-r' }, { id: 'buyer-q' }],
      carriers: [
        { id: 'carrier-uk', coverage: ['44'] },
        { id: 'carrier-none', coverage: ['33'] },
        { id: 'carrier-late', coverage: ['49'] },
      ],
    });
    const uk = parties.carriers['carrier-uk'].token;
    await gqlOk(a.url, ADD_TRUNK, { input: { name: 'uk-backup', host: 'backup.uk.example.net', port: 5080, transport: 'TCP', priority: 5 } }, uk);
    await gqlOk(a.url, ADD_TRUNK, { input: { name: 'uk-main', host: '192.0.2.10', techPrefix: '#77', priority: 1 } }, uk);
    selUk = await award('44', 'carrier-uk');
    selNone = await award('33', 'carrier-none');
    keyR = (await gqlOk(a.url, CREATE_KEY, { input: { name: 'kamailio-1' } }, parties.buyers['buyer-r'].token)).createSwitchKey.key;
    keyQ = (await gqlOk(a.url, CREATE_KEY, { input: { name: 'pbx' } }, parties.buyers['buyer-q'].token)).createSwitchKey.key;
  });
  afterAll(async () => {
    await a.conn.dropDatabase();
    await b.stop();
    await a.stop();
  });

  it('answers a route in the rtjson, JSON and text formats, trunks in priority order', async () => {
    const at = epoch(inside);
    const kam = await until(async () => {
      const r = await route(b.routeServer.url, '/route/kamailio', { number: '+442071234567', buyer: 'buyer-r', at }, { 'x-api-key': keyR });
      return r.status === 200 ? r : null;
    });
    expect(kam.json).toEqual({
      version: '1.0',
      routing: 'serial',
      routes: [
        { uri: 'sip:#77442071234567@192.0.2.10:5060;transport=udp', dst_uri: 'sip:192.0.2.10:5060;transport=udp' },
        { uri: 'sip:442071234567@backup.uk.example.net:5080;transport=tcp', dst_uri: 'sip:backup.uk.example.net:5080;transport=tcp' },
      ],
      carrier_id: 'carrier-uk',
      selection_id: selUk,
      request_id: expect.any(String),
      buyer_id: 'buyer-r',
    });
    const json = await route(a.routeServer.url, '/route/json', { number: '442071234567', at: iso(inside) }, { authorization: `Bearer ${keyR}` });
    expect(json.status).toBe(200);
    expect(json.json).toMatchObject({ result: 'ROUTE', number: '+442071234567', carrierId: 'carrier-uk', selectionId: selUk, buyerId: 'buyer-r' });
    expect(json.json.routes.map((r: any) => [r.uri, r.dstUri, r.host, r.port, r.transport, r.techPrefix])).toEqual([
      ['sip:#77442071234567@192.0.2.10:5060;transport=udp', 'sip:192.0.2.10:5060;transport=udp', '192.0.2.10', 5060, 'udp', '#77'],
      ['sip:442071234567@backup.uk.example.net:5080;transport=tcp', 'sip:backup.uk.example.net:5080;transport=tcp', 'backup.uk.example.net', 5080, 'tcp', ''],
    ]);
    // The key as a query parameter (Asterisk CURL()), the number with a percent-encoded '+'.
    const text = await fetch(`${a.routeServer.url}/route/text?number=%2B442071234567&at=${at}&key=${encodeURIComponent(keyR)}`);
    expect([text.status, text.headers.get('content-type'), await text.text()]).toEqual([200, 'text/plain; charset=utf-8', 'sip:#77442071234567@192.0.2.10:5060;transport=udp']);
  });

  it('gives each failure its own status and result code', async () => {
    const rs = a.routeServer.url;
    const at = epoch(inside);
    const k = { 'x-api-key': keyR };
    const cases: [string, Record<string, string>, Record<string, string>, number, string][] = [
      ['/route/kamailio', { number: '4420', at }, {}, 401, 'UNAUTHENTICATED'],
      ['/route/kamailio', { number: '4420', at }, { 'x-api-key': 'rsk_not-a-key' }, 401, 'UNAUTHENTICATED'],
      ['/route/kamailio', { number: '4420', at, buyer: 'buyer-q' }, k, 403, 'UNKNOWN_BUYER'],
      ['/route/kamailio', { number: '44-20', at }, k, 400, 'BAD_NUMBER'],
      ['/route/json', { at }, k, 400, 'BAD_NUMBER'],
      ['/route/json', { number: '4420', at: 'yesterday' }, k, 400, 'BAD_REQUEST'],
      ['/route/json', { number: '4930123', at }, k, 404, 'NO_ROUTE'],
      // Awarded, but the selection starts in two days: nothing live now.
      ['/route/kamailio', { number: '4420' }, k, 410, 'NO_ACTIVE_SELECTION'],
      ['/route/kamailio', { number: '4420', at: iso(E) }, k, 410, 'NO_ACTIVE_SELECTION'],
      ['/route/text', { number: '33123456', at }, k, 503, 'NO_TRUNK'],
      ['/route/other', { number: '4420', at }, k, 404, 'NOT_FOUND'],
    ];
    for (const [path, params, headers, status, result] of cases) {
      const r = await route(rs, path, params, headers);
      expect([path, params, r.status, r.json?.result, typeof r.json?.reason]).toEqual([path, params, status, result, 'string']);
    }
    const post = await route(rs, '/route/json', { number: '4420', at }, k, 'POST');
    expect([post.status, post.json.result]).toEqual([405, 'METHOD_NOT_ALLOWED']);
    // Operators see the answers by result on the moderator's /metrics.
    const metrics = await (await fetch(a.url.replace(/\/graphql$/, '/metrics'))).text();
    expect(metrics).toMatch(/^moderator_route_answers_total\{result="NO_TRUNK",service="moderator"\} [1-9]/m);
    expect(metrics).toMatch(/^moderator_route_answers_total\{result="UNAUTHENTICATED",service="moderator"\} [2-9]/m);
  });

  it("scopes a key to its buyer's table", async () => {
    const at = epoch(inside);
    // buyer-q's key reads buyer-q's (empty) table, and may not name buyer-r.
    expect((await route(a.routeServer.url, '/route/json', { number: '4420', at }, { 'x-api-key': keyQ })).json.result).toBe('NO_ROUTE');
    expect((await route(a.routeServer.url, '/route/json', { number: '4420', at, buyer: 'buyer-r' }, { 'x-api-key': keyQ })).status).toBe(403);
    // Keys: a buyer lists and revokes only its own.
    const list = await gqlOk(a.url, `{ switchKeys { id buyerId name } }`, {}, parties.buyers['buyer-q'].token);
    expect(list.switchKeys.map((k: any) => [k.buyerId, k.name])).toEqual([['buyer-q', 'pbx']]);
    const rKeys = await gqlOk(a.url, `{ switchKeys { id } }`, {}, parties.buyers['buyer-r'].token);
    expect(errorCodes(await gql(a.url, REVOKE_KEY, { id: rKeys.switchKeys[0].id }, parties.buyers['buyer-q'].token))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await gql(a.url, `{ switchKeys(buyerId: "buyer-r") { id } }`, {}, parties.buyers['buyer-q'].token))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await gql(a.url, CREATE_KEY, { input: { name: 'x' } }, parties.carriers['carrier-uk'].token))).toEqual(['FORBIDDEN']);
  });

  it('a revoked key is refused by every instance', async () => {
    const made = (await gqlOk(a.url, CREATE_KEY, { input: { buyerId: 'buyer-r', name: 'to-revoke' } }, parties.admin)).createSwitchKey;
    const at = epoch(inside);
    const ask = (url: string) => route(url, '/route/json', { number: '4420', at }, { 'x-api-key': made.key });
    // Created on a, verified on b (from pub/sub or, if b is asked first, from the database).
    expect((await ask(b.routeServer.url)).status).toBe(200);
    expect((await ask(a.routeServer.url)).status).toBe(200);
    const revoked = (await gqlOk(b.url, REVOKE_KEY, { id: made.switchKey.id }, parties.buyers['buyer-r'].token)).revokeSwitchKey;
    expect(revoked.revokedAt).toEqual(expect.any(String));
    expect((await ask(b.routeServer.url)).status).toBe(401);
    await until(async () => (await ask(a.routeServer.url)).status === 401);
    const stored = await a.models.SwitchKey.findById(made.switchKey.id).lean();
    // Only the hash is stored.
    expect(JSON.stringify(stored)).not.toContain(made.key);
  });

  it('trunk changes reach the other instance; a carrier manages only its own trunks', async () => {
    const at = epoch(inside);
    const none = parties.carriers['carrier-none'].token;
    const ask = () => route(b.routeServer.url, '/route/kamailio', { number: '33123456', at }, { 'x-api-key': keyR });
    const t = (await gqlOk(a.url, ADD_TRUNK, { input: { name: 'fr-1', host: '2001:db8::1', transport: 'TLS', port: 5061 } }, none)).addCarrierTrunk;
    expect(t).toMatchObject({ carrierId: 'carrier-none', host: '[2001:db8::1]', port: 5061, transport: 'TLS', techPrefix: '', priority: 0 });
    const ok = await until(async () => {
      const r = await ask();
      return r.status === 200 ? r : null;
    });
    expect(ok.json.routes).toEqual([{ uri: 'sip:33123456@[2001:db8::1]:5061;transport=tls', dst_uri: 'sip:[2001:db8::1]:5061;transport=tls' }]);
    expect(ok.json.selection_id).toBe(selNone);

    // Validation names the field; a duplicate name is a CONFLICT on `name`.
    const bad = async (input: Record<string, unknown>, code: string, field: string) => {
      const r = await gql(a.url, ADD_TRUNK, { input: { name: 'x1', host: 'h.example', ...input } }, none);
      expect([errorCodes(r), r.errors?.[0].extensions?.field]).toEqual([[code], field]);
    };
    await bad({ host: 'bad host!' }, 'BAD_USER_INPUT', 'host');
    await bad({ host: '999.1.1.1' }, 'BAD_USER_INPUT', 'host');
    await bad({ port: 0 }, 'BAD_USER_INPUT', 'port');
    await bad({ port: 65536 }, 'BAD_USER_INPUT', 'port');
    await bad({ techPrefix: '12a' }, 'BAD_USER_INPUT', 'techPrefix');
    await bad({ name: 'has space' }, 'BAD_USER_INPUT', 'name');
    await bad({ name: 'fr-1' }, 'CONFLICT', 'name');
    // The same name at another carrier is fine; another carrier's trunks are out of reach.
    const uk = parties.carriers['carrier-uk'].token;
    expect((await gqlOk(a.url, ADD_TRUNK, { input: { name: 'fr-1', host: 'uk3.example.net', priority: 9 } }, uk)).addCarrierTrunk.carrierId).toBe('carrier-uk');
    expect(errorCodes(await gql(a.url, REMOVE_TRUNK, { id: t.id }, uk))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await gql(a.url, ADD_TRUNK, { input: { carrierId: 'carrier-none', name: 'evil', host: 'evil.example' } }, uk))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await gql(a.url, `{ carrierTrunks(carrierId: "carrier-none") { id } }`, {}, uk))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await gql(a.url, ADD_TRUNK, { input: { name: 'b', host: 'b.example' } }, parties.buyers['buyer-r'].token))).toEqual(['FORBIDDEN']);
    const mine = await gqlOk(a.url, `{ carrierTrunks { name } carrier(id: "carrier-none") { trunks { name host } } }`, {}, none);
    expect(mine.carrierTrunks.map((x: any) => x.name)).toEqual(['fr-1']);
    expect(mine.carrier.trunks).toEqual([{ name: 'fr-1', host: '[2001:db8::1]' }]);

    // Removed on a: b answers NO_TRUNK again.
    expect((await gqlOk(a.url, REMOVE_TRUNK, { id: t.id }, none)).removeCarrierTrunk.name).toBe('fr-1');
    await until(async () => (await ask()).json?.result === 'NO_TRUNK');
  });

  it("an award made on one instance is answered by the other's route server", async () => {
    const late = parties.carriers['carrier-late'].token;
    await gqlOk(a.url, ADD_TRUNK, { input: { name: 'de-1', host: 'de.example.net' } }, late);
    const ask = () => route(b.routeServer.url, '/route/json', { number: '4930123456', at: epoch(inside) }, { 'x-api-key': keyR });
    expect((await ask()).json.result).toBe('NO_ROUTE');
    const sel = await award('49', 'carrier-late');
    const r = await until(async () => {
      const x = await ask();
      return x.status === 200 ? x : null;
    });
    expect([r.json.carrierId, r.json.selectionId]).toEqual(['carrier-late', sel]);
  });

  it('a restarted instance answers from the rebuilt table at once', async () => {
    const c = await startModerator(env);
    try {
      const r = await route(c.routeServer.url, '/route/json', { number: '442071234567', at: epoch(inside) }, { 'x-api-key': keyR });
      expect([r.status, r.json.selectionId, r.json.routes.length]).toEqual([200, selUk, 3]);
    } finally {
      await c.stop();
    }
  });

  it('counts each route answer as an attempt of its selection in its 5-minute slot', async () => {
    const slot = new Date(Math.floor(inside.getTime() / 300_000) * 300_000 + 7 * 300_000);
    const at = iso(new Date(slot.getTime() + 12_345));
    for (let i = 0; i < 3; i++) expect((await route(a.routeServer.url, '/route/json', { number: '4412345', at }, { 'x-api-key': keyR })).status).toBe(200);
    expect((await route(b.routeServer.url, '/route/text', { number: '4412345', at }, { 'x-api-key': keyR })).status).toBe(200);
    // A failure is not an attempt, nor is a HEAD probe.
    expect((await route(a.routeServer.url, '/route/json', { number: '4412345', at }, { 'x-api-key': keyR }, 'HEAD')).status).toBe(200);
    expect((await route(b.routeServer.url, '/route/text', { number: '4412345', at, buyer: 'buyer-q' }, { 'x-api-key': keyR })).status).toBe(403);
    const buyer = parties.buyers['buyer-r'].token;
    const slots = await until(async () => {
      const s = (await gqlOk(a.url, ATTEMPTS, { id: selUk }, buyer)).routeAttempts as { slotStart: string; attempts: number }[];
      const mine = s.find((x) => x.slotStart === iso(slot));
      return mine?.attempts === 4 ? s : null;
    });
    expect(slots.find((x) => x.slotStart === iso(slot))).toEqual({ slotStart: iso(slot), attempts: 4 });
    // A later attempt in the next slot is stored by a later flush than anything sent before it:
    // once it shows, the slot above has its final count (the HEAD and the 403 were not counted).
    const next = iso(slot.getTime() + 300_000);
    expect((await route(a.routeServer.url, '/route/json', { number: '4412345', at: next }, { 'x-api-key': keyR })).status).toBe(200);
    const after = await until(async () => {
      const s = (await gqlOk(a.url, ATTEMPTS, { id: selUk }, buyer)).routeAttempts as { slotStart: string; attempts: number }[];
      return s.some((x) => x.slotStart === next) ? s : null;
    });
    expect(after.filter((x) => x.slotStart === iso(slot) || x.slotStart === next).map((x) => x.attempts)).toEqual([4, 1]);
    // One document per (selection, slot), whichever instances counted.
    expect(await a.models.RouteAttempt.countDocuments({ selectionId: selUk, slotStart: slot })).toBe(1);
    // The carrier of the selection and operators see them; another buyer does not.
    expect((await gqlOk(a.url, ATTEMPTS, { id: selUk }, parties.carriers['carrier-uk'].token)).routeAttempts.length).toBeGreaterThan(0);
    expect(errorCodes(await gql(a.url, ATTEMPTS, { id: selUk }, parties.buyers['buyer-q'].token))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await gql(a.url, ATTEMPTS, { id: selUk }, parties.carriers['carrier-none'].token))).toEqual(['FORBIDDEN']);
  });

  it("is reachable through the gateway's host at /route/*", async () => {
    const gw = await startGateway({ moderator: a.url, billing: 'http://127.0.0.1:9/graphql' }, { ROUTE_SERVER_URL: a.routeServer.url });
    try {
      const host = gw.url.replace(/\/graphql$/, '');
      const ok = await route(host, '/route/kamailio', { number: '442071234567', at: epoch(inside) }, { 'x-api-key': keyR });
      expect([ok.status, ok.json.selection_id, ok.json.routes[0].uri]).toEqual([200, selUk, 'sip:#77442071234567@192.0.2.10:5060;transport=udp']);
      const refused = await route(host, '/route/json', { number: '4420' }, {});
      expect([refused.status, refused.json.result]).toEqual([401, 'UNAUTHENTICATED']);
    } finally {
      await gw.stop();
    }
    // The route server gone: the gateway says so in the same shape.
    const down = await startGateway({ moderator: a.url, billing: 'http://127.0.0.1:9/graphql' }, { ROUTE_SERVER_URL: 'http://127.0.0.1:9' });
    try {
      const r = await route(down.url.replace(/\/graphql$/, ''), '/route/json', { number: '4420' }, { 'x-api-key': keyR });
      expect([r.status, r.json.result]).toEqual([502, 'UNAVAILABLE']);
    } finally {
      await down.stop();
    }
  });

  it('keeps routeCall in GraphQL working', async () => {
    const r = await gqlOk(a.url, `query($at: DateTime) { routeCall(destination: "+442071234567", at: $at) { carrier { id } matchedPrefix } }`, { at: iso(inside) }, parties.buyers['buyer-r'].token);
    expect(r.routeCall).toEqual({ carrier: { id: 'carrier-uk' }, matchedPrefix: '44' });
  });
});
