import type { Identity } from '@exchange/platform';
import { applyProfileChange, assertLockedUnchanged, defaultProfile, hasControlCharacters, type BillingProfile, type ProfileChange } from '../domain';
import { profileOf, saveProfile, storedProfile, toProfile } from '../store/profiles';
import { badInput, conflict, forbidden } from './access';
import type { Deps } from './deps';

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
 * setBillingProfile (BILLING_AGENT, ADMIN): creates or changes a party's profile. The zone, cycle
 * day and currency are fixed once the party has usage or bills (CONFLICT); everything else
 * applies to the bills issued afterwards.
 */
export async function setBillingProfile(deps: Deps, who: Identity, args: { partyId?: unknown; role?: unknown; profile?: ProfileChange | null }): Promise<ProfileView> {
  const partyId = partyIdOf(args.partyId);
  const role = roleOf(args.role);
  const stored = await storedProfile(deps.models.BillingProfile, partyId);
  if (stored && stored.role !== role) throw conflict(`${partyId} has a ${stored.role} profile; a party's role does not change`, 'role');
  const current = stored ? toProfile(stored) : defaultProfile(partyId, role);
  const next = applyProfileChange(current, args.profile);
  assertLockedUnchanged(current, next, await hasBillingHistory(deps, partyId, role));
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
