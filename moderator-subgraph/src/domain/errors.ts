export type DomainErrorCode = 'BAD_USER_INPUT' | 'FORBIDDEN' | 'NOT_FOUND' | 'CONFLICT';

/**
 * The only error the domain throws on purpose. The GraphQL layer maps it structurally (code + field)
 * to a coded error, so the domain never imports graphql.
 */
export class DomainError extends Error {
  constructor(
    public readonly code: DomainErrorCode,
    public readonly field: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export function badInput(field: string, message: string): DomainError {
  return new DomainError('BAD_USER_INPUT', field, message);
}
