import { badInput } from './errors';

/** What the buyer demands; every field is optional and only stated fields are enforced. */
export interface QosRequirements {
  minAsrPercent?: number;
  maxPddMs?: number;
  maxLatencyMs?: number;
  maxJitterMs?: number;
  maxLossPercent?: number;
}

/** What a carrier promises in its bid. */
export interface OfferedQos {
  asrPercent?: number;
  pddMs?: number;
  latencyMs?: number;
  jitterMs?: number;
  lossPercent?: number;
}

export interface QosCheck {
  ok: boolean;
  reasons: string[];
}

const PERCENT_FIELDS = new Set(['minAsrPercent', 'maxLossPercent', 'asrPercent', 'lossPercent']);

function readMetrics<K extends string>(
  input: unknown,
  field: string,
  keys: readonly K[],
): Partial<Record<K, number>> | undefined {
  if (input === undefined || input === null) return undefined;
  if (typeof input !== 'object' || Array.isArray(input)) throw badInput(field, `${field} must be an object`);
  const src = input as Record<string, unknown>;
  const out: Partial<Record<K, number>> = {};
  for (const k of keys) {
    const v = src[k];
    if (v === undefined || v === null) continue;
    const f = `${field}.${k}`;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw badInput(f, `${f} must be a non-negative number`);
    if (PERCENT_FIELDS.has(k) && v > 100) throw badInput(f, `${f} must be between 0 and 100`);
    out[k] = v;
  }
  return out;
}

const REQUIREMENT_KEYS = ['minAsrPercent', 'maxPddMs', 'maxLatencyMs', 'maxJitterMs', 'maxLossPercent'] as const;
const OFFERED_KEYS = ['asrPercent', 'pddMs', 'latencyMs', 'jitterMs', 'lossPercent'] as const;

export function validateQosRequirements(input: unknown, field = 'input.qosRequirements'): QosRequirements | undefined {
  return readMetrics(input, field, REQUIREMENT_KEYS);
}

export function validateOfferedQos(input: unknown, field = 'input.offeredQos'): OfferedQos | undefined {
  return readMetrics(input, field, OFFERED_KEYS);
}

interface Rule {
  required: keyof QosRequirements;
  offered: keyof OfferedQos;
  /** 'min': offered must be >= required; 'max': offered must be <= required. */
  kind: 'min' | 'max';
}

const RULES: readonly Rule[] = [
  { required: 'minAsrPercent', offered: 'asrPercent', kind: 'min' },
  { required: 'maxPddMs', offered: 'pddMs', kind: 'max' },
  { required: 'maxLatencyMs', offered: 'latencyMs', kind: 'max' },
  { required: 'maxJitterMs', offered: 'jitterMs', kind: 'max' },
  { required: 'maxLossPercent', offered: 'lossPercent', kind: 'max' },
];

/**
 * A bid that is silent about a metric the buyer requires is treated as failing it: the buyer asked
 * for a guarantee, and an unstated value is no guarantee.
 */
export function meetsQosRequirements(requirements: QosRequirements | undefined, offered: OfferedQos | undefined): QosCheck {
  const reasons: string[] = [];
  if (!requirements) return { ok: true, reasons };
  for (const r of RULES) {
    const need = requirements[r.required];
    if (need === undefined) continue;
    const got = offered?.[r.offered];
    if (got === undefined) {
      reasons.push(`${r.offered} not stated (required ${r.kind === 'min' ? '>=' : '<='} ${need})`);
    } else if (r.kind === 'min' ? got < need : got > need) {
      reasons.push(`${r.offered} ${got} ${r.kind === 'min' ? '<' : '>'} required ${need}`);
    }
  }
  return { ok: reasons.length === 0, reasons };
}
