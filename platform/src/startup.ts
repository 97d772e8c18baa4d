import { exitOnConfigError } from './config';

/**
 * What a service's main.ts tells its operator (and `npm start`) about starting: that it is up, with
 * the port it really bound, or, when it cannot start for an operational reason (port taken,
 * database unreachable), one line saying why, not a stack trace.
 */

/** A start-up failure whose message is complete for an operator: printed as one line, no stack. */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

/** The message `npm start` (tools/start.js) waits for over the IPC channel before it says "is up". */
export interface ListeningMessage {
  type: 'listening';
  service: string;
  url: string;
  port: number;
}

/** Tells a parent that spawned this process with an IPC channel that the service has bound its port. */
export function announceListening(service: string, url: string, port: number): void {
  if (typeof process.send !== 'function' || !process.connected) return;
  const msg: ListeningMessage = { type: 'listening', service, url, port };
  process.send(msg);
}

/** The operator's one line for a known start-up failure, or null for anything else. */
export function startupFailureLine(service: string, err: unknown, portVariable?: string): string | null {
  if (err instanceof StartupError) return `${service}: ${err.message}`;
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  if (e && (e.code === 'EADDRINUSE' || e.code === 'EACCES' || e.code === 'EADDRNOTAVAIL') && e.syscall === 'listen') {
    const where = `${e.address ?? '?'}:${e.port ?? '?'}`;
    const why =
      e.code === 'EADDRINUSE'
        ? 'is already in use by another process (another stack?)'
        : e.code === 'EACCES'
          ? 'may not be bound by this user'
          : 'is not an address of this machine';
    return `${service}: cannot listen on ${where}: it ${why}${portVariable ? `; stop that process or set ${portVariable}` : ''}`;
  }
  return null;
}

/** For main.ts: `main().catch(exitOnStartupFailure('moderator', 'MODERATOR_PORT'))`. */
export function exitOnStartupFailure(service: string, portVariable?: string): (err: unknown) => never {
  return (err) => {
    const line = startupFailureLine(service, err, portVariable);
    console.error(line ?? err);
    process.exit(1);
  };
}

/** What runService needs of a started app. */
export interface RunningService {
  url: string;
  port: number;
  logger: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  stop(): Promise<void>;
}

export interface ServiceMain<C, A extends RunningService> {
  /** The name in log lines and in the "listening" message `npm start` waits for. */
  service: string;
  /** The variable that sets the port, named when the port is taken. */
  portVariable: string;
  loadConfig(): C;
  start(config: C): Promise<A>;
  /** Anything to say once the app is up, before it is announced. */
  started?(app: A, config: C): void;
}

/**
 * The whole of a service's main.ts: config (one line and exit 1 when invalid), start, a graceful
 * stop on SIGTERM/SIGINT, the "listening" announcement, and one line for a known start-up failure.
 */
export function runService<C, A extends RunningService>(main: ServiceMain<C, A>): void {
  let app: A | undefined;
  let stopping = false;
  /** A signal that came while the service was still starting: honoured as soon as start returns. */
  let pending: string | null = null;
  const stop = async (signal: string) => {
    if (stopping || !app) return;
    stopping = true;
    app.logger.info({ signal }, 'shutting down');
    try {
      await app.stop();
    } catch (err) {
      // Stopping is best effort; an operator pressing Ctrl-C wants it stopped, not a stack trace.
      app.logger.warn({ err: (err as Error).message }, 'incomplete shutdown');
    }
    process.exit(0);
  };
  // Registered before start: the server may bind (and a supervisor see it listening and send
  // SIGTERM) before start has finished its remaining work, and the default action would kill the
  // process mid-start. A second signal during start does not wait for it.
  const onSignal = (signal: string) => {
    if (app) return void stop(signal);
    if (pending) process.exit(1);
    pending = signal;
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  const run = async () => {
    const config = exitOnConfigError(() => main.loadConfig());
    app = await main.start(config);
    if (pending) return void stop(pending);
    main.started?.(app, config);
    // Bound and serving: `npm start` waits for this before it says the exchange is up.
    announceListening(main.service, app.url, app.port);
  };
  run().catch(exitOnStartupFailure(main.service, main.portVariable));
}
