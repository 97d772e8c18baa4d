import { badInput } from './errors';
import { canonical, parseDecimal } from './money';
import { validatePrefix } from './prefix';
import { type QosRequirements, validateQosRequirements } from './qos';
import { parseInstant } from './time';
import { hasControlCharacters } from './text';

export type ServiceType = 'VOICE' | 'DATA';
export type ServiceUnit = 'MINUTE' | 'GB' | 'MBPS';
export type RequestStatus = 'OPEN' | 'AWARDED' | 'NO_AWARD' | 'CANCELLED';

export const SERVICE_TYPES: readonly ServiceType[] = ['VOICE', 'DATA'];
export const REQUEST_STATUSES: readonly RequestStatus[] = ['OPEN', 'AWARDED', 'NO_AWARD', 'CANCELLED'];
export const UNITS_BY_SERVICE: Readonly<Record<ServiceType, readonly ServiceUnit[]>> = {
  VOICE: ['MINUTE'],
  DATA: ['GB', 'MBPS'],
};

export const MAX_ROUTES = 100;
export const MAX_NETWORK_LENGTH = 64;

export interface RouteSegment {
  origin: string;
  destination: string;
  network?: string;
}

export interface Interval {
  start: Date;
  end: Date;
}

/** As it arrives from the API; every field is re-checked because the domain trusts no caller. */
export interface ServiceRequestInput {
  routes?: unknown;
  serviceType?: unknown;
  quantity?: unknown;
  unit?: unknown;
  qosRequirements?: unknown;
  interval?: { start?: unknown; end?: unknown } | null;
  biddingClosesAt?: unknown;
}

export interface ServiceRequest {
  routes: RouteSegment[];
  serviceType: ServiceType;
  /** Canonical positive decimal string. */
  quantity: string;
  unit: ServiceUnit;
  qosRequirements?: QosRequirements;
  interval: Interval;
  biddingClosesAt: Date;
}

function validateRoutes(v: unknown, field: string): RouteSegment[] {
  if (!Array.isArray(v) || v.length === 0) throw badInput(field, `${field} must list at least one route segment`);
  if (v.length > MAX_ROUTES) throw badInput(field, `${field} may list at most ${MAX_ROUTES} route segments`);
  const seen = new Set<string>();
  return v.map((raw: unknown, i) => {
    const f = `${field}[${i}]`;
    if (typeof raw !== 'object' || raw === null) throw badInput(f, `${f} must be an object`);
    const r = raw as Record<string, unknown>;
    const seg: RouteSegment = {
      origin: validatePrefix(`${f}.origin`, r.origin),
      destination: validatePrefix(`${f}.destination`, r.destination),
    };
    if (r.network !== undefined && r.network !== null) {
      const n = typeof r.network === 'string' ? r.network.trim() : '';
      if (n.length === 0 || n.length > MAX_NETWORK_LENGTH) {
        throw badInput(`${f}.network`, `${f}.network must be 1-${MAX_NETWORK_LENGTH} characters`);
      }
      if (hasControlCharacters(n)) throw badInput(`${f}.network`, `${f}.network must not contain control characters`);
      seg.network = n;
    }
    // A repeated segment would be distributed, priced and routed twice for one need.
    const key = `${seg.origin}|${seg.destination}|${seg.network ?? ''}`;
    if (seen.has(key)) throw badInput(f, `${f} duplicates an earlier route segment`);
    seen.add(key);
    return seg;
  });
}

export function validateServiceRequestInput(input: ServiceRequestInput, now: Date): ServiceRequest {
  const routes = validateRoutes(input.routes, 'input.routes');

  const serviceType = input.serviceType;
  if (!SERVICE_TYPES.includes(serviceType as ServiceType)) {
    throw badInput('input.serviceType', 'input.serviceType must be VOICE or DATA');
  }
  const st = serviceType as ServiceType;

  const quantity = canonical(parseDecimal('input.quantity', input.quantity, { positive: true }));

  const allowed = UNITS_BY_SERVICE[st];
  if (!allowed.includes(input.unit as ServiceUnit)) {
    throw badInput('input.unit', `input.unit for ${st} must be one of ${allowed.join(', ')}`);
  }

  const qosRequirements = validateQosRequirements(input.qosRequirements, 'input.qosRequirements');

  if (typeof input.interval !== 'object' || input.interval === null) {
    throw badInput('input.interval', 'input.interval is required');
  }
  const start = parseInstant('input.interval.start', input.interval.start);
  const end = parseInstant('input.interval.end', input.interval.end);
  if (start.getTime() <= now.getTime()) {
    throw badInput('input.interval.start', 'input.interval.start must be in the future');
  }
  if (end.getTime() <= start.getTime()) {
    throw badInput('input.interval.end', 'input.interval.end must be after input.interval.start');
  }

  const biddingClosesAt = parseInstant('input.biddingClosesAt', input.biddingClosesAt);
  if (biddingClosesAt.getTime() <= now.getTime()) {
    throw badInput('input.biddingClosesAt', 'input.biddingClosesAt must be in the future');
  }
  // Bidding must end before service begins, or the winner could be chosen after its interval started.
  if (biddingClosesAt.getTime() > start.getTime()) {
    throw badInput('input.biddingClosesAt', 'input.biddingClosesAt must not be after input.interval.start');
  }

  const request: ServiceRequest = {
    routes,
    serviceType: st,
    quantity,
    unit: input.unit as ServiceUnit,
    interval: { start, end },
    biddingClosesAt,
  };
  if (qosRequirements && Object.keys(qosRequirements).length > 0) request.qosRequirements = qosRequirements;
  return request;
}
