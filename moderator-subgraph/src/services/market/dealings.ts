import type { ModeratorModels } from '../../store/models';

// "Has buyer B dealt with carrier C" (a request of B was distributed to C) decides whether B may
// read C. A request's carrier list is written once when it is created and requests are never
// deleted, so a yes stays a yes: yeses are remembered per process (no invalidation needed on
// any instance), noes are always asked again. Keys hold both parties, never one alone.

const MAX_REMEMBERED = 100_000;

export class Dealings {
  private readonly known = new Set<string>();

  constructor(private readonly models: ModeratorModels) {}

  /** The carriers among `carrierIds` that `buyerId` has dealt with: one probe per carrier not yet known. */
  async dealtWith(buyerId: string, carrierIds: readonly string[]): Promise<Set<string>> {
    const out = new Set<string>();
    const unknown: string[] = [];
    for (const c of new Set(carrierIds)) {
      if (this.known.has(pairKey(buyerId, c))) out.add(c);
      else unknown.push(c);
    }
    // One limit-1 probe per carrier, in parallel: a single query for all of them would read every
    // request of the buyer naming any of them.
    const found = await Promise.all(unknown.map(async (c) => !!(await this.models.ServiceRequest.exists({ buyerId, carrierIds: c }).exec())));
    unknown.forEach((c, i) => {
      if (!found[i]) return;
      out.add(c);
      this.remember(pairKey(buyerId, c));
    });
    return out;
  }

  private remember(key: string): void {
    if (this.known.size >= MAX_REMEMBERED) this.known.delete(this.known.values().next().value as string);
    this.known.add(key);
  }
}

const pairKey = (buyerId: string, carrierId: string) => `${buyerId}\u0000${carrierId}`;
