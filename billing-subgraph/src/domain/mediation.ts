import { Dec } from './money';
import { USAGE_SOURCES, type UsageSource } from './usage';

/**
 * Mediation: one billable record per call across reporters. The same call reported by the
 * measuring equipment, the Moderator, the buyer's LEC and the carrier arrives as up to four
 * records with slightly different answer times and durations; they are correlated by `sameCall`
 * (the one matching rule, also the reconciliation's), one is elected by source precedence and the
 * others are kept as corroborating evidence linked to the same call. A duration difference never
 * splits a call (that would charge it twice): the elected record's duration is billed and the
 * reconciliation shows the difference (`durationsDiffer`).
 */
export const DEFAULT_PRECEDENCE: readonly UsageSource[] = ['MEASURING_EQUIPMENT', 'MODERATOR', 'LOCAL_EXCHANGE_CARRIER', 'CARRIER'];

export interface MediationPolicy {
  /** Sources from most to least trusted; a source not listed ranks after every listed one. */
  precedence: readonly UsageSource[];
  /** Answer times of one call's records differ by at most this much (clocks, signalling delay). */
  answerToleranceSeconds: number;
  /**
   * Durations of one call within the larger of these agree (rounding, release signalling); beyond
   * it the call is still one call, billed once, and reconciliation reports a duration mismatch.
   */
  durationToleranceSeconds: number;
  durationTolerancePercent: number;
}

export const DEFAULT_MEDIATION_POLICY: MediationPolicy = {
  precedence: DEFAULT_PRECEDENCE,
  answerToleranceSeconds: 10,
  durationToleranceSeconds: 5,
  durationTolerancePercent: 2,
};

/** Validates a policy given by an operator; throws with the field at fault. */
export function checkMediationPolicy(p: Partial<MediationPolicy>): MediationPolicy {
  const precedence = p.precedence ?? DEFAULT_PRECEDENCE;
  if (!Array.isArray(precedence) || precedence.length === 0) throw new PolicyError('precedence', 'precedence must list at least one source');
  for (const s of precedence) if (!(USAGE_SOURCES as readonly string[]).includes(s)) throw new PolicyError('precedence', `precedence: ${String(s)} is not a usage source (${USAGE_SOURCES.join(', ')})`);
  if (new Set(precedence).size !== precedence.length) throw new PolicyError('precedence', 'precedence must not list a source twice');
  const num = (field: keyof MediationPolicy, v: unknown, def: number, max: number) => {
    const n = v === undefined || v === null ? def : v;
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0 || n > max) throw new PolicyError(field, `${field} must be a number from 0 to ${max}`);
    return n;
  };
  return {
    precedence,
    answerToleranceSeconds: num('answerToleranceSeconds', p.answerToleranceSeconds, DEFAULT_MEDIATION_POLICY.answerToleranceSeconds, 3600),
    durationToleranceSeconds: num('durationToleranceSeconds', p.durationToleranceSeconds, DEFAULT_MEDIATION_POLICY.durationToleranceSeconds, 3600),
    durationTolerancePercent: num('durationTolerancePercent', p.durationTolerancePercent, DEFAULT_MEDIATION_POLICY.durationTolerancePercent, 100),
  };
}

export class PolicyError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
  }
}

/** What mediation needs of a usage record. */
export interface CallRecord {
  id: string;
  source: string;
  buyerId: string;
  carrierId: string;
  destination: string;
  answerMs: number;
  /** Duration in seconds: not part of the matching rule (a call's records may disagree on it). */
  seconds?: number | string;
  /** Stored records: the call they belong to (absent: a call of its own) and whether they are its billable record. */
  callId?: string;
  elected?: boolean;
}

export const rankOf = (policy: MediationPolicy, source: string): number => {
  const i = policy.precedence.indexOf(source as UsageSource);
  return i < 0 ? policy.precedence.length : i;
};

/** What the matching rule reads of a record (a usage record, a reconciliation record). */
export type CallIdentity = Pick<CallRecord, 'source' | 'buyerId' | 'carrierId' | 'answerMs'> & { destination?: string | null };

/**
 * THE matching rule (mediation and reconciliation both use it): two records report the same call
 * when they come from different sources (each source reports a call once: two records of one
 * source are two calls) with the same buyer, carrier and called number, answered within the
 * policy's answer tolerance. Durations play no part: 160 s at the PBX and 180 s at the carrier
 * answered 3 s apart are one call with a duration difference, never two calls.
 */
export function sameCall(a: CallIdentity, b: CallIdentity, policy: Pick<MediationPolicy, 'answerToleranceSeconds'>): boolean {
  if (a.source === b.source) return false;
  if (!a.destination || a.destination !== b.destination) return false;
  if (a.buyerId !== b.buyerId || a.carrierId !== b.carrierId) return false;
  return Math.abs(a.answerMs - b.answerMs) <= policy.answerToleranceSeconds * 1000;
}

/**
 * Whether two records of one call disagree on its duration beyond the policy's tolerance (the
 * larger of the seconds and the percent of the longer duration). Compared exactly: durations are
 * decimal strings of up to 3 decimals.
 */
export function durationsDiffer(aSeconds: string | number, bSeconds: string | number, policy: Pick<MediationPolicy, 'durationToleranceSeconds' | 'durationTolerancePercent'>): boolean {
  const a = new Dec(aSeconds);
  const b = new Dec(bSeconds);
  const tolerance = Dec.max(new Dec(policy.durationToleranceSeconds), Dec.max(a, b).times(policy.durationTolerancePercent).div(100));
  return a.minus(b).abs().gt(tolerance);
}

export interface MediationOutcome {
  /** Per incoming record (same order): its call and whether it is the call's billable record. */
  incoming: { callId: string; elected: boolean; supersedes?: string }[];
  /** Stored records that were billable and no longer are: a higher-precedence record arrived. */
  demoted: { id: string; callId: string; by: string }[];
}

const better = (policy: MediationPolicy, a: CallRecord, b: CallRecord) => rankOf(policy, a.source) - rankOf(policy, b.source) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * Elects one billable record per call. Incoming records join the stored call they correlate
 * with best (`sameCall` with a member, closest answer time) when that call has no record of their
 * source yet (a source reports a call once; two of its records are two calls); otherwise they
 * start a call. Each call's
 * billable record is its highest-precedence member (ties: smallest id, so the outcome never depends
 * on arrival order within a batch).
 */
export function mediate(incoming: CallRecord[], stored: CallRecord[], policyOf: (buyerId: string, carrierId: string) => MediationPolicy): MediationOutcome {
  interface Call { callId: string; members: CallRecord[]; wasElected: CallRecord | null }
  const calls = new Map<string, Call>();
  const byKey = new Map<string, Call[]>();
  const keyOf = (r: CallRecord) => `${r.buyerId}\u0000${r.carrierId}\u0000${r.destination}`;
  const add = (call: Call, r: CallRecord) => {
    call.members.push(r);
    if (call.members.length === 1) {
      const k = keyOf(r);
      let list = byKey.get(k);
      if (!list) byKey.set(k, (list = []));
      list.push(call);
    }
  };
  for (const r of stored) {
    const callId = r.callId ?? r.id;
    let call = calls.get(callId);
    if (!call) calls.set(callId, (call = { callId, members: [], wasElected: null }));
    add(call, r);
    if (r.elected) call.wasElected = r;
  }
  const joined: Call[] = [];
  for (const r of incoming) {
    const policy = policyOf(r.buyerId, r.carrierId);
    let best: { call: Call; diff: number } | null = null;
    for (const call of byKey.get(keyOf(r)) ?? []) {
      if (call.members.some((m) => m.source === r.source)) continue;
      const match = call.members.filter((m) => sameCall(m, r, policy));
      if (match.length === 0) continue;
      const diff = Math.min(...match.map((m) => Math.abs(m.answerMs - r.answerMs)));
      if (!best || diff < best.diff || (diff === best.diff && call.callId < best.call.callId)) best = { call, diff };
    }
    let call = best?.call;
    if (!call) calls.set(r.id, (call = { callId: r.id, members: [], wasElected: null }));
    add(call, r);
    joined.push(call);
  }
  const electedOf = new Map<Call, CallRecord>();
  for (const call of new Set(joined)) {
    const policy = policyOf(call.members[0].buyerId, call.members[0].carrierId);
    electedOf.set(call, [...call.members].sort((a, b) => better(policy, a, b))[0]);
  }
  const demoted: MediationOutcome['demoted'] = [];
  for (const [call, elected] of electedOf) {
    if (call.wasElected && call.wasElected !== elected) demoted.push({ id: call.wasElected.id, callId: call.callId, by: elected.id });
  }
  return {
    incoming: incoming.map((r, i) => {
      const call = joined[i];
      const elected = electedOf.get(call)!;
      const out: MediationOutcome['incoming'][number] = { callId: call.callId, elected: elected === r };
      if (elected === r && call.wasElected && call.wasElected !== r) out.supersedes = call.wasElected.id;
      return out;
    }),
    demoted,
  };
}
