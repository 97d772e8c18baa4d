// The one place tests wait. A test waits for a condition (`until`), an emitter's event (`once`)
// or a promise it already holds (`within`); every wait is bounded and, when the bound passes,
// fails naming what it waited for, so a hung test says why instead of hitting jest's timeout.
// `sleep` is for the few tests whose behaviour under test IS the passing of time (a lease
// expiring, a grace period passing) and for a bounded look-out before asserting that something
// did NOT happen (an absence has no event); each call site says which in a comment.
import type { EventEmitter } from 'node:events';

export interface WaitOptions {
  /** Give up after this many ms (default 30 s). */
  timeout?: number;
  /** Poll every this many ms (default 50). */
  interval?: number;
  /** What is awaited, for the failure message ("the bill to be issued"); a function is asked at the timeout. */
  message?: string | (() => string);
}

type Falsy = false | 0 | '' | null | undefined;

const DEFAULTS = { timeout: 30_000, interval: 50 };

const describeFn = (fn: (...a: never[]) => unknown) => fn.toString().replace(/\s+/g, ' ').slice(0, 200);

const show = (v: unknown): string => {
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 300 ? `${s.slice(0, 300)}…` : s;
  } catch {
    return String(v);
  }
};

/** The options with the defaults under them (an option given as undefined keeps its default). */
const options = (o: string | WaitOptions | undefined) => {
  const given: WaitOptions = typeof o === 'string' ? { message: o } : (o ?? {});
  return { timeout: given.timeout ?? DEFAULTS.timeout, interval: given.interval ?? DEFAULTS.interval, message: given.message };
};

const what = (message: WaitOptions['message'], fallback: string) => (typeof message === 'function' ? message() : (message ?? fallback));

/**
 * Polls `condition` until it returns a truthy value and resolves with that value. An exception
 * from `condition` fails the wait at once (an assertion inside it is a real failure). The second
 * argument is the options or, as a shorthand, just the message.
 */
export async function until<T>(condition: () => T | Promise<T>, opts?: string | WaitOptions): Promise<Exclude<T, Falsy>> {
  const { timeout, interval, message } = options(opts);
  const started = Date.now();
  for (;;) {
    const value = await condition();
    if (value) return value as Exclude<T, Falsy>;
    if (Date.now() - started >= timeout) {
      throw new Error(`timed out after ${timeout} ms waiting for ${what(message, describeFn(condition))} (last value: ${show(value)})`);
    }
    await sleep(interval);
  }
}

/** Resolves with `promise`'s value, or fails naming `message` if it does not settle in time. */
export async function within<T>(promise: Promise<T>, opts?: string | WaitOptions): Promise<T> {
  const { timeout, message } = options(opts);
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeout} ms waiting for ${what(message, 'a promise')}`)), timeout);
  });
  try {
    return await Promise.race([promise, bound]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The next `event` from `emitter` (its arguments) for which `filter` holds; fails naming
 * `message` after the timeout. An 'error' event rejects, as node's events.once does.
 */
export function once<A extends unknown[] = unknown[]>(
  emitter: EventEmitter,
  event: string,
  opts: WaitOptions & { filter?: (...args: A) => boolean } = {},
): Promise<A> {
  const { timeout, message } = options(opts);
  const { filter } = opts;
  return new Promise<A>((resolve, reject) => {
    const cleanup = () => {
      clearTimeout(timer);
      emitter.off(event, onEvent);
      if (event !== 'error') emitter.off('error', onError);
    };
    const onEvent = (...args: unknown[]) => {
      if (filter && !filter(...(args as A))) return;
      cleanup();
      resolve(args as A);
    };
    const onError = (err: unknown) => {
      cleanup();
      reject(err);
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out after ${timeout} ms waiting for ${what(message, `the '${event}' event`)}`));
    }, timeout);
    emitter.on(event, onEvent);
    if (event !== 'error') emitter.on('error', onError);
  });
}

/**
 * A fixed pause. Only for time that is itself under test (past a lease or a window) or for a
 * bounded look-out before asserting that something did NOT happen; say which at the call site.
 */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
