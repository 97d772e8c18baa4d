import { associate, type SelectionRef, type UsageRef } from '../../../billing-subgraph/src/domain/association';

const NOV = { intervalStart: '2026-11-01T00:00:00Z', intervalEnd: '2026-11-30T00:00:00Z' };
const selections: SelectionRef[] = [
  { selectionId: 'sel-1', requestId: 'req-1', buyerId: 'B', carrierId: 'C', routes: [{ origin: '1', destination: '44' }], ...NOV, serviceType: 'VOICE' },
  { selectionId: 'sel-2', requestId: 'req-2', buyerId: 'B', carrierId: 'C', routes: [{ origin: '1', destination: '+44 20' }, { origin: '1', destination: '33' }], ...NOV, serviceType: 'VOICE' },
  { selectionId: 'sel-3', requestId: 'req-3', buyerId: 'B', carrierId: 'C', routes: [{ origin: '1', destination: '44' }],
    intervalStart: new Date('2026-11-10T00:00:00Z'), intervalEnd: new Date('2026-11-20T00:00:00Z'), serviceType: 'VOICE' },
  { selectionId: 'sel-4', requestId: 'req-4', buyerId: 'B', carrierId: 'C2', routes: [{ origin: '1', destination: '49' }], ...NOV, serviceType: 'VOICE' },
  { selectionId: 'sel-5', requestId: 'req-5', buyerId: 'B', carrierId: 'C', routes: [{ origin: '1', destination: '44' }], ...NOV, serviceType: 'DATA' },
];
const usage = (patch: Partial<UsageRef>): UsageRef => ({
  buyerId: 'B', carrierId: 'C', intervalStart: '2026-11-05T10:00:00Z', intervalEnd: '2026-11-05T10:05:00Z', serviceType: 'VOICE', ...patch,
});

describe('associate — by requestId', () => {
  it('associates with the named request', () => {
    expect(associate(usage({ requestId: 'req-1' }), selections)).toEqual({ status: 'ASSOCIATED', requestId: 'req-1', selectionId: 'sel-1' });
  });
  it('refuses another buyer, another carrier, an unknown request, another service type', () => {
    expect(associate(usage({ requestId: 'req-1', buyerId: 'B2' }), selections)).toEqual({ status: 'UNASSOCIATED', reason: 'REQUEST_BUYER_MISMATCH' });
    expect(associate(usage({ requestId: 'req-1', carrierId: 'C2' }), selections)).toEqual({ status: 'UNASSOCIATED', reason: 'REQUEST_CARRIER_MISMATCH' });
    expect(associate(usage({ requestId: 'req-x' }), selections)).toEqual({ status: 'UNASSOCIATED', reason: 'UNKNOWN_REQUEST' });
    expect(associate(usage({ requestId: 'req-1', serviceType: 'DATA' }), selections)).toEqual({ status: 'UNASSOCIATED', reason: 'REQUEST_SERVICE_TYPE_MISMATCH' });
  });
});

describe('associate — by interval and destination', () => {
  it('chooses the longest matching route prefix', () => {
    expect(associate(usage({ destination: '442079460000' }), selections)).toEqual({
      status: 'ASSOCIATED', requestId: 'req-2', selectionId: 'sel-2', matchedPrefix: '4420',
    });
  });

  it('breaks an equal prefix by the latest intervalStart', () => {
    const at12 = { intervalStart: '2026-11-12T10:00:00Z', intervalEnd: '2026-11-12T10:05:00Z' };
    expect(associate(usage({ destination: '+441612345678', ...at12 }), selections)).toMatchObject({ status: 'ASSOCIATED', selectionId: 'sel-3' });
    expect(associate(usage({ ...at12 }), selections)).toMatchObject({ status: 'ASSOCIATED', selectionId: 'sel-3' });
  });

  it('only considers selections whose interval contains the usage interval', () => {
    expect(associate(usage({ destination: '441612345678' }), selections)).toMatchObject({ selectionId: 'sel-1' });
    // Starting exactly at a selection start is inside.
    expect(associate(usage({ destination: '441612345678', intervalStart: '2026-11-10T00:00:00Z', intervalEnd: '2026-11-10T00:01:00Z' }), selections))
      .toMatchObject({ selectionId: 'sel-3' });
    // Ending exactly at a selection end is inside; one second later is not.
    expect(associate(usage({ destination: '441612345678', intervalStart: '2026-11-29T23:59:00Z', intervalEnd: '2026-11-30T00:00:00Z' }), selections))
      .toMatchObject({ selectionId: 'sel-1' });
    expect(associate(usage({ destination: '441612345678', intervalStart: '2026-11-29T23:59:00Z', intervalEnd: '2026-11-30T00:00:01Z' }), selections))
      .toEqual({ status: 'UNASSOCIATED', reason: 'NO_MATCHING_SELECTION' });
    expect(associate(usage({ destination: '441612345678', intervalStart: '2026-10-31T23:59:59Z', intervalEnd: '2026-11-01T00:01:00Z' }), selections))
      .toEqual({ status: 'UNASSOCIATED', reason: 'NO_MATCHING_SELECTION' });
  });

  it('requires a matching route prefix when the usage has a destination', () => {
    expect(associate(usage({ destination: '33123456' }), selections)).toMatchObject({ selectionId: 'sel-2', matchedPrefix: '33' });
    expect(associate(usage({ destination: '49301234' }), selections)).toEqual({ status: 'UNASSOCIATED', reason: 'NO_MATCHING_SELECTION' });
    expect(associate(usage({ destination: '4' }), selections)).toEqual({ status: 'UNASSOCIATED', reason: 'NO_MATCHING_SELECTION' });
  });

  it('matches buyer, carrier and service type', () => {
    expect(associate(usage({ destination: '49301234', carrierId: 'C2' }), selections)).toMatchObject({ selectionId: 'sel-4' });
    expect(associate(usage({ destination: '44201234', buyerId: 'B9' }), selections)).toEqual({ status: 'UNASSOCIATED', reason: 'NO_MATCHING_SELECTION' });
    expect(associate(usage({ destination: '44201234', serviceType: 'DATA' }), selections)).toMatchObject({ selectionId: 'sel-5' });
  });

  it('ranks a selection by its longest matching route, not its first', () => {
    const multi: SelectionRef = { ...selections[0], selectionId: 'multi', routes: [{ origin: '1', destination: '44' }, { origin: '1', destination: '4420' }] };
    const mid: SelectionRef = { ...selections[0], selectionId: 'mid', routes: [{ origin: '1', destination: '442' }] };
    expect(associate(usage({ destination: '442079460000' }), [mid, multi])).toMatchObject({ selectionId: 'multi', matchedPrefix: '4420' });
  });

  it('returns NO_MATCHING_SELECTION when there are no selections', () => {
    expect(associate(usage({}), [])).toEqual({ status: 'UNASSOCIATED', reason: 'NO_MATCHING_SELECTION' });
  });

  it('is independent of the order of selections', () => {
    const reversed = [...selections].reverse();
    expect(associate(usage({ destination: '442079460000' }), reversed)).toMatchObject({ selectionId: 'sel-2' });
    const twin = { ...selections[0], selectionId: 'sel-0' };
    expect(associate(usage({ destination: '441612345678' }), [selections[0], twin])).toMatchObject({ selectionId: 'sel-0' });
    expect(associate(usage({ destination: '441612345678' }), [twin, selections[0]])).toMatchObject({ selectionId: 'sel-0' });
  });
});
