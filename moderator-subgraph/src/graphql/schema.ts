import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'graphql';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { resolvers } from './resolvers';

/**
 * The SDL users read lives beside this code, in src/graphql/schema.graphql; resolvers (one file per
 * type under resolvers/) only translate. Resolved from the package root so the built dist/ reads
 * the same file as the sources.
 */
export const SDL_PATH = path.resolve(__dirname, '..', '..', 'src', 'graphql', 'schema.graphql');

export function buildModeratorSchema() {
  return buildSubgraphSchema({ typeDefs: parse(readFileSync(SDL_PATH, 'utf8')), resolvers: resolvers as GraphQLResolverMap<unknown> });
}
