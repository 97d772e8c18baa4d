import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'graphql';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { BillingContext } from './context';

/** The SDL users read lives in schema/billing.graphql; resolvers here only translate. */
export const SDL_PATH = path.resolve(__dirname, '..', '..', '..', 'schema', 'billing.graphql');

export function buildBillingSchema() {
  const resolvers: GraphQLResolverMap<BillingContext> = {
    Query: {
      billingVersion: () => '0.1.0',
    },
    ServiceRequest: {
      __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
      billCount: (r: { id: string }, _: unknown, ctx: BillingContext) => ctx.models.Bill.countDocuments({ requestId: r.id }).exec(),
    },
  };
  return buildSubgraphSchema({ typeDefs: parse(readFileSync(SDL_PATH, 'utf8')), resolvers: resolvers as GraphQLResolverMap<unknown> });
}
