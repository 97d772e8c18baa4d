import { badInput } from './errors';
import { Dec } from './money';
import { parseInstant } from './time';

/**
 * Routing attempts and the traffic figures derived from them (ASR, ACD). The Moderator's route
 * server counts every routing answer per selection and 5-minute slot and pushes the absolute
 * totals; billing keeps the largest total ever received per slot, so re-sends and out-of-order
 * pushes never lower or double a count.
 */
export const ROUTE_ATTEMPT_SLOT_MS = 5 * 60_000;
export const MAX_ROUTE_ATTEMPT_SLOTS = 1000;

export interface RouteAttemptSlot {
  selectionId: string;
  slotStart: Date;
  attempts: number;
}

const ID = /^[^$\u0000-\u001f]{1,200}$/;

/**
 * Validates a recordRouteAttempts call as a whole (nothing is written when one slot is bad) and
 * merges repeats of one (selection, slot) in the call by their maximum.
 */
export function checkRouteAttemptSlots(raw: unknown): RouteAttemptSlot[] {
  if (!Array.isArray(raw)) throw badInput('slots', 'slots must be a list');
  if (raw.length > MAX_ROUTE_ATTEMPT_SLOTS) throw badInput('slots', `slots must list at most ${MAX_ROUTE_ATTEMPT_SLOTS} slots per call (got ${raw.length})`);
  const merged = new Map<string, RouteAttemptSlot>();
  raw.forEach((s: any, i: number) => {
    const f = (n: string) => `slots[${i}].${n}`;
    if (typeof s !== 'object' || s === null) throw badInput(`slots[${i}]`, `slots[${i}] must be an object`);
    const selectionId = s.selectionId;
    if (typeof selectionId !== 'string' || !ID.test(selectionId) || selectionId.trim() !== selectionId) throw badInput(f('selectionId'), `${f('selectionId')} must be a non-empty id of at most 200 characters`);
    const slotStart = parseInstant(s.slotStart);
    if (!slotStart) throw badInput(f('slotStart'), `${f('slotStart')} must be an ISO 8601 date-time with a time zone`);
    if (slotStart.getTime() % ROUTE_ATTEMPT_SLOT_MS !== 0) throw badInput(f('slotStart'), `${f('slotStart')} must be a 5-minute boundary (e.g. 10:05:00Z), got ${slotStart.toISOString()}`);
    const attempts = s.attempts;
    if (typeof attempts !== 'number' || !Number.isSafeInteger(attempts) || attempts < 0) throw badInput(f('attempts'), `${f('attempts')} must be a whole number of at least 0`);
    const key = `${selectionId}|${slotStart.getTime()}`;
    const prev = merged.get(key);
    if (!prev || prev.attempts < attempts) merged.set(key, { selectionId, slotStart, attempts });
  });
  return [...merged.values()];
}

export interface TrafficFigures {
  /** Routing attempts of the slots starting within the period. */
  attempts: number;
  /** Billed (answered) calls. */
  answered: number;
  /** answered / attempts, 4 decimals half-up; null without attempts. */
  asr: string | null;
  /** Average duration of the answered calls in seconds, 1 decimal half-up; null without answered calls. */
  acd: string | null;
}

/**
 * ASR and ACD of a pair over a period: `slots` are the pair's selections' attempt slots (others
 * in the list are ignored by the period test only, so pass the pair's), `answeredSeconds` the
 * exact durations (decimal strings) of the period's billed calls, one per call. A call billed
 * without a routing attempt (routed before the switch asked the exchange) still counts as
 * answered, so the ASR can exceed 1: it says the attempt counts are incomplete.
 */
export function trafficFigures(slots: readonly { slotStart: Date; attempts: number }[], period: { start: Date; end: Date }, answeredSeconds: readonly string[]): TrafficFigures {
  const from = period.start.getTime();
  const to = period.end.getTime();
  const attempts = slots.reduce((n, s) => (s.slotStart.getTime() >= from && s.slotStart.getTime() < to ? n + s.attempts : n), 0);
  const answered = answeredSeconds.length;
  const seconds = answeredSeconds.reduce((sum, q) => sum.plus(q), new Dec(0));
  return {
    attempts,
    answered,
    asr: attempts > 0 ? new Dec(answered).div(attempts).toFixed(4) : null,
    acd: answered > 0 ? seconds.div(answered).toFixed(1) : null,
  };
}
