import { isDuplicateKey, hasRole, SEES_EVERY_PARTY } from '@exchange/platform';
import type { Identity, Logger, PubSub } from '@exchange/platform';
import { trunkOrder, validateTrunk, type CarrierTrunk, type TrunkInput } from '../../domain/trunk';
import { type CarrierTrunkDoc, type ModeratorModels } from '../../store/models';
import { badInput, conflict, forbidden, notFound, requireRole } from '../errors';
import { newId } from '../ids';
import { TOPIC_TRUNKS_CHANGED } from '../events/topics';

const EMPTY: readonly CarrierTrunk[] = Object.freeze([]);

const toTrunk = (d: CarrierTrunkDoc): CarrierTrunk =>
  Object.freeze({
    id: d._id,
    carrierId: d.carrierId,
    name: d.name,
    host: d.host,
    port: d.port,
    transport: d.transport,
    techPrefix: d.techPrefix ?? '',
    priority: d.priority,
    createdAt: new Date(d.createdAt),
  });

/**
 * Carriers' SIP trunks: stored, and held in memory per carrier for the route server. Every change
 * replaces the carrier's (frozen) array, so the route server sees a new array and rebuilds its
 * prepared answers; other instances re-read the carrier on the `trunks.changed` event.
 */
export class TrunkService {
  private byCarrier = new Map<string, readonly CarrierTrunk[]>();
  private iterator: AsyncIterableIterator<{ carrierId: string }> | null = null;
  private offInterruption: (() => void) | null = null;

  constructor(private readonly models: ModeratorModels, private readonly pubsub: PubSub, private readonly logger: Logger) {}

  async start(): Promise<void> {
    this.iterator = this.pubsub.subscribe<{ carrierId: string }>(TOPIC_TRUNKS_CHANGED);
    void this.consume(this.iterator);
    this.offInterruption = this.pubsub.onInterruption(() => {
      this.reload().catch((err) => this.logger.error({ err: (err as Error).message }, 'trunk reload failed'));
    });
    await this.reload();
  }

  async stop(): Promise<void> {
    this.offInterruption?.();
    await this.iterator?.return?.();
  }

  private async consume(it: AsyncIterableIterator<{ carrierId: string }>): Promise<void> {
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      try {
        await this.reloadCarrier(r.value.carrierId);
      } catch (err) {
        this.logger.error({ err: (err as Error).message }, 'trunk update failed');
      }
    }
  }

  async reload(): Promise<void> {
    const next = new Map<string, CarrierTrunk[]>();
    for await (const d of this.models.CarrierTrunk.find().lean().cursor()) {
      const t = toTrunk(d as CarrierTrunkDoc);
      const list = next.get(t.carrierId);
      if (list) list.push(t);
      else next.set(t.carrierId, [t]);
    }
    const frozen = new Map<string, readonly CarrierTrunk[]>();
    for (const [k, v] of next) frozen.set(k, Object.freeze(v.sort(trunkOrder)));
    this.byCarrier = frozen;
  }

  private async reloadCarrier(carrierId: string): Promise<void> {
    const docs = await this.models.CarrierTrunk.find({ carrierId }).lean().exec();
    if (docs.length === 0) this.byCarrier.delete(carrierId);
    else this.byCarrier.set(carrierId, Object.freeze(docs.map(toTrunk).sort(trunkOrder)));
  }

  /** Hot path: the carrier's trunks in the order a switch tries them. */
  trunksOf(carrierId: string): readonly CarrierTrunk[] {
    return this.byCarrier.get(carrierId) ?? EMPTY;
  }

  private carrierFor(identity: Identity | null, carrierIdArg: string | null | undefined): string {
    const me = requireRole(identity, ['CARRIER', 'ADMIN']);
    if (me.role === 'CARRIER') {
      if (carrierIdArg && carrierIdArg !== me.sub) throw forbidden('A carrier may manage only its own trunks');
      return me.sub;
    }
    if (!carrierIdArg) throw badInput('carrierId', `carrierId is required for ${me.role}`);
    return carrierIdArg;
  }

  private async changed(carrierId: string): Promise<void> {
    await this.reloadCarrier(carrierId);
    await this.pubsub.publish(TOPIC_TRUNKS_CHANGED, { carrierId });
  }

  async add(identity: Identity | null, input: TrunkInput & { carrierId?: string | null }): Promise<CarrierTrunk> {
    const me = requireRole(identity, ['CARRIER', 'ADMIN']);
    const carrierId = this.carrierFor(me, input.carrierId);
    const valid = validateTrunk(input);
    if (!(await this.models.Carrier.exists({ _id: carrierId }))) throw notFound('No such carrier', 'carrierId');
    const doc: CarrierTrunkDoc = { _id: newId('trk'), carrierId, ...valid, createdAt: new Date() };
    try {
      await this.models.CarrierTrunk.create(doc);
    } catch (err) {
      if (isDuplicateKey(err)) throw conflict(`This carrier already has a trunk named "${valid.name}"`, 'name');
      throw err;
    }
    await this.changed(carrierId);
    return toTrunk(doc);
  }

  async remove(identity: Identity | null, id: string): Promise<CarrierTrunk> {
    const me = requireRole(identity, ['CARRIER', 'ADMIN']);
    const doc = await this.models.CarrierTrunk.findById(id).lean().exec();
    if (!doc) throw notFound('No such trunk', 'id');
    if (me.role === 'CARRIER' && doc.carrierId !== me.sub) throw forbidden('A carrier may remove only its own trunks');
    await this.models.CarrierTrunk.deleteOne({ _id: id }).exec();
    await this.changed(doc.carrierId);
    return toTrunk(doc);
  }

  /** `carrierTrunks`: a carrier its own; operators (ADMIN, MODERATOR, BILLING_AGENT) name the carrier. */
  async list(identity: Identity | null, carrierIdArg?: string | null): Promise<CarrierTrunk[]> {
    const me = requireRole(identity, ['CARRIER', 'ADMIN', 'MODERATOR', 'BILLING_AGENT']);
    if (me.role === 'CARRIER' && carrierIdArg && carrierIdArg !== me.sub) throw forbidden('A carrier may see only its own trunks');
    if (me.role !== 'CARRIER' && !carrierIdArg) throw badInput('carrierId', `carrierId is required for ${me.role}`);
    return this.listOf(identity, me.role === 'CARRIER' ? me.sub : (carrierIdArg as string));
  }

  /** `Carrier.trunks`: the carrier itself and operators. */
  async listOf(identity: Identity | null, carrierId: string): Promise<CarrierTrunk[]> {
    const me = requireRole(identity, ['CARRIER', 'ADMIN', 'MODERATOR', 'BILLING_AGENT']);
    if (!hasRole(me, SEES_EVERY_PARTY) && me.sub !== carrierId) throw forbidden('A carrier may see only its own trunks');
    const docs = await this.models.CarrierTrunk.find({ carrierId }).lean().exec();
    return docs.map(toTrunk).sort(trunkOrder);
  }
}
