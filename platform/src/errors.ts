import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import type { Logger } from 'pino';

const DOMAIN_CODES: Record<string, number> = {
  BAD_USER_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
};

/** The shape of each subgraph's own DomainError, matched structurally so domains import nothing from here. */
interface CodedError {
  code: string;
  field?: string;
  message: string;
}

function isCoded(err: unknown): err is CodedError {
  return (
    err instanceof Error &&
    typeof (err as unknown as Partial<CodedError>).code === 'string' &&
    (err as unknown as CodedError).code in DOMAIN_CODES
  );
}

/** A coded GraphQL error naming the offending field, as every bad input must produce. */
export function userError(code: keyof typeof DOMAIN_CODES, message: string, field?: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...(field ? { field } : {}) } });
}

/**
 * Maps domain errors to coded GraphQL errors and hides unexpected ones behind a generic message
 * (logged with the request id), so internals such as database messages never reach a client.
 */
export function createErrorFormatter(logger: Logger, onCode?: (code: string) => void) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (isCoded(original)) {
      onCode?.(original.code);
      return {
        ...formatted,
        message: original.message,
        extensions: { code: original.code, ...(original.field ? { field: original.field } : {}) },
      };
    }
    const code = String(formatted.extensions?.code ?? 'INTERNAL_SERVER_ERROR');
    onCode?.(code);
    if (code === 'INTERNAL_SERVER_ERROR') {
      logger.error({ err: original, path: formatted.path }, 'unexpected error');
      return { message: 'Internal server error', path: formatted.path, locations: formatted.locations, extensions: { code } };
    }
    // Strip stack traces that Apollo adds in development.
    const { stacktrace: _ignored, ...extensions } = (formatted.extensions ?? {}) as Record<string, unknown>;
    return { ...formatted, extensions };
  };
}
