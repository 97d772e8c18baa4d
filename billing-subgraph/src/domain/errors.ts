/**
 * The only error type the pure domain layer throws. The GraphQL layer maps `code` onto
 * `extensions.code` and `field` onto the offending input path, so clients learn which
 * argument to fix without the domain knowing anything about GraphQL.
 */
export type DomainErrorCode = 'BAD_USER_INPUT' | 'FORBIDDEN' | 'NOT_FOUND' | 'CONFLICT';

export class DomainError extends Error {
  override readonly name = 'DomainError';

  constructor(
    public readonly code: DomainErrorCode,
    public readonly field: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

export function badInput(field: string | undefined, message: string): DomainError {
  return new DomainError('BAD_USER_INPUT', field, message);
}
