import { AppError, badInput } from './errors';
import { SERVICE_TYPES, type ServiceType } from './incentive';
import { VOICE_SECONDS } from './increments';
import { checkDecimal, Dec } from './money';
import { parseInstant } from './time';
import { hasControlCharacters } from './text';

export const USAGE_SOURCES = ['MEASURING_EQUIPMENT', 'LOCAL_EXCHANGE_CARRIER', 'CARRIER', 'MODERATOR'] as const;
export type UsageSource = (typeof USAGE_SOURCES)[number];

export const MAX_ID_LENGTH = 200;
/** A month of seconds: longer voice records are a unit mix-up (ms or bytes), not a call. */
export const MAX_VOICE_SECONDS = 86_400 * 31;
export const MAX_VOLUME_SAMPLES = 10_000;
/**
 * Default highest data rate a record may imply (bytes × 8 over its interval, a bandwidth, a
 * volume sample): 400,000 Mbps, a 400-gigabit interface, the fastest single port in service.
 * Anything above it cannot be true of one customer's traffic.
 */
export const DEFAULT_MAX_DATA_RATE_MBPS = 400_000;

export interface UsageLimits {
  /** Highest data rate (Mbps) a DATA record may imply; DEFAULT_MAX_DATA_RATE_MBPS when absent. */
  maxDataRateMbps?: number;
}

/** Clock skew allowance for measuring equipment; beyond it the record is from the future. */
export const MAX_FUTURE_MS = 86_400_000;

export interface QualityOfService {
  asrPercent?: number;
  acdSeconds?: number;
  pddMs?: number;
  latencyMs?: number;
  jitterMs?: number;
  lossPercent?: number;
}

export interface VolumeSample {
  at: Date;
  mbps: string;
}

/** A validated, normalized usage record (claims 19b, 24, 26: ids, interval, amount, QoS, bandwidth, volume). */
export interface UsageRecord {
  recordId: string;
  source: UsageSource;
  equipmentId?: string;
  buyerId: string;
  carrierId: string;
  requestId?: string;
  endUserId?: string;
  intervalStart: Date;
  intervalEnd: Date;
  serviceType: ServiceType;
  /**
   * Seconds (VOICE: exact, up to 3 decimals, e.g. "65.432"; rounded only by the tariff's
   * increments when rated) or bytes (DATA: integer); canonical, without leading or trailing zeros.
   */
  quantity: string;
  /** E.164 digits without '+'. */
  destination?: string;
  qos?: QualityOfService;
  minBandwidthMbps?: string;
  maxBandwidthMbps?: string;
  volumeSamples?: VolumeSample[];
}

export type UsageValidation =
  | { ok: true; record: UsageRecord }
  | { ok: false; index: number; field: string; reason: string };

const KNOWN_FIELDS = new Set([
  'recordId', 'source', 'equipmentId', 'buyerId', 'carrierId', 'requestId', 'endUserId', 'intervalStart',
  'intervalEnd', 'serviceType', 'quantity', 'destination', 'qos', 'minBandwidthMbps', 'maxBandwidthMbps', 'volumeSamples',
]);

const QOS_LIMITS: Record<keyof QualityOfService, { max?: number }> = {
  asrPercent: { max: 100 },
  acdSeconds: {},
  pddMs: {},
  latencyMs: {},
  jitterMs: {},
  lossPercent: { max: 100 },
};

const E164 = /^\+?([1-9]\d{0,14})$/;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

const absent = (v: unknown) => v === undefined || v === null;

/**
 * Ids are compared and stored verbatim, so only real strings are accepted: an object such as
 * {"$gt": ""} reaching a query filter would match every document (operator injection), and a
 * leading '$' is reserved by the database's query language.
 */
function id(field: string, v: unknown, required: boolean): string | undefined {
  if (absent(v)) {
    if (required) throw badInput(field, `${field} is required`);
    return undefined;
  }
  if (typeof v !== 'string') throw badInput(field, `${field} must be a string (got ${Array.isArray(v) ? 'array' : typeof v})`);
  if (v.length < 1 || v.length > MAX_ID_LENGTH) throw badInput(field, `${field} must be 1 to ${MAX_ID_LENGTH} characters`);
  if (v.startsWith('$')) throw badInput(field, `${field} must not start with '$'`);
  if (hasControlCharacters(v)) throw badInput(field, `${field} must not contain control characters`);
  if (v.trim() !== v) throw badInput(field, `${field} must not have leading or trailing spaces`);
  return v;
}

function instant(field: string, v: unknown): Date {
  if (absent(v)) throw badInput(field, `${field} is required`);
  const d = parseInstant(v);
  if (!d) throw badInput(field, `${field} must be an ISO 8601 date-time with a time zone, e.g. "2026-11-03T10:00:00Z"`);
  return d;
}

function decimal(field: string, v: unknown): string {
  const reason = checkDecimal(v);
  if (reason) throw badInput(field, `${field} ${reason}`);
  return new Dec(v as string).toFixed();
}

function validate(raw: unknown, now: Date, limits: UsageLimits): UsageRecord {
  if (!isPlainObject(raw)) throw badInput('record', 'record must be an object');
  // Unknown keys are refused rather than dropped: a '$where' or a misspelt 'quantitiy' is a
  // client bug the sender should hear about, not something to bill around.
  for (const key of Object.keys(raw)) {
    if (!KNOWN_FIELDS.has(key)) throw badInput(key, `${key} is not a usage record field`);
  }

  const recordId = id('recordId', raw.recordId, true)!;
  if (absent(raw.source)) throw badInput('source', 'source is required');
  if (typeof raw.source !== 'string' || !(USAGE_SOURCES as readonly string[]).includes(raw.source)) {
    throw badInput('source', `source must be one of ${USAGE_SOURCES.join(', ')}`);
  }
  const source = raw.source as UsageSource;
  const equipmentId = id('equipmentId', raw.equipmentId, false);
  const buyerId = id('buyerId', raw.buyerId, true)!;
  const carrierId = id('carrierId', raw.carrierId, true)!;
  const requestId = id('requestId', raw.requestId, false);
  const endUserId = id('endUserId', raw.endUserId, false);

  const intervalStart = instant('intervalStart', raw.intervalStart);
  const intervalEnd = instant('intervalEnd', raw.intervalEnd);
  if (!(intervalStart.getTime() < intervalEnd.getTime())) {
    throw badInput('intervalEnd', 'intervalEnd must be after intervalStart');
  }
  if (intervalEnd.getTime() > now.getTime() + MAX_FUTURE_MS) {
    throw badInput('intervalEnd', 'intervalEnd must not be more than 1 day in the future');
  }

  if (absent(raw.serviceType)) throw badInput('serviceType', 'serviceType is required');
  if (!(SERVICE_TYPES as readonly unknown[]).includes(raw.serviceType)) {
    throw badInput('serviceType', 'serviceType must be VOICE or DATA');
  }
  const serviceType = raw.serviceType as ServiceType;

  if (absent(raw.quantity)) throw badInput('quantity', 'quantity is required');
  if (serviceType === 'VOICE') {
    if (typeof raw.quantity !== 'string' || !VOICE_SECONDS.test(raw.quantity)) {
      throw badInput('quantity', 'quantity must be a non-negative decimal string of seconds with at most 3 decimals, e.g. "65.432" (at most 18 integer digits)');
    }
  } else if (typeof raw.quantity !== 'string' || !/^\d{1,18}$/.test(raw.quantity)) {
    throw badInput('quantity', 'quantity must be a non-negative integer string of bytes (at most 18 digits)');
  }
  const quantity = new Dec(raw.quantity).toFixed();
  if (serviceType === 'VOICE' && new Dec(quantity).gt(MAX_VOICE_SECONDS)) {
    throw badInput('quantity', `quantity of a VOICE record must be at most ${MAX_VOICE_SECONDS} seconds (31 days)`);
  }

  // Usage that cannot be true is refused: a call lasts no longer than its interval, and data
  // moves no faster than the fastest link.
  const intervalMs = intervalEnd.getTime() - intervalStart.getTime();
  const intervalSeconds = intervalMs / 1000;
  const maxRate = limits.maxDataRateMbps ?? DEFAULT_MAX_DATA_RATE_MBPS;
  // Compared exactly (decimal seconds against the interval's whole milliseconds). A switch may
  // write start and end in whole seconds and the duration in milliseconds (65.432 s between
  // :00 and :65), so a duration is accepted up to, not including, 1 s beyond its interval.
  if (serviceType === 'VOICE' && new Dec(quantity).minus(new Dec(intervalMs).div(1000)).gte(1)) {
    throw badInput('quantity', `quantity of a VOICE record (${quantity} s) must not exceed its interval (${new Dec(intervalMs).div(1000).toFixed()} s) by 1 s or more`);
  }
  if (serviceType === 'DATA' && new Dec(quantity).times(8).div(intervalSeconds).div(1_000_000).gt(maxRate)) {
    throw badInput('quantity', `quantity of a DATA record (${quantity} bytes in ${intervalSeconds} s) implies more than the maximum rate of ${maxRate} Mbps`);
  }

  const record: UsageRecord = { recordId, source, buyerId, carrierId, intervalStart, intervalEnd, serviceType, quantity };
  if (equipmentId !== undefined) record.equipmentId = equipmentId;
  if (requestId !== undefined) record.requestId = requestId;
  if (endUserId !== undefined) record.endUserId = endUserId;

  if (!absent(raw.destination)) {
    const m = typeof raw.destination === 'string' ? E164.exec(raw.destination) : null;
    if (!m) throw badInput('destination', 'destination must be an E.164 number: optional "+", then 1 to 15 digits not starting with 0');
    record.destination = m[1];
  }

  if (!absent(raw.qos)) {
    if (!isPlainObject(raw.qos)) throw badInput('qos', 'qos must be an object');
    const qos: QualityOfService = {};
    for (const [key, value] of Object.entries(raw.qos)) {
      const field = `qos.${key}`;
      if (!Object.prototype.hasOwnProperty.call(QOS_LIMITS, key)) throw badInput(field, `${field} is not a quality-of-service field`);
      if (absent(value)) continue;
      if (typeof value !== 'number' || !Number.isFinite(value)) throw badInput(field, `${field} must be a finite number`);
      const { max } = QOS_LIMITS[key as keyof QualityOfService];
      if (value < 0 || (max !== undefined && value > max)) {
        throw badInput(field, `${field} must be between 0 and ${max ?? 'any positive number'}`);
      }
      qos[key as keyof QualityOfService] = value;
    }
    record.qos = qos;
  }

  if (!absent(raw.minBandwidthMbps)) record.minBandwidthMbps = decimal('minBandwidthMbps', raw.minBandwidthMbps);
  if (!absent(raw.maxBandwidthMbps)) record.maxBandwidthMbps = decimal('maxBandwidthMbps', raw.maxBandwidthMbps);
  for (const f of ['minBandwidthMbps', 'maxBandwidthMbps'] as const) {
    if (record[f] !== undefined && new Dec(record[f]!).gt(maxRate)) throw badInput(f, `${f} must be at most ${maxRate} Mbps`);
  }
  if (record.minBandwidthMbps !== undefined && record.maxBandwidthMbps !== undefined && new Dec(record.minBandwidthMbps).gt(record.maxBandwidthMbps)) {
    throw badInput('minBandwidthMbps', 'minBandwidthMbps must not exceed maxBandwidthMbps');
  }

  if (!absent(raw.volumeSamples)) {
    if (serviceType !== 'DATA') throw badInput('volumeSamples', 'volumeSamples only apply to DATA records');
    if (!Array.isArray(raw.volumeSamples)) throw badInput('volumeSamples', 'volumeSamples must be a list');
    if (raw.volumeSamples.length > MAX_VOLUME_SAMPLES) {
      throw badInput('volumeSamples', `volumeSamples must have at most ${MAX_VOLUME_SAMPLES} samples`);
    }
    record.volumeSamples = raw.volumeSamples.map((s: unknown, i: number) => {
      const f = `volumeSamples[${i}]`;
      if (!isPlainObject(s)) throw badInput(f, `${f} must be an object with "at" and "mbps"`);
      for (const key of Object.keys(s)) if (key !== 'at' && key !== 'mbps') throw badInput(`${f}.${key}`, `${f}.${key} is not a sample field`);
      const at = instant(`${f}.at`, s.at);
      if (at.getTime() < intervalStart.getTime() || at.getTime() > intervalEnd.getTime()) {
        throw badInput(`${f}.at`, `${f}.at must lie within the record's interval`);
      }
      if (absent(s.mbps)) throw badInput(`${f}.mbps`, `${f}.mbps is required`);
      const mbps = decimal(`${f}.mbps`, s.mbps);
      if (new Dec(mbps).gt(maxRate)) throw badInput(`${f}.mbps`, `${f}.mbps must be at most ${maxRate} Mbps`);
      return { at, mbps };
    });
  }
  return record;
}

/**
 * Validates one incoming usage record (from measuring equipment, the buyer's LEC, the carrier
 * or the moderator). Never throws for bad input: a batch reports each rejected record with the
 * field and a reason a person can act on, and keeps the good ones.
 * `now` is injectable so the "not in the future" rule is testable.
 */
export function validateUsageRecord(raw: unknown, index: number, now: Date = new Date(), limits: UsageLimits = {}): UsageValidation {
  try {
    return { ok: true, record: validate(raw, now, limits) };
  } catch (err) {
    if (err instanceof AppError) return { ok: false, index, field: err.field ?? 'record', reason: err.message };
    throw err;
  }
}
