import type { Identity, Role } from '@exchange/platform';
import { canSeeBid, canSeeBuyer, canSeeCarrier, canSeeSelection, requestView } from '../../../moderator-subgraph/src/services/access';
import { routingTableCsv, routingTableJson } from '../../../moderator-subgraph/src/services/routing';

const who = (role: Role, sub: string): Identity => ({ role, sub, token: 't' });
const req = { buyerId: 'buyer-1', carrierIds: ['carrier-a', 'carrier-b'] };

describe('who sees what of a service request', () => {
  it.each([
    [who('ADMIN', 'x'), 'FULL'],
    [who('MODERATOR', 'moderator'), 'FULL'],
    [who('BUYER', 'buyer-1'), 'FULL'],
    [who('BUYER', 'buyer-2'), null],
    [who('CARRIER', 'carrier-a'), 'CARRIER'],
    [who('CARRIER', 'carrier-z'), null],
    [who('PARTNER', 'p'), 'PARTNER'],
    [who('METER', 'm'), null],
    [null, null],
  ])('%j → %s', (identity, view) => {
    expect(requestView(identity, req)).toBe(view);
  });

  it('shows a bid to its carrier and to the full view only', () => {
    const bid = { carrierId: 'carrier-a' };
    expect(canSeeBid(who('CARRIER', 'carrier-a'), bid, req)).toBe(true);
    expect(canSeeBid(who('CARRIER', 'carrier-b'), bid, req)).toBe(false);
    expect(canSeeBid(who('PARTNER', 'p'), bid, req)).toBe(false);
    expect(canSeeBid(who('BUYER', 'buyer-1'), bid, req)).toBe(true);
    expect(canSeeBid(who('BUYER', 'buyer-2'), bid, req)).toBe(false);
  });

  it('hides buyers from carriers and partners, and carriers from each other', () => {
    expect(canSeeBuyer(who('CARRIER', 'carrier-a'), 'buyer-1')).toBe(false);
    expect(canSeeBuyer(who('PARTNER', 'p'), 'buyer-1')).toBe(false);
    expect(canSeeBuyer(who('BUYER', 'buyer-1'), 'buyer-1')).toBe(true);
    expect(canSeeCarrier(who('CARRIER', 'carrier-a'), 'carrier-b')).toBe(false);
    expect(canSeeCarrier(who('PARTNER', 'p'), 'carrier-b')).toBe(false);
    expect(canSeeCarrier(who('BUYER', 'buyer-1'), 'carrier-b')).toBe(true);
    const sel = { buyerId: 'buyer-1', carrierId: 'carrier-a' };
    expect([who('CARRIER', 'carrier-a'), who('CARRIER', 'carrier-b'), who('BUYER', 'buyer-1'), who('PARTNER', 'p')].map((i) => canSeeSelection(i, sel))).toEqual([true, false, true, false]);
  });
});

describe('routing table renderings', () => {
  const e = {
    selectionId: 'sel_1', buyerId: 'b', carrierId: 'carrier,"odd"', prefix: '4420', ratePerUnit: '0.01', currency: 'GBP', requestId: 'sr_1',
    intervalStart: new Date('2030-01-01T00:00:00Z'), intervalEnd: new Date('2030-02-01T00:00:00Z'),
  };
  it('writes RFC 4180 CSV with a header and quoted fields', () => {
    expect(routingTableCsv([e])).toBe(
      'prefix,carrier_id,rate_per_unit,currency,interval_start,interval_end,selection_id,request_id\r\n' +
        '4420,"carrier,""odd""",0.01,GBP,2030-01-01T00:00:00.000Z,2030-02-01T00:00:00.000Z,sel_1,sr_1\r\n',
    );
    expect(routingTableCsv([])).toBe('prefix,carrier_id,rate_per_unit,currency,interval_start,interval_end,selection_id,request_id\r\n');
  });
  it('writes JSON rows with ISO instants', () => {
    expect(JSON.parse(routingTableJson([e]))).toEqual([
      { prefix: '4420', carrierId: 'carrier,"odd"', ratePerUnit: '0.01', currency: 'GBP', intervalStart: '2030-01-01T00:00:00.000Z', intervalEnd: '2030-02-01T00:00:00.000Z', selectionId: 'sel_1', requestId: 'sr_1' },
    ]);
  });
});
