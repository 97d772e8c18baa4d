import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'graphql';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { ModeratorContext } from './context';

/** The SDL users read lives in schema/moderator.graphql; resolvers here only translate. */
export const SDL_PATH = path.resolve(__dirname, '..', '..', '..', 'schema', 'moderator.graphql');

export function buildModeratorSchema() {
  const resolvers: GraphQLResolverMap<ModeratorContext> = {
    Query: {
      serviceRequest: (_: unknown, args: { id: string }, ctx: ModeratorContext) =>
        ctx.models.ServiceRequest.findById(args.id).lean().exec(),
    },
    ServiceRequest: {
      id: (r: { _id: string }) => r._id,
      __resolveReference: (ref: { id: string }, ctx: ModeratorContext) => ctx.models.ServiceRequest.findById(ref.id).lean().exec(),
    },
  };
  return buildSubgraphSchema({ typeDefs: parse(readFileSync(SDL_PATH, "utf8")), resolvers: resolvers as GraphQLResolverMap<unknown> });
}
