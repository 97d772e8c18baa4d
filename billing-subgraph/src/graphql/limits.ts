import { GraphQLError, Kind } from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import { MAX_BATCH } from '../services/usage';

/**
 * Refuses an ingestUsage call with more than MAX_BATCH records before GraphQL coerces its
 * variables: coercing every record of an oversized list costs seconds of CPU (about 13 s for
 * 100,000 records), long enough for the gateway to give up, and any caller, even without a
 * token, could make the service spend it. The resolver's own check stays for literal lists.
 */
export function batchSizeGuard<Ctx extends object>(): ApolloServerPlugin<Ctx> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, request }) {
          if (operation?.operation !== 'mutation') return;
          for (const sel of operation.selectionSet.selections) {
            if (sel.kind !== Kind.FIELD || sel.name.value !== 'ingestUsage') continue;
            const arg = sel.arguments?.find((a) => a.name.value === 'records');
            if (arg?.value.kind !== Kind.VARIABLE) continue;
            const records = request.variables?.[arg.value.name.value];
            if (Array.isArray(records) && records.length > MAX_BATCH) {
              throw new GraphQLError(`records must hold at most ${MAX_BATCH} records per call (got ${records.length})`, {
                extensions: { code: 'BAD_USER_INPUT', field: 'records', http: { status: 400 } },
              });
            }
          }
        },
      };
    },
  };
}
