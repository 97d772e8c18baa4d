/** Pub/sub topics (the platform prefixes them with PUBSUB_PREFIX). */
export const TOPIC_REQUEST_DISTRIBUTED = 'moderator.request.distributed';
export const topicBidUpdates = (requestId: string) => `moderator.bids.${requestId}`;
export const TOPIC_ROUTING_CHANGED = 'moderator.routing.changed';
export const TOPIC_BILL_RELAYED = 'moderator.bill.relayed';
/** Boards opening and closing, anonymised (the partners' market feed). */
export const TOPIC_MARKET_BOARDS = 'moderator.market.boards';
/** A carrier's trunks changed: `{ carrierId }` (every instance re-reads them). */
export const TOPIC_TRUNKS_CHANGED = 'moderator.trunks.changed';
/** A switch key was created or revoked: `{ hash, buyerId, id, revoked }`. */
export const TOPIC_SWITCH_KEYS_CHANGED = 'moderator.switchkeys.changed';
