/**
 * The one error type of the exchange's code: a client-facing code, the message, and the input
 * field to fix. It is a plain Error (no graphql import) and lives in this pure package because
 * every layer throws it: pricing itself, both subgraphs' pure domain code (which must not import
 * @exchange/platform: it loads mongoose, Redis and GraphQL) and their services. The subgraphs'
 * error formatter (platform/src/errors.ts) maps it to `extensions.code`/`extensions.field` on
 * HTTP and graphql-ws alike.
 */
export type AppErrorCode = 'BAD_USER_INPUT' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' | 'CONFLICT';

export class AppError extends Error {
  override readonly name = 'AppError';
  readonly field?: string;
  constructor(
    readonly code: AppErrorCode,
    message: string,
    field?: string,
  ) {
    super(message);
    if (field) this.field = field;
  }
}

export const badInput = (field: string | undefined, message: string) => new AppError('BAD_USER_INPUT', message, field);
export const forbidden = (message: string, field?: string) => new AppError('FORBIDDEN', message, field);
export const notFound = (message: string, field?: string) => new AppError('NOT_FOUND', message, field);
export const conflict = (message: string, field?: string) => new AppError('CONFLICT', message, field);
export const unauthenticated = (message: string) => new AppError('UNAUTHENTICATED', message);
