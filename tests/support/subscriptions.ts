// What a subgraph's pub/sub is listening on, for tests that must not trigger an event before the
// subscriber is registered (graphql-ws acknowledges a subscribe before the resolver subscribes).
import type { PubSub } from '@exchange/platform';

/**
 * Counts the pub/sub subscriptions a subgraph holds per topic, by wrapping its (real) pub/sub's
 * subscribe: events still flow through it unchanged. A graphql-ws subscribe is acknowledged before
 * the subgraph reaches its pub/sub, so tests wait on this before triggering events.
 */
export function countSubscriptions(pubsub: PubSub): (topic: string) => number {
  const open = new Map<string, number>();
  const subscribe = pubsub.subscribe.bind(pubsub);
  pubsub.subscribe = <T>(topic: string) => {
    const it = subscribe<T>(topic);
    open.set(topic, (open.get(topic) ?? 0) + 1);
    let closed = false;
    const close = () => {
      if (!closed) {
        closed = true;
        open.set(topic, (open.get(topic) ?? 1) - 1);
      }
    };
    const ret = it.return?.bind(it);
    it.return = async (value?: unknown) => {
      close();
      return ret ? ret(value) : { done: true, value: undefined };
    };
    return it;
  };
  return (topic: string) => open.get(topic) ?? 0;
}
