import { isDuplicateKey } from '@exchange/platform';
import { checkDecimal, normalizeIncentive, parseInstant } from '../../domain';
import type { SelectionDoc } from '../../store/models';
import { profilesOf } from '../../store/profiles';
import { badInput } from '../access';
import { ensureAdvanceBill } from '../bill-run/advance-credit';
import type { Deps } from '../deps';
import { reassociateWaitingUsage } from './usage';

const ID = /^[^$\u0000-\u001f]{1,200}$/;

function id(field: string, v: unknown): string {
  if (typeof v !== 'string' || !ID.test(v) || v.trim() !== v) throw badInput(field, `${field} must be a non-empty id of at most 200 characters`);
  return v;
}

/** Validates a SelectionRecordInput into the stored document (nothing is written on a bad field). */
export function selectionFromInput(input: Record<string, any>, now: Date): SelectionDoc {
  const f = (n: string) => `input.${n}`;
  const selectionId = id(f('selectionId'), input.selectionId);
  const start = parseInstant(input.interval?.start);
  if (!start) throw badInput(f('interval.start'), 'input.interval.start must be an ISO 8601 date-time with a time zone');
  const end = parseInstant(input.interval?.end);
  if (!end) throw badInput(f('interval.end'), 'input.interval.end must be an ISO 8601 date-time with a time zone');
  if (end.getTime() <= start.getTime()) throw badInput(f('interval.end'), 'input.interval.end must be after input.interval.start');
  const qReason = checkDecimal(input.quantity, { positive: true });
  if (qReason) throw badInput(f('quantity'), `input.quantity ${qReason}`);
  const serviceType = input.serviceType;
  if (serviceType !== 'VOICE' && serviceType !== 'DATA') throw badInput(f('serviceType'), 'input.serviceType must be VOICE or DATA');
  const unit = input.unit;
  const okUnit = serviceType === 'VOICE' ? unit === 'MINUTE' : unit === 'GB' || unit === 'MBPS';
  if (!okUnit) throw badInput(f('unit'), `input.unit ${unit} does not fit serviceType ${serviceType} (VOICE: MINUTE; DATA: GB or MBPS)`);
  if (!Array.isArray(input.routes) || input.routes.length === 0) throw badInput(f('routes'), 'input.routes must list at least one route');
  input.routes.forEach((r: any, i: number) => {
    if (typeof r?.origin !== 'string' || r.origin === '') throw badInput(f(`routes[${i}].origin`), `input.routes[${i}].origin is required`);
    if (typeof r?.destination !== 'string' || r.destination === '') throw badInput(f(`routes[${i}].destination`), `input.routes[${i}].destination is required`);
  });
  const selectedAt = parseInstant(input.selectedAt);
  if (!selectedAt) throw badInput(f('selectedAt'), 'input.selectedAt must be an ISO 8601 date-time with a time zone');
  const incentive = normalizeIncentive(input.incentive, 'input.incentive');
  let endUserIds: string[] | undefined;
  if (input.endUserIds !== undefined && input.endUserIds !== null) {
    if (!Array.isArray(input.endUserIds) || input.endUserIds.length > 10_000) throw badInput(f('endUserIds'), 'input.endUserIds must be a list of at most 10000 ids');
    endUserIds = input.endUserIds.map((e: unknown, i: number) => id(f(`endUserIds[${i}]`), e));
  }
  return {
    _id: selectionId,
    requestId: id(f('requestId'), input.requestId),
    buyerId: id(f('buyerId'), input.buyerId),
    buyerIsReseller: input.buyerIsReseller === true,
    ...(endUserIds ? { endUserIds } : {}),
    carrierId: id(f('carrierId'), input.carrierId),
    routes: input.routes.map((r: any) => ({ origin: r.origin, destination: r.destination, network: r.network ?? null })),
    serviceType,
    intervalStart: start,
    intervalEnd: end,
    quantity: input.quantity,
    unit,
    incentive: JSON.parse(JSON.stringify(incentive)),
    selectedAt,
    recordedAt: now,
    advanceBillId: null,
  };
}

/**
 * A party whose billing profile names a currency is billed and settled only in it: billing has no
 * exchange rates, so a selection priced in another currency would produce bills in a currency the
 * buyer (or carrier) does not accept. It is refused, naming the incentive's currency, before
 * anything is written.
 */
async function assertBillingCurrency(deps: Deps, doc: SelectionDoc): Promise<void> {
  const currency = doc.incentive.currency as string;
  const profiles = await profilesOf(deps.models.BillingProfile, [
    { id: doc.buyerId, role: 'BUYER' },
    { id: doc.carrierId, role: 'CARRIER' },
  ]);
  for (const [partyId, who] of [[doc.buyerId, 'buyer'], [doc.carrierId, 'carrier']] as const) {
    const wanted = profiles.get(partyId)!.currency;
    if (wanted && wanted !== currency) {
      throw badInput('input.incentive.currency', `input.incentive.currency is ${currency}, but ${who} ${partyId} is billed in ${wanted} (its billing profile); billing does not convert currencies`);
    }
  }
}

/**
 * recordSelection: stores the Moderator's selection once (unique _id = selectionId; a
 * re-delivery returns the stored record), issues the ADVANCE bill (its own unique key, so a
 * crash between the two steps is completed by the re-delivery) and associates waiting usage.
 */
export async function recordSelection(deps: Deps, input: Record<string, any>): Promise<SelectionDoc> {
  const { Selection } = deps.models;
  const doc = selectionFromInput(input, new Date());
  let stored = (await Selection.findById(doc._id).lean().exec()) as SelectionDoc | null;
  let fresh = false;
  if (!stored) await assertBillingCurrency(deps, doc);
  if (!stored) {
    try {
      await Selection.create(doc);
      stored = doc;
      fresh = true;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      stored = (await Selection.findById(doc._id).lean().exec()) as SelectionDoc;
    }
  }
  const advance = await ensureAdvanceBill(deps, stored);
  stored = { ...stored, advanceBillId: advance._id };
  // Usage that arrived before its selection record is associated and rated now (also on a
  // re-delivery, which completes a run a crash interrupted). A failure here does not fail the
  // selection record: the usage sweep (services/usage/usage-sweep.ts) retries until it is associated.
  await reassociateWaitingUsage(deps, stored).catch((err) => {
    deps.logger.error({ err, selectionId: stored!._id, fresh }, 're-association of waiting usage failed');
  });
  return stored;
}
