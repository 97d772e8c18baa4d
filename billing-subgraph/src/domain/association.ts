import type { ServiceType } from './incentive';
import { parseInstant } from './time';

export interface RouteRef {
  origin: string;
  destination: string;
}

/** What the billing computer keeps of a moderator selection record for association. */
export interface SelectionRef {
  selectionId: string;
  requestId: string;
  buyerId: string;
  carrierId: string;
  routes: RouteRef[];
  intervalStart: Date | string;
  intervalEnd: Date | string;
  serviceType: ServiceType;
}

export interface UsageRef {
  requestId?: string;
  buyerId: string;
  carrierId: string;
  intervalStart: Date | string;
  intervalEnd: Date | string;
  /** E.164 digits, '+' optional. */
  destination?: string;
  serviceType?: ServiceType;
}

export type UnassociatedReason =
  | 'UNKNOWN_REQUEST'
  | 'REQUEST_BUYER_MISMATCH'
  | 'REQUEST_CARRIER_MISMATCH'
  | 'REQUEST_SERVICE_TYPE_MISMATCH'
  | 'NO_MATCHING_SELECTION';

export type Association =
  | { status: 'ASSOCIATED'; requestId: string; selectionId: string; matchedPrefix?: string }
  | { status: 'UNASSOCIATED'; reason: UnassociatedReason };

const digits = (s: string) => s.replace(/\D/g, '');

/** Length of the longest route destination that prefixes `destination`; -1 when none does. */
function longestPrefix(selection: SelectionRef, destination: string): number {
  let best = -1;
  for (const r of selection.routes ?? []) {
    const d = typeof r?.destination === 'string' ? digits(r.destination) : '';
    // An empty or non-numeric route ("LONDON") matches nothing rather than everything.
    if (d.length > 0 && destination.startsWith(d) && d.length > best) best = d.length;
  }
  return best;
}

const time = (v: Date | string) => parseInstant(v)?.getTime() ?? NaN;

/**
 * Picks among candidates the one with the longest matching route prefix (the drouting/LCR rule),
 * then the latest intervalStart (the most recent auction for an overlapping window), then the
 * smallest selectionId so the outcome never depends on database order.
 */
function best(candidates: SelectionRef[], destination: string | undefined): { s: SelectionRef; prefix: number } | null {
  let winner: { s: SelectionRef; prefix: number } | null = null;
  for (const s of candidates) {
    const prefix = destination === undefined ? 0 : longestPrefix(s, destination);
    if (!winner) { winner = { s, prefix }; continue; }
    const cmp =
      prefix - winner.prefix ||
      time(s.intervalStart) - time(winner.s.intervalStart) ||
      (s.selectionId < winner.s.selectionId ? 1 : s.selectionId > winner.s.selectionId ? -1 : 0);
    if (cmp > 0) winner = { s, prefix };
  }
  return winner;
}

function associated(w: { s: SelectionRef; prefix: number }, destination: string | undefined): Association {
  const out: Association = { status: 'ASSOCIATED', requestId: w.s.requestId, selectionId: w.s.selectionId };
  if (destination !== undefined && w.prefix > 0) out.matchedPrefix = destination.slice(0, w.prefix);
  return out;
}

/**
 * Associates a usage record with the request it was carried under (claims 19c/31c).
 *
 * With a requestId the reporter names the request: it must exist and belong to the same buyer
 * and carrier — otherwise a carrier could bill usage against someone else's incentive. The
 * service type must also match (a per-GB rate cannot price seconds); that reason is an addition
 * to the three named ones. The interval and destination are not re-checked: the reporter's
 * assertion stands, and destination only breaks ties between selections of the same request.
 *
 * Without a requestId: same buyer and carrier (and service type when given), the selection's
 * interval contains the usage interval (start ≥ selection start, end ≤ selection end), and when
 * the usage has a destination some route destination must be a digit prefix of it.
 */
export function associate(usage: UsageRef, selections: SelectionRef[]): Association {
  const destination = usage.destination === undefined ? undefined : digits(usage.destination);

  if (usage.requestId !== undefined) {
    const ofRequest = selections.filter((s) => s.requestId === usage.requestId);
    if (ofRequest.length === 0) return { status: 'UNASSOCIATED', reason: 'UNKNOWN_REQUEST' };
    const ofBuyer = ofRequest.filter((s) => s.buyerId === usage.buyerId);
    if (ofBuyer.length === 0) return { status: 'UNASSOCIATED', reason: 'REQUEST_BUYER_MISMATCH' };
    const ofCarrier = ofBuyer.filter((s) => s.carrierId === usage.carrierId);
    if (ofCarrier.length === 0) return { status: 'UNASSOCIATED', reason: 'REQUEST_CARRIER_MISMATCH' };
    const ofType = usage.serviceType === undefined ? ofCarrier : ofCarrier.filter((s) => s.serviceType === usage.serviceType);
    if (ofType.length === 0) return { status: 'UNASSOCIATED', reason: 'REQUEST_SERVICE_TYPE_MISMATCH' };
    return associated(best(ofType, destination)!, destination);
  }

  const start = time(usage.intervalStart);
  const end = time(usage.intervalEnd);
  if (Number.isNaN(start) || Number.isNaN(end)) return { status: 'UNASSOCIATED', reason: 'NO_MATCHING_SELECTION' };
  const candidates = selections.filter(
    (s) =>
      s.buyerId === usage.buyerId &&
      s.carrierId === usage.carrierId &&
      (usage.serviceType === undefined || s.serviceType === usage.serviceType) &&
      time(s.intervalStart) <= start &&
      end <= time(s.intervalEnd) &&
      (destination === undefined || longestPrefix(s, destination) > 0),
  );
  const winner = best(candidates, destination);
  return winner ? associated(winner, destination) : { status: 'UNASSOCIATED', reason: 'NO_MATCHING_SELECTION' };
}
