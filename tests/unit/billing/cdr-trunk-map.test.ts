// Carrier per CDR row from its outgoing trunk (--trunk-map): one PBX file, several carriers.
import { carrierOfRow, parseTrunkMap, trunkOfChannel, trunkOfRow } from '../../../billing-subgraph/src/domain/trunk-map';
import { mapCdrRow } from '../../../billing-subgraph/src/domain/cdr-csv';

const MAP = parseTrunkMap('trunk,carrier_id\ntav-trunk,carrier-tav\nbluewave,carrier-bw\n# the old span\nDAHDI/i1,carrier-pstn\n', '--trunk-map trunks.csv');
const norm = (o: Record<string, string>) => new Map(Object.entries(o));

describe('trunk map file', () => {
  it('reads trunk,carrier_id lines (case-insensitive trunks, comments allowed)', () => {
    expect([...MAP.carriers]).toEqual([['tav-trunk', 'carrier-tav'], ['bluewave', 'carrier-bw'], ['dahdi/i1', 'carrier-pstn']]);
  });
  it('refuses a wrong header, empty cells, a trunk mapped to two carriers, an empty map', () => {
    expect(() => parseTrunkMap('name,carrier\nx,y\n', 'm')).toThrow('m: the first line must be the header "trunk,carrier_id"');
    expect(() => parseTrunkMap('trunk,carrier_id\nx,\n', 'm')).toThrow('m line 2: needs a trunk and a carrier_id');
    expect(() => parseTrunkMap('trunk,carrier_id\nx,a\nX,b\n', 'm')).toThrow('m line 3: trunk "X" is mapped to a already');
    expect(() => parseTrunkMap('trunk,carrier_id\n', 'm')).toThrow('m: maps no trunk');
    expect(() => parseTrunkMap('trunk,carrier_id\nx y,a\n', 'm')).toThrow(/not a trunk name/);
  });
});

describe('the trunk a row names', () => {
  it('Asterisk dstchannel: SIP, PJSIP, IAX2 peers (hyphens in names kept), DAHDI spans', () => {
    expect(trunkOfChannel('SIP/tav-trunk-0000000a')).toBe('tav-trunk');
    expect(trunkOfChannel('PJSIP/bluewave-00000002')).toBe('bluewave');
    expect(trunkOfChannel('IAX2/bluewave-de-12345')).toBe('bluewave-de');
    expect(trunkOfChannel('DAHDI/i1/12125550100-5')).toBe('DAHDI/i1');
    expect(trunkOfChannel('DAHDI/1-1')).toBe('DAHDI/1');
    expect(trunkOfChannel('Local/1001@from-internal-00000001;2')).toBeNull();
  });
  it('FreeSWITCH gateway in a channel or dial string', () => {
    expect(trunkOfChannel('sofia/gateway/bluewave/+442079460000')).toBe('bluewave');
    expect(trunkOfChannel('{ignore_early_media=true}sofia/gateway/tav/011442079460000', false)).toBe('tav');
    expect(trunkOfChannel('sofia/internal/1001@10.0.0.5', true)).toBeNull();
  });
  it('a trunk column wins over channels; a dial string only counts for a gateway', () => {
    expect(trunkOfRow(norm({ carriertrunk: 'bluewave', dstchannel: 'SIP/tav-trunk-00000001' }))).toEqual({ trunk: 'bluewave', column: 'carriertrunk' });
    expect(trunkOfRow(norm({ channel: 'PJSIP/1001-00000001', dstchannel: 'SIP/tav-trunk-00000001' }))).toEqual({ trunk: 'tav-trunk', column: 'dstchannel' });
    expect(trunkOfRow(norm({ lastdata: 'PJSIP/011442079460000@tav-trunk,60' }))).toBeNull();
  });
});

describe('the carrier of a row', () => {
  const row = (dstchannel: string) => norm({ dstchannel });
  it('with a map: the trunk\'s carrier; an unmapped trunk or none is refused even when --carrier is given', () => {
    expect(carrierOfRow(row('SIP/tav-trunk-00000001'), undefined, MAP, 'fallback')).toEqual({ ok: true, carrierId: 'carrier-tav', trunk: 'tav-trunk' });
    expect(carrierOfRow(row('SIP/BlueWave-00000001'), undefined, MAP, undefined)).toEqual({ ok: true, carrierId: 'carrier-bw', trunk: 'BlueWave' });
    expect(carrierOfRow(row('SIP/other-00000001'), undefined, MAP, 'fallback')).toEqual({ ok: false, reason: 'trunk "other" (dstchannel) maps to no carrier in --trunk-map trunks.csv: add a line "other,<carrier_id>" and import the file again' });
    expect(carrierOfRow(norm({}), undefined, MAP, 'fallback')).toEqual({ ok: false, reason: expect.stringMatching(/^the row names no outgoing trunk/) });
  });
  it('a carrier_id column wins; without a map --carrier is the carrier', () => {
    expect(carrierOfRow(row('SIP/other-00000001'), 'col', MAP, 'fallback')).toEqual({ ok: true, carrierId: 'col' });
    expect(carrierOfRow(row('SIP/other-00000001'), undefined, undefined, 'fallback')).toEqual({ ok: true, carrierId: 'fallback' });
    expect(carrierOfRow(row('SIP/other-00000001'), undefined, undefined, undefined)).toEqual({ ok: false, reason: 'carrier_id is required (column, --carrier or --trunk-map)' });
  });
});

describe('Kamailio destinations and whole rows', () => {
  it('dst_uri / dst_host give host:port; the map may name the host alone', () => {
    const map = parseTrunkMap('trunk,carrier_id\n203.0.113.7:5060,carrier-a\nsbc.bluewave.example,carrier-bw\n', 'm');
    expect(trunkOfRow(norm({ dsturi: 'sip:203.0.113.7:5060;transport=udp' }))).toEqual({ trunk: '203.0.113.7:5060', column: 'dsturi' });
    expect(carrierOfRow(norm({ dsturi: 'sip:203.0.113.7:5060;transport=udp' }), undefined, map, undefined)).toMatchObject({ carrierId: 'carrier-a' });
    expect(carrierOfRow(norm({ dsthost: 'sbc.bluewave.example', dstport: '5080' }), undefined, map, undefined)).toMatchObject({ carrierId: 'carrier-bw' });
    expect(carrierOfRow(norm({ dsthost: '198.51.100.1' }), undefined, map, undefined)).toMatchObject({ ok: false, reason: expect.stringMatching(/^trunk "198.51.100.1" \(dsthost\) maps to no carrier/) });
  });

  it('mapCdrRow: a FreeSWITCH row with a header gets the carrier of its gateway', () => {
    const row = { caller_id_number: '4930123456', destination_number: '00442079460000', answer_stamp: '2026-11-03 15:20:06', end_stamp: '2026-11-03 15:22:06', billsec: '120', uuid: 'u-1', channel_name: 'sofia/gateway/bluewave/00442079460000' };
    expect(mapCdrRow(row, 2, { source: 'MEASURING_EQUIPMENT', buyerId: 'b', trunkMap: MAP, timeZone: 'Europe/Berlin' })).toMatchObject({ ok: true, record: { carrierId: 'carrier-bw', intervalStart: '2026-11-03T14:20:06.000Z', destination: '442079460000' } });
  });
});
