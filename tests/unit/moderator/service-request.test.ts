import { AppError } from '../../../moderator-subgraph/src/domain/errors';
import {
  type ServiceRequestInput,
  validateServiceRequestInput,
} from '../../../moderator-subgraph/src/domain/service-request';

const NOW = new Date('2030-01-01T00:00:00Z');

function valid(): ServiceRequestInput {
  return {
    routes: [{ origin: '+1212', destination: '+442071', network: ' PSTN ' }],
    serviceType: 'VOICE',
    quantity: '0010000.50',
    unit: 'MINUTE',
    interval: { start: '2030-02-01T00:00:00Z', end: '2030-03-01T00:00:00Z' },
    biddingClosesAt: '2030-01-15T12:00:00+01:00',
  };
}

function fieldOf(input: ServiceRequestInput): string | undefined {
  try {
    validateServiceRequestInput(input, NOW);
  } catch (e) {
    if (e instanceof AppError && e.code === 'BAD_USER_INPUT') return e.field;
    throw e;
  }
  throw new Error('expected BAD_USER_INPUT');
}

describe('validateServiceRequestInput', () => {
  it('normalises a valid request', () => {
    const r = validateServiceRequestInput(valid(), NOW);
    expect(r.routes).toEqual([{ origin: '1212', destination: '442071', network: 'PSTN' }]);
    expect(r.quantity).toBe('10000.5');
    expect(r.serviceType).toBe('VOICE');
    expect(r.unit).toBe('MINUTE');
    expect(r.interval.start.toISOString()).toBe('2030-02-01T00:00:00.000Z');
    expect(r.biddingClosesAt.toISOString()).toBe('2030-01-15T11:00:00.000Z');
    expect(r.qosRequirements).toBeUndefined();
  });

  it('accepts Date objects and DATA in GB or MBPS', () => {
    const r = validateServiceRequestInput(
      {
        ...valid(),
        serviceType: 'DATA',
        unit: 'MBPS',
        interval: { start: new Date('2030-02-01T00:00:00Z'), end: new Date('2030-02-02T00:00:00Z') },
        biddingClosesAt: new Date('2030-02-01T00:00:00Z'), // equal to start is allowed
        qosRequirements: { maxLatencyMs: 40, maxLossPercent: 0.1 },
      },
      NOW,
    );
    expect(r.unit).toBe('MBPS');
    expect(r.qosRequirements).toEqual({ maxLatencyMs: 40, maxLossPercent: 0.1 });
    expect(validateServiceRequestInput({ ...valid(), serviceType: 'DATA', unit: 'GB' }, NOW).unit).toBe('GB');
  });

  it('names the offending field', () => {
    const cases: [Partial<ServiceRequestInput>, string][] = [
      [{ interval: { start: '2029-12-31T23:59:59Z', end: '2030-03-01T00:00:00Z' } }, 'input.interval.start'],
      [{ interval: { start: '2030-01-01T00:00:00Z', end: '2030-03-01T00:00:00Z' } }, 'input.interval.start'], // == now
      [{ interval: { start: '2030-02-01T00:00:00Z', end: '2030-02-01T00:00:00Z' } }, 'input.interval.end'],
      [{ interval: { start: '2030-02-01T00:00:00Z', end: '2030-01-31T00:00:00Z' } }, 'input.interval.end'],
      [{ interval: { start: '2030-02-01', end: '2030-03-01T00:00:00Z' } }, 'input.interval.start'], // no time zone
      [{ interval: { start: '2030-02-01T00:00:00Z', end: 'soon' } }, 'input.interval.end'],
      [{ interval: null }, 'input.interval'],
      [{ biddingClosesAt: '2030-02-01T00:00:01Z' }, 'input.biddingClosesAt'], // after interval.start
      [{ biddingClosesAt: '2029-12-31T00:00:00Z' }, 'input.biddingClosesAt'],
      [{ routes: [{ origin: '1', destination: '044' }] }, 'input.routes[0].destination'],
      [{ routes: [{ origin: '1', destination: '44a' }] }, 'input.routes[0].destination'],
      [{ routes: [{ origin: '1', destination: '' }] }, 'input.routes[0].destination'],
      [{ routes: [{ origin: '1', destination: '1234567890123456' }] }, 'input.routes[0].destination'],
      [{ routes: [{ origin: '1', destination: '44' }, { origin: '0', destination: '33' }] }, 'input.routes[1].origin'],
      [{ routes: [{ origin: '1', destination: '44', network: '' }] }, 'input.routes[0].network'],
      [{ routes: [{ origin: '1', destination: '44' }, { origin: '+1', destination: '+44' }] }, 'input.routes[1]'],
      [{ routes: [] }, 'input.routes'],
      [{ routes: Array.from({ length: 101 }, (_, i) => ({ origin: '1', destination: String(1000 + i) })) }, 'input.routes'],
      [{ quantity: '0' }, 'input.quantity'],
      [{ quantity: '-5' }, 'input.quantity'],
      [{ quantity: 10 }, 'input.quantity'],
      [{ unit: 'GB' }, 'input.unit'], // VOICE + GB
      [{ serviceType: 'DATA', unit: 'MINUTE' }, 'input.unit'],
      [{ serviceType: 'SMS' }, 'input.serviceType'],
      [{ qosRequirements: { minAsrPercent: 101 } }, 'input.qosRequirements.minAsrPercent'],
      [{ qosRequirements: { maxPddMs: -1 } }, 'input.qosRequirements.maxPddMs'],
      [{ qosRequirements: { maxJitterMs: Number.NaN } }, 'input.qosRequirements.maxJitterMs'],
    ];
    for (const [patch, field] of cases) {
      expect({ patch, field: fieldOf({ ...valid(), ...patch }) }).toEqual({ patch, field });
    }
  });

  it('accepts exactly 100 route segments', () => {
    const routes = Array.from({ length: 100 }, (_, i) => ({ origin: '1', destination: String(1000 + i) }));
    expect(validateServiceRequestInput({ ...valid(), routes }, NOW).routes).toHaveLength(100);
  });
});
