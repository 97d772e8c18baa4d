import { isPrefixOf } from './prefix';
import type { RouteSegment } from './service-request';

/**
 * A carrier serves a request only if it can terminate every segment: a coverage prefix must be a
 * prefix of (or equal to) each destination. Coverage "4420" does not serve destination "44", because
 * "44" includes numbers outside 4420 that the carrier cannot reach.
 */
export function carrierServesRequest(
  coverage: readonly string[],
  routes: readonly Pick<RouteSegment, 'destination'>[],
): boolean {
  if (routes.length === 0 || coverage.length === 0) return false;
  return routes.every((r) => coverage.some((c) => isPrefixOf(c, r.destination)));
}

export interface CarrierCoverage {
  id: string;
  coverage: readonly string[];
}

export function eligibleCarriers<C extends CarrierCoverage>(
  carriers: readonly C[],
  routes: readonly Pick<RouteSegment, 'destination'>[],
): C[] {
  return carriers.filter((c) => carrierServesRequest(c.coverage, routes));
}
