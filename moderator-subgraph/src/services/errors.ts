import { GraphQLError } from 'graphql';
import type { Identity, Role } from '@exchange/platform';
import { DomainError } from '../domain/errors';

export type AppErrorCode = 'BAD_USER_INPUT' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' | 'CONFLICT';

/**
 * A GraphQLError that also carries `code`/`field` as properties: the HTTP error formatter maps it by
 * its properties, and graphql-ws (which has no formatter) sends its extensions as they are.
 */
export class AppError extends GraphQLError {
  readonly code: AppErrorCode;
  readonly field?: string;
  constructor(code: AppErrorCode, message: string, field?: string) {
    super(message, { extensions: { code, ...(field ? { field } : {}) } });
    this.code = code;
    if (field) this.field = field;
  }
}

export const forbidden = (message: string) => new AppError('FORBIDDEN', message);
export const notFound = (message: string, field?: string) => new AppError('NOT_FOUND', message, field);
export const conflict = (message: string, field?: string) => new AppError('CONFLICT', message, field);
export const badInput = (field: string, message: string) => new AppError('BAD_USER_INPUT', message, field);

/** Turns a domain error into one that survives both transports; anything else is rethrown as is. */
export function asAppError(err: unknown): unknown {
  if (err instanceof DomainError) return new AppError(err.code, err.message, err.field);
  return err;
}

export function requireIdentity(identity: Identity | null): Identity {
  if (!identity) throw new AppError('UNAUTHENTICATED', 'Authentication required: send "Authorization: Bearer <token>"');
  return identity;
}

export function requireRole(identity: Identity | null, ...roles: Role[]): Identity {
  const id = requireIdentity(identity);
  if (!roles.includes(id.role)) throw forbidden(`This operation requires the role ${roles.join(' or ')}`);
  return id;
}

/** Operators of the exchange and the services acting for it see every party's data. */
export function isOperator(identity: Identity | null): boolean {
  return !!identity && (identity.role === 'ADMIN' || identity.role === 'MODERATOR');
}
