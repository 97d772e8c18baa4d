import { insertIgnoringDuplicates, backoffMs } from '@exchange/platform';
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { BACKOFF_MAX_MS, signWebhook } from '../../domain';
import type { BillDoc, DeliveryDoc } from '../../store/models';
import { BILL_ISSUED_TOPIC, type BillIssuedEvent, type Deps } from '../deps';
import { claimOnce } from '../../store/slots';
import { recoverIssued } from './issue-completion';
import { GENERIC_WEBHOOK_ERROR, postWebhook } from '../parties/webhooks';

/** Default lifetime of a signed bill link (BILL_LINK_MAX_TTL_SECONDS overrides it). */
export const LINK_TTL_SECONDS = 7 * 86_400;
const LEASE_MS = 30_000;
/** A delivery claim names one attempt and lease window; kept a few windows past it, then swept. */
const CLAIM_TTL_MS = 4 * LEASE_MS;
/** How long the issuing run alone posts and announces a bill before the worker may. */
export const ISSUE_GRACE_MS = LEASE_MS;

/**
 * Every issued bill goes to the buyer and the carrier: posted on the website, announced on the
 * billIssued subscription and, when the party registered one, a signed webhook (retried with
 * backoff). With BILL_DELIVERY_PATH=VIA_MODERATOR the bill is also handed to the Moderator's
 * relayBill for each recipient. The records are written PENDING before the bill flips to ISSUED
 * and are the outbox: each becomes DELIVERED only once it was observed to happen (the bill seen
 * ISSUED, so served by the website; the event handed to the pub/sub), so an announcement lost to a
 * crash is still PENDING and the worker sends it after a restart.
 */
export async function createDeliveries(deps: Deps, bill: BillDoc, now: Date): Promise<void> {
  const { Delivery, Webhook } = deps.models;
  const parties: { id: string; role: 'BUYER' | 'CARRIER' }[] = [
    { id: bill.buyerId!, role: 'BUYER' },
    { id: bill.carrierId!, role: 'CARRIER' },
  ];
  const hooks = new Set((await Webhook.find({ _id: { $in: parties.map((p) => p.id) } }).select({ _id: 1 }).lean().exec()).map((w) => w._id));
  const docs: DeliveryDoc[] = [];
  // The issuing run posts and announces the bill right after the flip (deliverIssuedNow); the
  // worker takes these over only after a grace, i.e. when that run died.
  const afterGrace = new Date(now.getTime() + ISSUE_GRACE_MS);
  const base = { billId: bill._id, attempts: 0, lastError: null, leaseUntil: null, createdAt: now };
  for (const p of parties) {
    const id = (channel: string) => `${bill._id}|${p.role}|${channel}`;
    docs.push({ ...base, _id: id('WEBSITE'), recipientId: p.id, recipientRole: p.role, channel: 'WEBSITE', path: 'DIRECT', state: 'PENDING', deliveredAt: null, nextAttemptAt: afterGrace });
    docs.push({ ...base, _id: id('SUBSCRIPTION'), recipientId: p.id, recipientRole: p.role, channel: 'SUBSCRIPTION', path: 'DIRECT', state: 'PENDING', deliveredAt: null, nextAttemptAt: afterGrace });
    if (hooks.has(p.id)) docs.push({ ...base, _id: id('WEBHOOK'), recipientId: p.id, recipientRole: p.role, channel: 'WEBHOOK', path: 'DIRECT', state: 'PENDING', deliveredAt: null, nextAttemptAt: now });
    if (bill.deliveryPath === 'VIA_MODERATOR') {
      docs.push({ ...base, _id: id('MODERATOR_RELAY'), recipientId: p.id, recipientRole: p.role, channel: 'MODERATOR_RELAY', path: 'VIA_MODERATOR', state: 'PENDING', deliveredAt: null, nextAttemptAt: now });
    }
  }
  await insertIgnoringDuplicates(Delivery, docs);
}

// ------------------------------------------------------------------------------------------
// Signed links to the posted bill
// ------------------------------------------------------------------------------------------

/** The posted bill's documents: page, PDF, lines CSV and the call-detail annex CSV (`/bills/<id>.calls.csv`). */
export type DocFormat = 'html' | 'pdf' | 'csv' | 'calls.csv';

function linkSignature(deps: Deps, billId: string, format: DocFormat, expires: number): string {
  return createHmac('sha256', deps.config.linkSecret).update(`${billId}|${format}|${expires}`).digest('base64url');
}

/**
 * Signed links to a bill's documents. `notAfter` (epoch seconds): a link derived from another
 * signed link (the page's call-detail link) expires with it, never later: a page opened through
 * a link about to expire handed out a fresh 7-day link before.
 */
export function documentUrls(deps: Deps, billId: string, now = Date.now(), notAfter?: number) {
  const full = Math.floor(now / 1000) + (deps.config.BILL_LINK_MAX_TTL_SECONDS ?? LINK_TTL_SECONDS);
  const expires = notAfter !== undefined && Number.isFinite(notAfter) ? Math.min(full, notAfter) : full;
  const url = (format: DocFormat) => {
    const path = format === 'html' ? `/bills/${encodeURIComponent(billId)}` : `/bills/${encodeURIComponent(billId)}.${format}`;
    return `${deps.publicBase()}${path}?expires=${expires}&sig=${linkSignature(deps, billId, format, expires)}`;
  };
  return { html: url('html'), pdf: url('pdf'), csv: url('csv'), callsCsv: url('calls.csv'), expiresAt: new Date(expires * 1000) };
}

/** The bill a document link or page shows: an issued bill with a currency, or null. */
export async function documentBill(deps: Deps, billId: string): Promise<BillDoc | null> {
  const bill = (await deps.models.Bill.findById(billId).lean().exec()) as BillDoc | null;
  // A bill is posted once it is issued and numbered (store/bill-numbers.ts).
  return !bill || bill.status === 'DRAFT' || !bill.currency || !bill.number ? null : bill;
}

export function verifyLink(deps: Deps, billId: string, format: DocFormat, expires: unknown, sig: unknown): boolean {
  if (typeof expires !== 'string' || typeof sig !== 'string' || !/^\d{1,12}$/.test(expires)) return false;
  const nowSeconds = Math.floor(Date.now() / 1000);
  if (Number(expires) < nowSeconds) return false;
  // No link lives longer than the configured lifetime, even one signed with a leaked key.
  if (Number(expires) > nowSeconds + (deps.config.BILL_LINK_MAX_TTL_SECONDS ?? LINK_TTL_SECONDS)) return false;
  const expected = Buffer.from(linkSignature(deps, billId, format, Number(expires)));
  const given = Buffer.from(sig);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

// ------------------------------------------------------------------------------------------
// Worker: webhooks and Moderator relay, retried with backoff
// ------------------------------------------------------------------------------------------

export function billSummary(deps: Deps, bill: BillDoc) {
  return {
    id: bill._id,
    number: bill.number,
    kind: bill.kind,
    buyerId: bill.buyerId,
    carrierId: bill.carrierId,
    requestId: bill.requestId ?? null,
    period: { start: bill.periodStart?.toISOString(), end: bill.periodEnd?.toISOString() },
    total: { amount: bill.total, currency: bill.currency },
    status: bill.status,
    issuedAt: bill.issuedAt?.toISOString(),
    dueAt: bill.dueAt?.toISOString() ?? null,
    url: `${deps.publicBase()}/bills/${encodeURIComponent(bill._id)}`,
  };
}

async function sendWebhook(deps: Deps, d: DeliveryDoc, bill: BillDoc): Promise<void> {
  const hook = await deps.models.Webhook.findById(d.recipientId).lean().exec();
  if (!hook) throw new Error('the party has no registered webhook any more');
  const body = JSON.stringify({ type: 'bill.issued', deliveryId: d._id, bill: { ...billSummary(deps, bill), documentUrls: documentUrls(deps, bill._id) } });
  const signature = signWebhook(hook.secret, Math.floor(Date.now() / 1000), body);
  const status = await postWebhook(hook.url, { 'content-type': 'application/json', 'x-billing-signature': signature, 'x-billing-delivery-id': d._id }, body, {
    timeoutMs: 10_000,
    allowPrivate: deps.config.WEBHOOK_ALLOW_PRIVATE_TARGETS,
  });
  // Redirects are not followed: any answer but 2xx is a failure.
  if (status < 200 || status >= 300) throw new Error(`webhook answered HTTP ${status}`);
}

async function relayToModerator(deps: Deps, bill: BillDoc): Promise<void> {
  const token = await deps.signToken('billing', 'BILLING_AGENT', '5m');
  const input = {
    billId: bill._id,
    billNumber: bill.number,
    kind: bill.kind,
    buyerId: bill.buyerId,
    carrierId: bill.carrierId,
    requestId: bill.requestId ?? null,
    total: { amount: bill.total, currency: bill.currency },
    url: `${deps.publicBase()}/bills/${encodeURIComponent(bill._id)}`,
  };
  const res = await fetch(deps.config.MODERATOR_URL, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: 'mutation($input: BillRelayInput!) { relayBill(input: $input) { id billId } }', variables: { input } }),
    signal: AbortSignal.timeout(10_000),
  });
  const json = (await res.json().catch(() => null)) as { data?: { relayBill?: unknown }; errors?: { message: string }[] } | null;
  if (!res.ok || !json?.data?.relayBill) throw new Error(`relayBill failed (HTTP ${res.status}): ${json?.errors?.map((e) => e.message).join('; ') ?? 'no data'}`);
}

/**
 * The billIssued event for one recipient: the BUYER's event also reaches the operators, the
 * CARRIER's only the carrier (services/deps.ts receivesBillIssued), so every subscriber gets one
 * event per bill. Delivery is at least once: a crash after the publish and before the record says
 * DELIVERED publishes again after the restart (subscribers key on the bill id).
 */
async function publishBillIssued(deps: Deps, d: DeliveryDoc, bill: BillDoc): Promise<void> {
  const event: BillIssuedEvent = { billId: bill._id, buyerId: bill.buyerId!, carrierId: bill.carrierId!, recipientRole: d.recipientRole };
  await deps.pubsub.publish(BILL_ISSUED_TOPIC, event);
}

const NUMBER_WAIT_TRIES = 40;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function processDelivery(deps: Deps, d: DeliveryDoc): Promise<void> {
  const { Delivery, Bill } = deps.models;
  let bill = (await Bill.findById(d.billId).lean().exec()) as BillDoc | null;
  // A bill is not delivered before it has its number. Its issuer numbers it right after the flip:
  // a moment's wait keeps this attempt (postponing it would hold the attempt's claim for the rest
  // of the lease window). One whose issuer died before numbering it is numbered here.
  for (let i = 0; bill && bill.status !== 'DRAFT' && !bill.number && i < NUMBER_WAIT_TRIES; i++) {
    bill = await recoverIssued(deps, bill);
    if (bill.number || i === NUMBER_WAIT_TRIES - 1) break;
    await sleep(50);
    bill = (await Bill.findById(d.billId).lean().exec()) as BillDoc | null;
  }
  if (!bill || bill.status === 'DRAFT' || !bill.number) {
    await Delivery.updateOne({ _id: d._id }, { $set: { leaseUntil: null, nextAttemptAt: new Date(Date.now() + 1000) } }).exec();
    return;
  }
  await attemptDelivery(deps, d, bill);
}

/** One attempt of a leased delivery of an issued bill; the record says what happened. */
async function attemptDelivery(deps: Deps, d: DeliveryDoc, bill: BillDoc): Promise<void> {
  const { Delivery } = deps.models;
  const attempts = d.attempts + 1;
  try {
    if (d.channel === 'WEBHOOK') await sendWebhook(deps, d, bill);
    else if (d.channel === 'MODERATOR_RELAY') await relayToModerator(deps, bill);
    else if (d.channel === 'SUBSCRIPTION') await publishBillIssued(deps, d, bill);
    // WEBSITE: the site serves every bill that is not a DRAFT, and this one was just read ISSUED.
    await Delivery.updateOne({ _id: d._id }, { $set: { state: 'DELIVERED', attempts, deliveredAt: new Date(), lastError: null, nextAttemptAt: null, leaseUntil: null } }).exec();
  } catch (err) {
    const detail = (err as Error).message?.slice(0, 500) ?? String(err);
    // The party sees a generic error for its webhook (no port, status or DNS probe through it);
    // the operator finds the detail in the log.
    const message = d.channel === 'WEBHOOK' ? GENERIC_WEBHOOK_ERROR : detail;
    const failed = attempts >= deps.config.DELIVERY_MAX_ATTEMPTS;
    const next = new Date(Date.now() + backoffMs(attempts, { baseMs: deps.config.DELIVERY_BACKOFF_BASE_MS, maxMs: BACKOFF_MAX_MS }));
    await Delivery.updateOne(
      { _id: d._id },
      { $set: { state: failed ? 'FAILED' : 'PENDING', attempts, lastError: message, nextAttemptAt: failed ? null : next, leaseUntil: null } },
    ).exec();
    deps.logger.warn({ deliveryId: d._id, attempts, err: detail }, 'bill delivery failed');
  }
}

/** Leases a due delivery for one attempt: one sender per attempt and lease window, even with several billing instances. */
async function leaseDelivery(deps: Deps, d: DeliveryDoc, now: Date): Promise<DeliveryDoc | null> {
  if (!(await claimOnce(deps.models, `delivery|${d._id}|${d.attempts}|${Math.floor(now.getTime() / LEASE_MS)}`, CLAIM_TTL_MS, now))) return null;
  return (await deps.models.Delivery.findOneAndUpdate(
    { _id: d._id, state: 'PENDING', $or: [{ leaseUntil: null }, { leaseUntil: { $lt: now } }] },
    { $set: { leaseUntil: new Date(now.getTime() + LEASE_MS) } },
    { returnDocument: 'after' },
  ).lean().exec()) as DeliveryDoc | null;
}

/** One pass of the delivery worker: claims due deliveries with a lease (safe with several instances). */
export async function runDeliveries(deps: Deps, owner = randomUUID()): Promise<number> {
  const { Delivery } = deps.models;
  const now = new Date();
  const due = (await Delivery.find({ state: 'PENDING', nextAttemptAt: { $lte: now } }).sort({ nextAttemptAt: 1 }).limit(50).lean().exec()) as DeliveryDoc[];
  let done = 0;
  await Promise.all(
    due.map(async (d) => {
      const claimed = await leaseDelivery(deps, d, now);
      if (!claimed) return;
      await processDelivery(deps, claimed);
      done++;
    }),
  );
  void owner;
  return done;
}

/**
 * Right after a bill flipped to ISSUED: posts it (WEBSITE) and announces it (SUBSCRIPTION) now,
 * through the same leased outbox records the worker reads, so the event goes out at issue time
 * and one lost to a crash here is sent by the worker after the restart.
 */
export async function deliverIssuedNow(deps: Deps, bill: BillDoc): Promise<void> {
  if (bill.status === 'DRAFT' || !bill.number) return;
  const now = new Date();
  const pending = (await deps.models.Delivery.find({ billId: bill._id }).lean().exec()) as DeliveryDoc[];
  for (const d of pending) {
    if (d.state !== 'PENDING' || (d.channel !== 'WEBSITE' && d.channel !== 'SUBSCRIPTION')) continue;
    const claimed = await leaseDelivery(deps, d, now);
    if (claimed) await attemptDelivery(deps, claimed, bill);
  }
}
