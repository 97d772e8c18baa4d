import type { Identity } from '@exchange/platform';
import { applyProfileChange, assertLockedUnchanged, defaultProfile, hasControlCharacters, periodContainingAt, type BillingProfile, type ProfileChange } from '../../domain';
import { hasRecordsFrom, profileOf, saveProfile, storedProfile, toProfile } from '../../store/profiles';
import { badInput, conflict, forbidden } from '../access';
import type { Deps } from '../deps';

export type PartyRole = 'BUYER' | 'CARRIER';

/** A profile as the API shows it: the stored one, or the default for a party without one. */
export interface ProfileView extends BillingProfile {
  isDefault: boolean;
  updatedBy: string | null;
  updatedAt: Date | null;
}

function partyIdOf(v: unknown): string {
  if (typeof v !== 'string' || v.trim() === '' || v.length > 128 || hasControlCharacters(v)) throw badInput('partyId', 'partyId must be a party id (1-128 characters)');
  return v;
}

function roleOf(v: unknown, field = 'role'): PartyRole {
  if (v !== 'BUYER' && v !== 'CARRIER') throw badInput(field, `${field} must be BUYER or CARRIER`);
  return v;
}

/** Whether the party has been billed or has usage that will be (its periods are then fixed). */
async function hasBillingHistory(deps: Deps, partyId: string, role: PartyRole): Promise<boolean> {
  const party = role === 'BUYER' ? { buyerId: partyId } : { carrierId: partyId };
  const [usage, bill] = await Promise.all([
    deps.models.Usage.findOne(party).select({ _id: 1 }).lean().exec(),
    deps.models.Bill.findOne(party).select({ _id: 1 }).lean().exec(),
  ]);
  return !!usage || !!bill;
}

/**
 * A new zone or cycle day for a party that already has usage or bills: it takes over from the
 * start of the party's next period under its current rules (recorded in previousRules with that
 * date), so records of earlier periods keep the periods they were rated and billed in. CONFLICT
 * when a change is already scheduled, or when records from that date on were already rated
 * (future-dated usage) under the current rules.
 */
async function scheduleRuleChange(deps: Deps, current: BillingProfile, next: BillingProfile, role: PartyRole, now: Date): Promise<BillingProfile> {
  const spans = current.previousRules ?? [];
  const pending = spans.length ? spans[spans.length - 1].until : null;
  if (pending && pending.getTime() > now.getTime()) {
    throw conflict(`a change of zone or cycle day is already scheduled from ${pending.toISOString()}; it cannot change again before then`, 'profile.timeZone');
  }
  const from = periodContainingAt(current, now).end;
  const party = role === 'BUYER' ? { buyerId: current.partyId } : { carrierId: current.partyId };
  if (await hasRecordsFrom(deps.models, party, from)) throw conflict(`records from ${from.toISOString()} on were already rated under ${current.timeZone}; the zone cannot change from that period`, 'profile.timeZone');
  return { ...next, previousRules: [...spans, { timeZone: current.timeZone, cycleDay: current.cycleDay, until: from }] };
}

/**
 * setBillingProfile (BILLING_AGENT, ADMIN): creates or changes a party's profile. Once the party
 * has usage or bills, the currency is fixed (CONFLICT) and a new zone or cycle day applies from
 * its next period start (scheduleRuleChange); everything else applies to the bills issued
 * afterwards.
 */
export async function setBillingProfile(deps: Deps, who: Identity, args: { partyId?: unknown; role?: unknown; profile?: ProfileChange | null }): Promise<ProfileView> {
  const partyId = partyIdOf(args.partyId);
  const role = roleOf(args.role);
  const stored = await storedProfile(deps.models.BillingProfile, partyId);
  if (stored && stored.role !== role) throw conflict(`${partyId} has a ${stored.role} profile; a party's role does not change`, 'role');
  const current = stored ? toProfile(stored) : defaultProfile(partyId, role);
  let next = applyProfileChange(current, args.profile);
  const billed = await hasBillingHistory(deps, partyId, role);
  // Zone and cycle day of a billed party move from a period boundary on; the currency never does.
  assertLockedUnchanged(current, { ...next, timeZone: current.timeZone, cycleDay: current.cycleDay }, billed);
  if (billed && (next.timeZone !== current.timeZone || next.cycleDay !== current.cycleDay)) next = await scheduleRuleChange(deps, current, next, role, new Date());
  const doc = await saveProfile(deps.models.BillingProfile, next, `${who.role}:${who.sub}`);
  return { ...next, isDefault: false, updatedBy: doc.updatedBy, updatedAt: doc.updatedAt };
}

/** Who may read a party's profile: the party itself, BILLING_AGENT, ADMIN. */
function mayRead(who: Identity, partyId: string): boolean {
  if (who.role === 'ADMIN' || who.role === 'BILLING_AGENT') return true;
  return (who.role === 'BUYER' || who.role === 'CARRIER') && who.sub === partyId;
}

/**
 * billingProfile: the party's stored profile, or the default one (UTC months, net 30) for a party
 * without one. A default profile's role is the one asked for, else the caller's when it is the
 * party, else BUYER.
 */
export async function readBillingProfile(deps: Deps, who: Identity, args: { partyId?: unknown; role?: unknown }): Promise<ProfileView> {
  const partyId = partyIdOf(args.partyId);
  if (!mayRead(who, partyId)) throw forbidden("a billing profile is read by the party itself, BILLING_AGENT or ADMIN");
  const stored = await storedProfile(deps.models.BillingProfile, partyId);
  if (stored) return { ...toProfile(stored), isDefault: false, updatedBy: stored.updatedBy ?? null, updatedAt: stored.updatedAt ?? null };
  const role = args.role !== undefined && args.role !== null ? roleOf(args.role) : who.sub === partyId && who.role === 'CARRIER' ? 'CARRIER' : 'BUYER';
  return { ...defaultProfile(partyId, role), isDefault: true, updatedBy: null, updatedAt: null };
}

/** The zone a party's documents are dated in (its profile's, UTC without one). */
export async function zoneOf(deps: Pick<Deps, 'models'>, partyId: string, role: PartyRole): Promise<string> {
  return (await profileOf(deps.models.BillingProfile, partyId, role)).timeZone;
}
