import type { Identity, Logger, PubSub } from '@exchange/platform';
import { generateSwitchKey, hashSwitchKey, validateKeyName, type SwitchKey } from '../../domain/switch-key';
import type { ModeratorModels, SwitchKeyDoc } from '../../store/models';
import { badInput, forbidden, notFound, requireRole } from '../errors';
import { newId } from '../ids';
import { TOPIC_SWITCH_KEYS_CHANGED } from '../events/topics';

/** What the route server needs of a verified key. */
export interface KeyOwner {
  readonly keyId: string;
  readonly buyerId: string;
}

interface KeyEvent {
  hash: string;
  id: string;
  buyerId: string;
  revoked: boolean;
}

const toKey = (d: SwitchKeyDoc): SwitchKey => ({ id: d._id, buyerId: d.buyerId, name: d.name, createdAt: d.createdAt, revokedAt: d.revokedAt ?? null });

/** Unknown keys are remembered this long, so a switch (or anyone) repeating a bad key does not reach the database each time. */
const NEGATIVE_TTL_MS = 10_000;
const NEGATIVE_MAX = 10_000;

/**
 * Route-server credentials, one per buyer switch. Every active key's hash is held in memory (loaded
 * at start, kept current by `switchkeys.changed` events, reloaded when pub/sub lost events), so a
 * lookup is one hash and one Map read; a hash not in memory is looked up once in the database
 * (a key created on another instance a moment ago) and remembered either way.
 */
export class SwitchKeyService {
  private active = new Map<string, KeyOwner>();
  private unknown = new Map<string, number>();
  /** Hashes revoked while this instance runs: a database read that started before the revocation must not bring one back. */
  private revoked = new Set<string>();
  private iterator: AsyncIterableIterator<KeyEvent> | null = null;
  private offInterruption: (() => void) | null = null;

  constructor(private readonly models: ModeratorModels, private readonly pubsub: PubSub, private readonly logger: Logger) {}

  async start(): Promise<void> {
    this.iterator = this.pubsub.subscribe<KeyEvent>(TOPIC_SWITCH_KEYS_CHANGED);
    void this.consume(this.iterator);
    this.offInterruption = this.pubsub.onInterruption(() => {
      this.reload().catch((err) => this.logger.error({ err: (err as Error).message }, 'switch key reload failed'));
    });
    await this.reload();
  }

  async stop(): Promise<void> {
    this.offInterruption?.();
    await this.iterator?.return?.();
  }

  private async consume(it: AsyncIterableIterator<KeyEvent>): Promise<void> {
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      this.apply(r.value);
    }
  }

  private apply(e: KeyEvent): void {
    if (e.revoked) {
      this.active.delete(e.hash);
      this.revoked.add(e.hash);
    } else {
      this.active.set(e.hash, Object.freeze({ keyId: e.id, buyerId: e.buyerId }));
      this.unknown.delete(e.hash);
    }
  }

  async reload(): Promise<void> {
    const next = new Map<string, KeyOwner>();
    for await (const d of this.models.SwitchKey.find({ revokedAt: null }).lean().cursor()) {
      const k = d as SwitchKeyDoc;
      next.set(k.hash, Object.freeze({ keyId: k._id, buyerId: k.buyerId }));
    }
    this.active = next;
    this.unknown.clear();
  }

  /** Hot path: the key's owner if it is known active in memory; undefined = ask `verify`. */
  cached(hash: string): KeyOwner | null | undefined {
    const owner = this.active.get(hash);
    if (owner) return owner;
    const until = this.unknown.get(hash);
    if (until !== undefined) {
      if (until > Date.now()) return null;
      this.unknown.delete(hash);
    }
    return undefined;
  }

  /** The key's owner, or null for an unknown or revoked key (database read once per unknown hash). */
  async verify(hash: string): Promise<KeyOwner | null> {
    const c = this.cached(hash);
    if (c !== undefined) return c;
    const d = await this.models.SwitchKey.findOne({ hash }).lean().exec();
    if (d && !d.revokedAt && !this.revoked.has(hash)) {
      const owner = Object.freeze({ keyId: d._id, buyerId: d.buyerId });
      this.active.set(hash, owner);
      return owner;
    }
    if (this.unknown.size >= NEGATIVE_MAX) this.unknown.clear();
    this.unknown.set(hash, Date.now() + NEGATIVE_TTL_MS);
    return null;
  }

  private buyerFor(identity: Identity | null, buyerIdArg: string | null | undefined): string {
    const me = requireRole(identity, ['BUYER', 'ADMIN']);
    if (me.role === 'BUYER') {
      if (buyerIdArg && buyerIdArg !== me.sub) throw forbidden('A buyer may manage only its own switch keys');
      return me.sub;
    }
    if (!buyerIdArg) throw badInput('buyerId', 'buyerId is required for ADMIN');
    return buyerIdArg;
  }

  /** Creates a key; the key itself is returned this once and never stored. */
  async create(identity: Identity | null, input: { buyerId?: string | null; name?: unknown }): Promise<{ key: string; switchKey: SwitchKey }> {
    const buyerId = this.buyerFor(identity, input.buyerId);
    const name = validateKeyName(input.name);
    if (!(await this.models.Buyer.exists({ _id: buyerId }))) throw notFound('No such buyer', 'buyerId');
    const key = generateSwitchKey();
    const doc: SwitchKeyDoc = { _id: newId('swk'), buyerId, name, hash: hashSwitchKey(key), createdAt: new Date(), revokedAt: null };
    await this.models.SwitchKey.create(doc);
    const event: KeyEvent = { hash: doc.hash, id: doc._id, buyerId, revoked: false };
    this.apply(event);
    await this.pubsub.publish(TOPIC_SWITCH_KEYS_CHANGED, event);
    return { key, switchKey: toKey(doc) };
  }

  /** Revokes at once here and, through pub/sub, on every instance; revoking twice keeps the first instant. */
  async revoke(identity: Identity | null, id: string): Promise<SwitchKey> {
    const me = requireRole(identity, ['BUYER', 'ADMIN']);
    const doc = await this.models.SwitchKey.findById(id).lean().exec();
    if (!doc) throw notFound('No such switch key', 'id');
    if (me.role === 'BUYER' && doc.buyerId !== me.sub) throw forbidden('A buyer may revoke only its own switch keys');
    const revokedAt = doc.revokedAt ?? new Date();
    if (!doc.revokedAt) await this.models.SwitchKey.updateOne({ _id: id, revokedAt: null }, { $set: { revokedAt } }).exec();
    const event: KeyEvent = { hash: doc.hash, id: doc._id, buyerId: doc.buyerId, revoked: true };
    this.apply(event);
    await this.pubsub.publish(TOPIC_SWITCH_KEYS_CHANGED, event);
    return toKey({ ...doc, revokedAt });
  }

  async list(identity: Identity | null, buyerIdArg?: string | null): Promise<SwitchKey[]> {
    const buyerId = this.buyerFor(identity, buyerIdArg);
    const docs = await this.models.SwitchKey.find({ buyerId }).sort({ createdAt: -1 }).limit(1000).lean().exec();
    return docs.map(toKey);
  }
}

export { hashSwitchKey };
