import { gql, gqlOk, startBilling, token } from '../../support/harness';

export type Billing = Awaited<ReturnType<typeof startBilling>>;

export const SELECTION_FIELDS = `id requestId buyerId carrierId quantity unit recordedAt
  incentive { currency ratePerUnit tierModel tiers { fromQuantity ratePerUnit } billingIncrement { initialSeconds subsequentSeconds } }
  advanceBill { id number kind status total { amount currency } subtotal { amount currency } lines { kind amount quantity unit tierIndex ratePerUnit } deliveries { recipientId recipientRole channel path state attempts } }`;

export const RECORD_SELECTION = `mutation($input: SelectionRecordInput!) { recordSelection(input: $input) { ${SELECTION_FIELDS} } }`;

export const INGEST = `mutation($records: [UsageRecordInput!]!) { ingestUsage(records: $records) { accepted duplicates rejected { index recordId field reason } } }`;

export const BILL_FIELDS = `id number kind groupBy sequence status recordCount issuedAt dueAt
  buyer { id } carrier { id } request { id }
  period { start end }
  lines { kind description requestId endUserId quantity unit ratePerUnit tierIndex amount }
  endUserSubtotals { endUserId label amount }
  subtotal { amount currency } total { amount currency } paid { amount currency } outstanding { amount currency }
  deliveries { recipientId recipientRole channel path state attempts lastError }
  documentUrls { html pdf csv expiresAt }`;

export const GENERATE = `mutation($period: IntervalInput!, $groupBy: BillGrouping) { generateBills(period: $period, groupBy: $groupBy) { issued bills { ${BILL_FIELDS} } } }`;

export interface SelectionOpts {
  selectionId: string;
  requestId?: string;
  buyerId?: string;
  carrierId?: string;
  buyerIsReseller?: boolean;
  serviceType?: 'VOICE' | 'DATA';
  unit?: 'MINUTE' | 'GB' | 'MBPS';
  quantity?: string;
  start?: string;
  end?: string;
  routes?: { origin: string; destination: string }[];
  incentive?: Record<string, unknown>;
}

export function selectionInput(o: SelectionOpts) {
  return {
    selectionId: o.selectionId,
    requestId: o.requestId ?? `req-${o.selectionId}`,
    buyerId: o.buyerId ?? 'buyer-1',
    buyerIsReseller: o.buyerIsReseller ?? false,
    carrierId: o.carrierId ?? 'carrier-1',
    routes: o.routes ?? [{ origin: 'US', destination: '44' }],
    serviceType: o.serviceType ?? 'VOICE',
    interval: { start: o.start ?? '2026-10-01T00:00:00Z', end: o.end ?? '2026-11-01T00:00:00Z' },
    quantity: o.quantity ?? '100',
    unit: o.unit ?? 'MINUTE',
    incentive: o.incentive ?? { currency: 'USD', ratePerUnit: '0.010000' },
    selectedAt: '2026-09-20T12:00:00Z',
  };
}

export async function moderatorToken() {
  return token('MODERATOR', 'moderator');
}
export async function agentToken() {
  return token('BILLING_AGENT', 'agent-1');
}

export async function recordSelection(b: Billing, o: SelectionOpts) {
  return (await gqlOk(b.url, RECORD_SELECTION, { input: selectionInput(o) }, await moderatorToken())).recordSelection;
}

let seq = 0;
export function voice(o: { recordId?: string; seconds: number | string; buyerId?: string; carrierId?: string; requestId?: string; start?: string; source?: string; endUserId?: string; destination?: string }) {
  const start = new Date(o.start ?? '2026-10-05T10:00:00Z');
  const secs = Number(o.seconds);
  const rec: Record<string, unknown> = {
    recordId: o.recordId ?? `r-${process.pid}-${++seq}`,
    source: o.source ?? 'MODERATOR',
    buyerId: o.buyerId ?? 'buyer-1',
    carrierId: o.carrierId ?? 'carrier-1',
    intervalStart: start.toISOString(),
    intervalEnd: new Date(start.getTime() + Math.max(secs, 1) * 1000).toISOString(),
    serviceType: 'VOICE',
    quantity: String(o.seconds),
  };
  if (o.requestId) rec.requestId = o.requestId;
  if (o.endUserId) rec.endUserId = o.endUserId;
  if (o.destination) rec.destination = o.destination;
  return rec;
}

export async function ingest(b: Billing, records: unknown[], bearer?: string) {
  const r = await gql(b.url, INGEST, { records }, bearer ?? (await agentToken()));
  return r;
}

export async function ingestOk(b: Billing, records: unknown[], bearer?: string) {
  return (await gqlOk(b.url, INGEST, { records }, bearer ?? (await agentToken()))).ingestUsage;
}

export async function billingRecords(b: Billing, requestId: string) {
  return (
    await gqlOk(
      b.url,
      `query($id: ID!) { billingRecords(requestId: $id, first: 1000) { nodes { id billableQuantity billableBaseQuantity cumulativeBefore tierIndexes ratesPerUnit amount { amount currency } segments { tierIndex quantity baseQuantity ratePerUnit amount } } } }`,
      { id: requestId },
      await agentToken(),
    )
  ).billingRecords.nodes as any[];
}

export const OCT = { start: '2026-10-01T00:00:00Z', end: '2026-11-01T00:00:00Z' };
