import { isDuplicateKey, hasRole, SEES_EVERY_PARTY } from '@exchange/platform';
import type { Identity } from '@exchange/platform';
import { validatePrefix } from '../domain/prefix';
import { hasControlCharacters } from '../domain/text';
import { type BuyerDoc, type CarrierDoc, type ModeratorModels } from '../store/models';
import { badInput, conflict, forbidden, requireIdentity, requireRole } from './errors';
import { newId } from './ids';

const PARTY_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
const MAX_NAME = 200;
const MAX_END_USERS = 1000;
const MAX_COVERAGE = 10_000;

function validateName(field: string, v: unknown): string {
  const s = typeof v === 'string' ? v.trim() : '';
  if (s.length === 0 || s.length > MAX_NAME) throw badInput(field, `${field} must be 1-${MAX_NAME} characters`);
  if (hasControlCharacters(s)) throw badInput(field, `${field} must not contain control characters`);
  return s;
}

function validatePartyId(field: string, v: unknown, prefix: string): string {
  if (v === undefined || v === null) return newId(prefix);
  if (typeof v !== 'string' || !PARTY_ID.test(v)) {
    throw badInput(field, `${field} must be 1-63 letters, digits, '_' or '-', starting with a letter or digit`);
  }
  return v;
}

export interface RegisterBuyerInput {
  id?: string | null;
  name?: unknown;
  isReseller?: unknown;
  endUsers?: { id?: unknown; name?: unknown }[] | null;
}

export interface RegisterCarrierInput {
  id?: string | null;
  name?: unknown;
  coverage?: unknown;
}

export class PartyService {
  constructor(private readonly models: ModeratorModels, private readonly clock: () => Date = () => new Date()) {}

  /** Was this carrier selected for one of the buyer's requests (so it sees the buyer as its counterparty)? */
  async isCounterparty(buyerId: string, carrierId: string): Promise<boolean> {
    return !!(await this.models.Selection.exists({ buyerId, carrierId }).exec());
  }

  async registerBuyer(identity: Identity | null, input: RegisterBuyerInput): Promise<BuyerDoc> {
    requireRole(identity, ['ADMIN']);
    const doc = this.validateBuyer(input);
    try {
      await this.models.Buyer.create(doc);
    } catch (err) {
      if (isDuplicateKey(err)) throw conflict(`A buyer with id ${doc._id} already exists`, 'input.id');
      throw err;
    }
    return doc;
  }

  validateBuyer(input: RegisterBuyerInput): BuyerDoc {
    const _id = validatePartyId('input.id', input.id, 'buyer');
    const name = validateName('input.name', input.name);
    const isReseller = input.isReseller === undefined || input.isReseller === null ? false : input.isReseller;
    if (typeof isReseller !== 'boolean') throw badInput('input.isReseller', 'input.isReseller must be a boolean');
    const raw = input.endUsers ?? [];
    if (!Array.isArray(raw)) throw badInput('input.endUsers', 'input.endUsers must be a list');
    if (raw.length > 0 && !isReseller) throw badInput('input.endUsers', 'input.endUsers is only for resellers (isReseller: true)');
    if (raw.length > MAX_END_USERS) throw badInput('input.endUsers', `input.endUsers may list at most ${MAX_END_USERS}`);
    const seen = new Set<string>();
    const endUsers = raw.map((e, i) => {
      const f = `input.endUsers[${i}]`;
      const id = typeof e?.id === 'string' && PARTY_ID.test(e.id) ? e.id : null;
      if (!id) throw badInput(`${f}.id`, `${f}.id must be 1-63 letters, digits, '_' or '-'`);
      if (seen.has(id)) throw badInput(`${f}.id`, `${f}.id duplicates an earlier end user`);
      seen.add(id);
      return { id, name: validateName(`${f}.name`, e.name) };
    });
    return { _id, name, isReseller, endUsers, createdAt: this.clock() };
  }

  async registerCarrier(identity: Identity | null, input: RegisterCarrierInput): Promise<CarrierDoc> {
    requireRole(identity, ['ADMIN']);
    const doc = this.validateCarrier(input);
    try {
      await this.models.Carrier.create(doc);
    } catch (err) {
      if (isDuplicateKey(err)) throw conflict(`A carrier with id ${doc._id} already exists`, 'input.id');
      throw err;
    }
    return doc;
  }

  validateCarrier(input: RegisterCarrierInput): CarrierDoc {
    const _id = validatePartyId('input.id', input.id, 'carrier');
    const name = validateName('input.name', input.name);
    const raw = input.coverage;
    if (!Array.isArray(raw) || raw.length === 0) throw badInput('input.coverage', 'input.coverage must list at least one destination prefix');
    if (raw.length > MAX_COVERAGE) throw badInput('input.coverage', `input.coverage may list at most ${MAX_COVERAGE} prefixes`);
    const coverage: string[] = [];
    raw.forEach((p, i) => {
      let v: string;
      try {
        v = validatePrefix(`input.coverage[${i}]`, p);
      } catch (err) {
        throw badInput(`input.coverage[${i}]`, (err as Error).message);
      }
      if (!coverage.includes(v)) coverage.push(v);
    });
    coverage.sort();
    return { _id, name, coverage, createdAt: this.clock() };
  }

  /** A buyer sees itself; operators see all. */
  async listBuyers(identity: Identity | null): Promise<BuyerDoc[]> {
    const me = requireIdentity(identity);
    if (hasRole(me, SEES_EVERY_PARTY)) return this.models.Buyer.find().sort({ createdAt: 1 }).limit(1000).lean().exec();
    if (me.role === 'BUYER') return this.models.Buyer.find({ _id: me.sub }).lean().exec();
    throw forbidden('Only buyers and operators may list buyers');
  }

  /** A carrier sees itself; operators see all. */
  async listCarriers(identity: Identity | null): Promise<CarrierDoc[]> {
    const me = requireIdentity(identity);
    if (hasRole(me, SEES_EVERY_PARTY)) return this.models.Carrier.find().sort({ createdAt: 1 }).limit(1000).lean().exec();
    if (me.role === 'CARRIER') return this.models.Carrier.find({ _id: me.sub }).lean().exec();
    throw forbidden('Only carriers and operators may list carriers');
  }
}

export const DEMO_BUYERS: Omit<BuyerDoc, 'createdAt'>[] = [
  { _id: 'buyer-acme', name: 'Acme Telecom', isReseller: false, endUsers: [] },
  {
    _id: 'buyer-globex',
    name: 'Globex Reseller',
    isReseller: true,
    endUsers: [
      { id: 'enduser-globex-hotel', name: 'Globex Hotels' },
      { id: 'enduser-globex-clinic', name: 'Globex Clinics' },
    ],
  },
  { _id: 'buyer-initech', name: 'Initech', isReseller: false, endUsers: [] },
];

/** Overlapping coverage, so a request for 4420… reaches several carriers and 33… others. */
export const DEMO_CARRIERS: Omit<CarrierDoc, 'createdAt'>[] = [
  { _id: 'carrier-atlas', name: 'Atlas Networks', coverage: ['1', '44'] },
  { _id: 'carrier-borealis', name: 'Borealis Telecom', coverage: ['33', '4420'] },
  { _id: 'carrier-cygnus', name: 'Cygnus Carrier Services', coverage: ['33', '44', '49'] },
  { _id: 'carrier-delta', name: 'Delta Wholesale', coverage: ['4420', '49'] },
];

/** Seeds the demo parties when the database has none; returns whether it did. */
export async function seedDemoParties(models: ModeratorModels, now = new Date()): Promise<boolean> {
  const [buyers, carriers] = await Promise.all([
    models.Buyer.countDocuments().exec(),
    models.Carrier.countDocuments().exec(),
  ]);
  if (buyers > 0 || carriers > 0) return false;
  try {
    await models.Buyer.insertMany(DEMO_BUYERS.map((b) => ({ ...b, createdAt: now })), { ordered: false });
    await models.Carrier.insertMany(DEMO_CARRIERS.map((c) => ({ ...c, createdAt: now })), { ordered: false });
  } catch (err) {
    // Another instance seeded at the same moment: the fixed ids make this harmless.
    if (!isDuplicateKey(err)) throw err;
  }
  return true;
}
