import { carrierServesRequest, eligibleCarriers } from '../../../moderator-subgraph/src/domain/distribution';

describe('distribution by coverage', () => {
  it('a coverage prefix serves destinations it is a prefix of', () => {
    expect(carrierServesRequest(['4420'], [{ destination: '442071' }])).toBe(true);
    expect(carrierServesRequest(['4420'], [{ destination: '4420' }])).toBe(true);
    expect(carrierServesRequest(['4420'], [{ destination: '44' }])).toBe(false);
    expect(carrierServesRequest(['44'], [{ destination: '4420' }])).toBe(true);
    expect(carrierServesRequest(['442'], [{ destination: '4412' }])).toBe(false);
  });

  it('requires every segment to be covered', () => {
    const routes = [{ destination: '4420' }, { destination: '3314' }];
    expect(carrierServesRequest(['44', '33'], routes)).toBe(true);
    expect(carrierServesRequest(['44'], routes)).toBe(false);
    expect(carrierServesRequest(['44', '331'], routes)).toBe(true);
    expect(carrierServesRequest(['44', '3315'], routes)).toBe(false);
  });

  it('serves nothing with empty coverage or no routes', () => {
    expect(carrierServesRequest([], [{ destination: '44' }])).toBe(false);
    expect(carrierServesRequest(['44'], [])).toBe(false);
  });

  it('filters carriers and keeps their order', () => {
    const carriers = [
      { id: 'a', coverage: ['4420'] },
      { id: 'b', coverage: ['44'] },
      { id: 'c', coverage: ['1'] },
      { id: 'd', coverage: ['33', '4'] },
    ];
    expect(eligibleCarriers(carriers, [{ destination: '44161' }]).map((c) => c.id)).toEqual(['b', 'd']);
    expect(eligibleCarriers(carriers, [{ destination: '442079' }]).map((c) => c.id)).toEqual(['a', 'b', 'd']);
  });
});
