/**
 * The one error pricing throws: a code and the offending input field. Each subgraph's error
 * formatter maps any error with a known `code` (platform/src/errors.ts), so pricing needs no
 * GraphQL and no subgraph's error class.
 */
export class PricingError extends Error {
  override readonly name = 'PricingError';
  readonly code = 'BAD_USER_INPUT' as const;
  constructor(readonly field: string, message: string) {
    super(message);
  }
}
