import type { Identity } from '@exchange/platform';
import { forbidden, hasRole, SEES_EVERY_PARTY, receivesBillIssued } from '../access';
import { BILL_ISSUED_TOPIC, type BillIssuedEvent, type Deps } from '../deps';

function filteredIterator<T>(source: AsyncIterableIterator<T>, keep: (v: T) => boolean): AsyncIterableIterator<T> {
  return {
    async next() {
      for (;;) {
        const r = await source.next();
        if (r.done || keep(r.value)) return r;
      }
    },
    return: () => source.return!(),
    throw: (e) => source.throw!(e),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/** The billIssued events this caller receives (access.ts receivesBillIssued): each bill once per recipient. */
export function subscribeBillIssued(deps: Deps, who: Identity): AsyncIterableIterator<BillIssuedEvent> {
  if (!hasRole(who, SEES_EVERY_PARTY) && who.role !== 'BUYER' && who.role !== 'CARRIER') throw forbidden(`${who.role} does not receive bills`);
  return filteredIterator(deps.pubsub.subscribe<BillIssuedEvent>(BILL_ISSUED_TOPIC), (e) => receivesBillIssued(who, e));
}
