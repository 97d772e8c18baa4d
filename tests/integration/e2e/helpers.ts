// Shared by the end-to-end tests: the operations a portal, a billing agent or a partner sends to
// the gateway, bounded waits, and a count of the subscriptions a real subgraph holds on its pub/sub.
import { gql, gqlOk, type GqlResult } from '../../support/harness';
import type { TestSubscription } from '../../support/ws-client';
import { until, within } from '../../support/wait';

export const DAY = 24 * 3600 * 1000;
export const MINUTE = 60 * 1000;

export const REGISTER_BUYER = `mutation($input: RegisterBuyerInput!) { registerBuyer(input: $input) { id name } }`;
export const REGISTER_CARRIER = `mutation($input: RegisterCarrierInput!) { registerCarrier(input: $input) { id name coverage } }`;
export const CREATE_REQUEST = `mutation($input: CreateServiceRequestInput!) {
  createServiceRequest(input: $input) { id status distributionCount routes { destination } interval { start end } }
}`;
export const SUBMIT_BID = `mutation($input: SubmitBidInput!) { submitBid(input: $input) { id status } }`;
export const CLOSE = `mutation($id: ID!) { closeBidding(requestId: $id) { id status selection { id carrier { id name } } } }`;
export const RECORD_SELECTION = `mutation($input: SelectionRecordInput!) { recordSelection(input: $input) { id advanceBill { id } } }`;

/**
 * A request whose service starts a few minutes from now (so usage can be reported for it within
 * the billing computer's one-day future bound) and whose bidding the buyer closes by hand.
 */
export function requestInput(destination: string, quantity: string, overrides: Record<string, unknown> = {}) {
  const now = Date.now();
  return {
    routes: [{ origin: '1', destination }],
    serviceType: 'VOICE',
    quantity,
    unit: 'MINUTE',
    interval: { start: new Date(now + 10 * MINUTE).toISOString(), end: new Date(now + 30 * DAY).toISOString() },
    biddingClosesAt: new Date(now + 5 * MINUTE).toISOString(),
    ...overrides,
  };
}

/**
 * The selection record the moderator's outbox would send billing for `request` (as created from
 * `input`) awarded to `carrierId` at a GBP rate, selected now.
 */
export function selectionRecordFor(
  request: { id: string },
  input: ReturnType<typeof requestInput>,
  parties: { buyerId: string; carrierId: string; selectionId?: string },
) {
  return {
    selectionId: parties.selectionId ?? `sel_${request.id}`,
    requestId: request.id,
    buyerId: parties.buyerId,
    buyerIsReseller: false,
    carrierId: parties.carrierId,
    routes: input.routes,
    serviceType: 'VOICE',
    interval: input.interval,
    quantity: input.quantity,
    unit: 'MINUTE',
    incentive: { currency: 'GBP', ratePerUnit: '0.0100' },
    selectedAt: new Date().toISOString(),
  };
}

export function bidInput(requestId: string, ratePerUnit: string, currency = 'GBP') {
  return { requestId, incentive: { currency, ratePerUnit } };
}

/** The next event of a subscription, or a failure after `ms` (tests never hang). */
export async function nextEvent(sub: TestSubscription, what: string, ms = 15_000): Promise<Record<string, any>> {
  return (await within(sub.next(), { message: `an event for ${what} (got ${sub.events.length} so far)`, timeout: ms })) as Record<string, any>;
}

/** How the subscription ended (complete, or error with the server's errors), bounded. */
export async function endOf(sub: TestSubscription, what: string, ms = 15_000) {
  return within(sub.ended, { message: `${what} to end`, timeout: ms });
}

/**
 * How a refused subscription ended: graphql-ws delivers a refusal at subscribe time as one
 * `next` without data (the subgraph's coded errors) and then `complete`, or as an `error` message.
 * Returns the codes and whatever data arrived (none may).
 */
export async function refusalOf(sub: TestSubscription, what: string, ms = 15_000) {
  const end = await endOf(sub, what, ms);
  const codes: unknown[] = [];
  if (end.kind === 'error' && Array.isArray(end.error)) {
    for (const e of end.error as { extensions?: { code?: unknown } }[]) codes.push(e.extensions?.code);
  } else if (end.kind === 'error') codes.push('error');
  for (const e of sub.events) for (const err of e.errors ?? []) codes.push(err.extensions?.code);
  return { codes, data: sub.events.map((e) => e.data ?? null).filter((d) => d !== null) };
}

export { until };

export { countSubscriptions } from '../../support/subscriptions';

/** Errors' codes, and the result's data, of a call expected to be refused. */
export async function refused(url: string, query: string, variables: Record<string, unknown>, bearer?: string) {
  const r: GqlResult = await gql(url, query, variables, bearer);
  return { codes: (r.errors ?? []).map((e) => e.extensions?.code), data: r.data, status: r.status, body: JSON.stringify(r) };
}

export { gql, gqlOk };
