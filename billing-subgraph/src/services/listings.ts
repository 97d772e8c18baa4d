import { decodeCursor, encodeCursor, newestFirst, type Identity, type PagePosition } from '@exchange/platform';
import { parseInstant } from '../domain';
import type { BillDoc, BillingRecordDoc, RejectedDoc, UsageDoc } from '../store/models';
import { badInput, forbidden, hasRole, SEES_EVERY_PARTY, pageSize, partyScope } from './access';
import type { Deps } from './deps';

// The listing queries: each builds its Mongo filter from the caller's scope and the GraphQL filter
// (FORBIDDEN for another party's data, BAD_USER_INPUT naming a bad field) and reads one page.

/** The (time, id) position a newest-first cursor encodes; BAD_USER_INPUT on `after` for anything this API did not write. */
function cursorPosition(c: PagePosition): { at: Date; id: string } {
  if (!c.at) throw badInput('after', 'after is not a cursor returned by this API');
  return { at: c.at, id: c.id };
}

/** Mongo filter of a bills query for this caller, or FORBIDDEN when it asks for another party's bills. */
export function billQuery(id: Identity, filter: Record<string, any> | null | undefined, fixed: Record<string, unknown> = {}) {
  const scope = partyScope(id);
  if (!scope) throw forbidden(`${id.role} may not list bills`);
  const f = filter ?? {};
  const q: Record<string, any> = { status: { $ne: 'DRAFT' }, ...fixed };
  if (f.kind) q.kind = f.kind;
  if (f.status) q.status = f.status;
  for (const k of ['buyerId', 'carrierId', 'requestId'] as const) if (typeof f[k] === 'string') q[k] = f[k];
  for (const [k, v] of Object.entries(scope)) {
    if (q[k] !== undefined && q[k] !== v) throw forbidden(`a ${id.role} only sees its own bills`);
    q[k] = v;
  }
  // Strict ISO 8601 instants only (parseInstant): `new Date()` would also take numbers and
  // extended years such as -271821, which reach the database as out-of-range dates.
  for (const [k, op] of [['issuedFrom', '$gte'], ['issuedTo', '$lt']] as const) {
    if (f[k] === undefined || f[k] === null) continue;
    const at = parseInstant(f[k]);
    if (!at) throw badInput(`filter.${k}`, `filter.${k} must be an ISO 8601 date-time with a time zone`);
    q.issuedAt = { ...q.issuedAt, [op]: at };
  }
  return q;
}

export async function listBills(deps: Deps, q: Record<string, any>, first: number | undefined, after: string | undefined) {
  const n = pageSize(first, 50, 500);
  const c = decodeCursor(after);
  const before = c ? cursorPosition(c) : undefined;
  const docs = await newestFirst<BillDoc>(deps.models.Bill, q, { field: 'issuedAt', limit: n + 1, before });
  const nodes = docs.slice(0, n);
  const last = nodes[nodes.length - 1];
  return { nodes, endCursor: docs.length > n && last ? encodeCursor({ at: last.issuedAt, id: last._id }) : null };
}

export async function pageById<T extends { _id: string }>(query: { find(q: any): any }, q: Record<string, any>, first: number | undefined, after: string | undefined, dflt: number, max: number) {
  const n = pageSize(first, dflt, max);
  const c = decodeCursor(after);
  if (c) q._id = { $gt: c.id };
  const docs = (await query.find(q).sort({ _id: 1 }).limit(n + 1).lean().exec()) as T[];
  const nodes = docs.slice(0, n);
  return { nodes, endCursor: docs.length > n ? encodeCursor({ id: nodes[nodes.length - 1]._id }) : null };
}

export function requestRecordsScope(id: Identity, requestId: string): Record<string, unknown> {
  const scope = partyScope(id);
  if (!scope) throw forbidden(`${id.role} may not read billing records`);
  return { requestId, ...scope };
}

/** Usage records this caller may see, by filter, in _id order. */
export async function listUsageRecords(deps: Deps, who: Identity, filter: Record<string, any> | null | undefined, first: number | undefined, after: string | undefined) {
  const scope = partyScope(who);
  if (!scope) throw forbidden(`${who.role} may not list usage records`);
  const f = filter ?? {};
  const q: Record<string, any> = {};
  for (const k of ['status', 'buyerId', 'carrierId', 'requestId', 'source', 'recordId']) if (typeof f[k] === 'string') q[k] = f[k];
  for (const [k, v] of Object.entries(scope)) {
    if (q[k] !== undefined && q[k] !== v) throw forbidden(`a ${who.role} only sees its own usage`);
    q[k] = v;
  }
  if (who.role === 'BUYER') {
    // Only usage of carriers that hold a selection of this buyer: any carrier could otherwise
    // park records naming an unrelated buyer in that buyer's list (they are never billed to it).
    const carriers = ((await deps.models.Selection.find({ buyerId: who.sub }).select({ carrierId: 1 }).limit(10_000).lean().exec()) as { carrierId: string }[]).map((x) => x.carrierId);
    const allowed = [...new Set(carriers)];
    q.carrierId = typeof q.carrierId === 'string' ? (allowed.includes(q.carrierId) ? q.carrierId : { $in: [] }) : { $in: allowed };
  }
  return pageById<UsageDoc>(deps.models.Usage, q, first, after, 100, 1000);
}

/** Rejected usage this caller reported (operators: everyone's), newest first. */
export async function listRejectedUsage(deps: Deps, who: Identity, filter: Record<string, any> | null | undefined, first: number | undefined, after: string | undefined) {
  const q: Record<string, any> = {};
  if (!hasRole(who, SEES_EVERY_PARTY)) {
    if (!['CARRIER', 'METER', 'LEC'].includes(who.role)) throw forbidden(`${who.role} does not report usage`);
    q.reportedBy = `${who.role}:${who.sub}`;
  }
  const f = filter ?? {};
  for (const k of ['recordId', 'batchId', 'source']) if (typeof f[k] === 'string') q[k] = f[k];
  if ((f.from ?? null) !== null || (f.to ?? null) !== null) {
    q.rejectedAt = {};
    for (const [k, op] of [['from', '$gte'], ['to', '$lt']] as const) {
      if (f[k] === undefined || f[k] === null) continue;
      const at = parseInstant(f[k]);
      if (!at) throw badInput(`filter.${k}`, `filter.${k} must be an ISO 8601 date-time with a time zone`);
      q.rejectedAt[op] = at;
    }
  }
  const n = pageSize(first, 100, 1000);
  const c = decodeCursor(after);
  const before = c ? cursorPosition(c) : undefined;
  const docs = await newestFirst<RejectedDoc>(deps.models.Rejected, q, { field: 'rejectedAt', limit: n + 1, before });
  const nodes = docs.slice(0, n);
  const last = nodes[nodes.length - 1];
  return { nodes, endCursor: docs.length > n && last ? encodeCursor({ at: last.rejectedAt, id: last._id }) : null };
}

/** A page of a request's billing records this caller may see (stored form: see billing-record-format.ts), in _id order. */
export function listRequestBillingRecords(deps: Deps, who: Identity, requestId: string, first: number | undefined, after: string | undefined) {
  return pageById<BillingRecordDoc>(deps.models.BillingRecord, requestRecordsScope(who, requestId), first, after, 100, 1000);
}
