import { EventEmitter } from 'node:events';
import Redis from 'ioredis';
import type { Logger } from 'pino';

/**
 * Topic-based pub/sub for subscription events and cross-instance cache invalidation.
 * In-process by default; with REDIS_URL every instance sees every other instance's events.
 */
export interface PubSub {
  publish(topic: string, payload: unknown): Promise<void>;
  /** An async iterator of payloads; `return()` unsubscribes. */
  subscribe<T = unknown>(topic: string): AsyncIterableIterator<T>;
  /** Called whenever the transport lost events (e.g. Redis reconnect), so consumers can resync. */
  onInterruption(listener: () => void): () => void;
  close(): Promise<void>;
}

type Listener = (payload: unknown) => void;

/** Turns push callbacks into a pull iterator with an unbounded queue (events are small and bursts short). */
function iteratorFor<T>(attach: (l: Listener) => () => void): AsyncIterableIterator<T> {
  const queue: T[] = [];
  const waiting: ((r: IteratorResult<T>) => void)[] = [];
  let done = false;
  const detach = attach((payload) => {
    if (done) return;
    const w = waiting.shift();
    if (w) w({ value: payload as T, done: false });
    else queue.push(payload as T);
  });
  const finish = async (): Promise<IteratorResult<T>> => {
    if (!done) {
      done = true;
      detach();
      for (const w of waiting.splice(0)) w({ value: undefined as never, done: true });
      queue.length = 0;
    }
    return { value: undefined as never, done: true };
  };
  return {
    next: () => {
      if (queue.length) return Promise.resolve({ value: queue.shift() as T, done: false });
      if (done) return Promise.resolve({ value: undefined as never, done: true });
      return new Promise((resolve) => waiting.push(resolve));
    },
    return: finish,
    throw: async (err) => {
      await finish();
      throw err;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

export class InMemoryPubSub implements PubSub {
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  async publish(topic: string, payload: unknown) {
    // Deliver a structured clone so subscribers see exactly what a Redis round trip would give them.
    this.emitter.emit(topic, JSON.parse(JSON.stringify(payload)));
  }
  subscribe<T>(topic: string) {
    return iteratorFor<T>((l) => {
      this.emitter.on(topic, l);
      return () => this.emitter.off(topic, l);
    });
  }
  onInterruption() {
    return () => undefined;
  }
  async close() {
    this.emitter.removeAllListeners();
  }
}

/** Redis pub/sub: one publishing and one subscribing connection per instance, channels ref-counted. */
export class RedisPubSub implements PubSub {
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly local = new EventEmitter().setMaxListeners(0);
  private readonly counts = new Map<string, number>();
  private readonly interruptionListeners = new Set<() => void>();
  private wasReady = false;

  constructor(url: string, private readonly prefix: string, private readonly logger?: Logger) {
    const opts = { maxRetriesPerRequest: null, enableAutoPipelining: true, retryStrategy: (n: number) => Math.min(n * 200, 2000) };
    this.pub = new Redis(url, opts);
    this.sub = new Redis(url, opts);
    this.sub.on('message', (channel: string, message: string) => {
      let payload: unknown;
      try {
        payload = JSON.parse(message);
      } catch {
        this.logger?.warn({ channel }, 'ignoring a non-JSON pub/sub message');
        return;
      }
      this.local.emit(channel, payload);
    });
    this.sub.on('ready', () => {
      // ioredis re-subscribes on reconnect, but events published while we were away are gone.
      if (this.wasReady) for (const l of this.interruptionListeners) l();
      this.wasReady = true;
    });
    for (const c of [this.pub, this.sub]) c.on('error', (err) => this.logger?.warn({ err: err.message }, 'redis error'));
  }

  async ready(): Promise<void> {
    await Promise.all([this.pub.ping(), this.sub.status === 'ready' ? null : new Promise((r) => this.sub.once('ready', r))]);
  }

  async publish(topic: string, payload: unknown) {
    await this.pub.publish(this.prefix + topic, JSON.stringify(payload));
  }

  subscribe<T>(topic: string) {
    const channel = this.prefix + topic;
    return iteratorFor<T>((l) => {
      this.local.on(channel, l);
      const n = (this.counts.get(channel) ?? 0) + 1;
      this.counts.set(channel, n);
      if (n === 1) this.sub.subscribe(channel).catch((err) => this.logger?.error({ err: err.message, channel }, 'subscribe failed'));
      return () => {
        this.local.off(channel, l);
        const left = (this.counts.get(channel) ?? 1) - 1;
        if (left === 0) {
          this.counts.delete(channel);
          this.sub.unsubscribe(channel).catch(() => undefined);
        } else this.counts.set(channel, left);
      };
    });
  }

  onInterruption(listener: () => void) {
    this.interruptionListeners.add(listener);
    return () => this.interruptionListeners.delete(listener);
  }

  async close() {
    this.local.removeAllListeners();
    await Promise.allSettled([this.pub.quit(), this.sub.quit()]);
  }
}

/** Redis when a URL is given, in-process otherwise. `prefix` keeps environments sharing one Redis apart. */
export async function createPubSub(redisUrl: string | undefined, prefix: string, logger?: Logger): Promise<PubSub> {
  if (!redisUrl) return new InMemoryPubSub();
  const ps = new RedisPubSub(redisUrl, prefix, logger);
  await ps.ready();
  return ps;
}
