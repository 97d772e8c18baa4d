import { FAILURES, failure, numberDigits, parseAt, parseRouteQuery, prepareRoute, renderRoute, slotStartOf } from '../../../moderator-subgraph/src/domain/route-answer';
import { generateSwitchKey, hashSwitchKey, validateKeyName } from '../../../moderator-subgraph/src/domain/switch-key';
import { normaliseHost, trunkOrder, validateTrunk, type CarrierTrunk } from '../../../moderator-subgraph/src/domain/trunk';
import { AppError } from '../../../moderator-subgraph/src/domain/errors';

const trunk = (over: Partial<CarrierTrunk>): CarrierTrunk => ({
  id: 't',
  carrierId: 'c1',
  name: 'main',
  host: 'sip.example.net',
  port: 5060,
  transport: 'UDP',
  techPrefix: '',
  priority: 0,
  createdAt: new Date(0),
  ...over,
});
const parties = { selectionId: 'sel_1', carrierId: 'c1', requestId: 'req_1', buyerId: 'b"1' };

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return (e as AppError).field;
  }
  throw new Error('did not throw');
}

describe('route answers', () => {
  const trunks = [trunk({ name: 'a', host: '192.0.2.1', techPrefix: '#9' }), trunk({ name: 'b', host: '[2001:db8::2]', port: 5061, transport: 'TLS' })];
  const p = prepareRoute(parties, trunks);

  it('renders the Kamailio rtjson document, one route per trunk, ids JSON-escaped', () => {
    expect(JSON.parse(renderRoute(p, 'kamailio', '4420123'))).toEqual({
      version: '1.0',
      routing: 'serial',
      routes: [
        { uri: 'sip:#94420123@192.0.2.1:5060;transport=udp', dst_uri: 'sip:192.0.2.1:5060;transport=udp' },
        { uri: 'sip:4420123@[2001:db8::2]:5061;transport=tls', dst_uri: 'sip:[2001:db8::2]:5061;transport=tls' },
      ],
      carrier_id: 'c1',
      selection_id: 'sel_1',
      request_id: 'req_1',
      buyer_id: 'b"1',
    });
  });

  it('renders the plain JSON and the text dial URI', () => {
    const j = JSON.parse(renderRoute(p, 'json', '331'));
    expect(j).toMatchObject({ result: 'ROUTE', number: '+331', carrierId: 'c1', selectionId: 'sel_1', requestId: 'req_1', buyerId: 'b"1' });
    expect(j.routes[1]).toEqual({ uri: 'sip:331@[2001:db8::2]:5061;transport=tls', dstUri: 'sip:[2001:db8::2]:5061;transport=tls', host: '[2001:db8::2]', port: 5061, transport: 'tls', techPrefix: '', trunk: 'b' });
    expect(renderRoute(p, 'text', '331')).toBe('sip:#9331@192.0.2.1:5060;transport=udp');
    // The prepared parts are reused: another number renders from the same object.
    expect(renderRoute(p, 'text', '44')).toBe('sip:#944@192.0.2.1:5060;transport=udp');
  });

  it('has one status and a reason per failure code', () => {
    expect(FAILURES.NO_ROUTE).toEqual({ status: 404, result: 'NO_ROUTE', body: JSON.stringify({ result: 'NO_ROUTE', reason: 'no awarded prefix matches this number' }) });
    expect([FAILURES.BAD_NUMBER.status, FAILURES.UNAUTHENTICATED.status, FAILURES.UNKNOWN_BUYER.status, FAILURES.NO_ACTIVE_SELECTION.status, FAILURES.NO_TRUNK.status]).toEqual([400, 401, 403, 410, 503]);
    expect(JSON.parse(failure('BAD_REQUEST', 'at is bad').body)).toEqual({ result: 'BAD_REQUEST', reason: 'at is bad' });
  });

  it('takes the number as digits after an optional + (or the space a form-encoded + becomes)', () => {
    expect(numberDigits('+4420')).toBe('4420');
    expect(numberDigits(' 4420')).toBe('4420');
    expect(numberDigits('4420')).toBe('4420');
    for (const bad of [undefined, '', '+', '44 20', '44a', '++44', '1'.repeat(21), '٤٤']) expect(numberDigits(bad)).toBeNull();
  });

  it('parses `at` as epoch seconds or ISO 8601 with a zone', () => {
    expect(parseAt('1767225600')).toBe(Date.UTC(2026, 0, 1));
    expect(parseAt('1767225600.5')).toBe(Date.UTC(2026, 0, 1) + 500);
    expect(parseAt('2026-01-01T01:00:00+01:00')).toBe(Date.UTC(2026, 0, 1));
    for (const bad of ['2026-01-01T00:00:00', 'now', '-5', '2026-13-45T00:00:00Z']) expect(parseAt(bad)).toBeNaN();
  });

  it('puts an instant in its 5-minute slot', () => {
    const t = Date.UTC(2026, 0, 1, 10, 7, 59, 999);
    expect(slotStartOf(t)).toBe(Date.UTC(2026, 0, 1, 10, 5));
    expect(slotStartOf(Date.UTC(2026, 0, 1, 10, 10))).toBe(Date.UTC(2026, 0, 1, 10, 10));
  });

  it('reads the query string by hand: first occurrence, percent-decoding, literal +', () => {
    expect(parseRouteQuery('number=+4420&buyer=b%201&at=1&key=k&number=99&x=1')).toEqual({ number: '+4420', buyer: 'b 1', at: '1', key: 'k' });
    expect(parseRouteQuery('number=%2B4420')).toEqual({ number: '+4420' });
    expect(parseRouteQuery('')).toEqual({});
    // An empty parameter is an unset one (a switch template whose variable is empty), never a buyer named ''.
    expect(parseRouteQuery('number&=x&buyer=')).toEqual({});
    expect(parseRouteQuery('buyer=&number=4420&buyer=b1')).toEqual({ number: '4420', buyer: 'b1' });
    expect(parseRouteQuery('number=%E0%A4%A')).toBeNull();
  });
});

describe('switch keys', () => {
  it('are random, prefixed, and stored as their SHA-256', () => {
    const k = generateSwitchKey();
    expect(k).toMatch(/^rsk_[A-Za-z0-9_-]{43}$/);
    expect(generateSwitchKey()).not.toBe(k);
    expect(hashSwitchKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hashSwitchKey(k)).not.toContain(k);
  });
  it('have a printable name', () => {
    expect(validateKeyName(' kamailio-1 ')).toBe('kamailio-1');
    expect(fieldOf(() => validateKeyName(''))).toBe('name');
    expect(fieldOf(() => validateKeyName('a\nb'))).toBe('name');
  });
});

describe('trunks', () => {
  it('fill in defaults and normalise the host', () => {
    expect(validateTrunk({ name: 'tav-trunk', host: 'SIP.Example.NET' })).toEqual({ name: 'tav-trunk', host: 'sip.example.net', port: 5060, transport: 'UDP', techPrefix: '', priority: 0 });
    expect(normaliseHost('host', '2001:DB8::1')).toBe('[2001:db8::1]');
    expect(normaliseHost('host', '[::1]')).toBe('[::1]');
    expect(normaliseHost('host', '10.0.0.1')).toBe('10.0.0.1');
  });
  it('name the field of bad input', () => {
    const ok = { name: 'n', host: 'h.example' };
    expect(fieldOf(() => validateTrunk({ ...ok, host: '1.2.3' }))).toBe('host');
    expect(fieldOf(() => validateTrunk({ ...ok, host: '-x.example' }))).toBe('host');
    expect(fieldOf(() => validateTrunk({ ...ok, host: 'a'.repeat(64) + '.example' }))).toBe('host');
    expect(fieldOf(() => validateTrunk({ ...ok, host: 'h.example:5060' }))).toBe('host');
    expect(fieldOf(() => validateTrunk({ ...ok, port: 1.5 }))).toBe('port');
    expect(fieldOf(() => validateTrunk({ ...ok, transport: 'SCTP' }))).toBe('transport');
    expect(fieldOf(() => validateTrunk({ ...ok, techPrefix: '12345678901' }))).toBe('techPrefix');
    expect(fieldOf(() => validateTrunk({ ...ok, name: 'a'.repeat(64) }))).toBe('name');
    expect(fieldOf(() => validateTrunk({ ...ok, priority: -1 }))).toBe('priority');
    expect(validateTrunk({ ...ok, techPrefix: '*#0', port: 65535, transport: 'TLS' })).toMatchObject({ techPrefix: '*#0', port: 65535, transport: 'TLS' });
  });
  it('order by priority, then name', () => {
    const list = [trunk({ name: 'b', priority: 1 }), trunk({ name: 'z', priority: 0 }), trunk({ name: 'a', priority: 1 })];
    expect(list.sort(trunkOrder).map((t) => t.name)).toEqual(['z', 'a', 'b']);
  });
});
