import pino, { type Logger } from 'pino';

export type { Logger };

/** JSON logs on stdout; `service` tags every line so merged logs of `npm start` stay readable. */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name: service,
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['req.headers.authorization', 'authorization', 'connectionParams.authorization'], censor: '[redacted]' },
  });
}
