// Every GraphQL document the portal sends lives in a .graphql file under portal/src and is checked
// here against the composed supergraph's API schema (what the gateway serves), so a field, argument
// or type the API does not have (or a variable of the wrong type) fails this test, not a user's page.
// Documents are assembled exactly as the Vite build assembles them (portal/graphql-documents.cjs).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Supergraph } from '@apollo/federation-internals';
import { Kind, NoUnusedFragmentsRule, parse, specifiedRules, validate, type GraphQLSchema } from 'graphql';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { graphqlDocument, graphqlFiles } = require('../../../portal/graphql-documents.cjs');

const ROOT = path.resolve(__dirname, '..', '..', '..');
const SRC = path.join(ROOT, 'portal', 'src');
const api: GraphQLSchema = Supergraph.build(readFileSync(path.join(ROOT, 'schema', 'supergraph.graphql'), 'utf8')).apiSchema().toGraphQLJSSchema();

const files: string[] = graphqlFiles(SRC);
const rel = (f: string) => path.relative(SRC, f);
const own = (f: string) => parse(readFileSync(f, 'utf8')).definitions;
const operations = files.filter((f) => own(f).some((d) => d.kind === Kind.OPERATION_DEFINITION));
const fragments = files.filter((f) => !operations.includes(f));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return /\.tsx?$/.test(e.name) ? [p] : [];
  });
}
/** Every .graphql file a portal source file imports, absolute. */
const imported = new Set(
  sources(SRC).flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/from '([^']+\.graphql)'/g)].map((m) => path.resolve(path.dirname(f), m[1]))),
);

describe('portal GraphQL documents', () => {
  it('finds the operation files', () => {
    expect(operations.length).toBeGreaterThan(30);
  });

  it.each(operations.map(rel))('%s validates against the supergraph API schema', (file) => {
    const { text } = graphqlDocument(path.join(SRC, file));
    const doc = parse(text);
    expect(doc.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION)).toHaveLength(1);
    expect(validate(api, doc).map((e) => e.message)).toEqual([]);
  });

  it.each(fragments.map(rel))('fragment %s validates and is spread by an operation', (file) => {
    const doc = parse(graphqlDocument(path.join(SRC, file)).text);
    expect(doc.definitions.every((d) => d.kind === Kind.FRAGMENT_DEFINITION)).toBe(true);
    const rules = specifiedRules.filter((r) => r !== NoUnusedFragmentsRule);
    expect(validate(api, doc, rules).map((e) => e.message)).toEqual([]);
    const users = operations.filter((op) => graphqlDocument(op).files.includes(path.join(SRC, file)));
    expect(users.length).toBeGreaterThan(0);
  });

  it('every operation file is imported by the portal, and no source file holds an inline operation', () => {
    expect(operations.filter((f) => !imported.has(f)).map(rel)).toEqual([]);
    const inline = sources(SRC).filter((f) => /`\s*(query|mutation|subscription)\s*[A-Za-z_({]|`\s*\{\s*\w+\s*[({]/.test(readFileSync(f, 'utf8')));
    expect(inline.map(rel)).toEqual([]);
  });
});
