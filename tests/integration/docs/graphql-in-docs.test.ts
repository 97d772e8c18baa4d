// Every GraphQL the documentation shows is checked against the composed supergraph's API schema
// (what the gateway serves), so a field name that does not exist (`Bill.billNumber`,
// `edges`/`totalCount`, `Payment.paymentId`) cannot be written into the docs:
// - operations in ```graphql fences and inside ```sh commands (with their JSON variables) are
//   validated with graphql's `validate` and their variables coerced against the operation;
// - SDL fragments (docs/CONTRACTS.md) must name existing types, fields of the same type, arguments
//   and enum values;
// - `Type.field` references in the prose must name existing fields.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Supergraph } from '@apollo/federation-internals';
import {
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  Kind,
  parse,
  print,
  validate,
  type DefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type TypeNode,
} from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import { fencedBlocks, operationsInShell } from '../../support/markdown';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const DOCS = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const api: GraphQLSchema = Supergraph.build(readFileSync(path.join(ROOT, 'schema', 'supergraph.graphql'), 'utf8')).apiSchema().toGraphQLJSSchema();

interface Found {
  file: string;
  line: number;
  document: string;
  variables?: Record<string, unknown>;
}

function executableIn(file: string): { operations: Found[]; sdl: Found[] } {
  const operations: Found[] = [];
  const sdl: Found[] = [];
  for (const b of fencedBlocks(readFileSync(path.join(ROOT, file), 'utf8'))) {
    if (b.lang === 'graphql') {
      const doc = parse(b.code);
      const exec = doc.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION || d.kind === Kind.FRAGMENT_DEFINITION);
      if (exec.length) operations.push({ file, line: b.line, document: b.code });
      if (exec.length < doc.definitions.length) sdl.push({ file, line: b.line, document: b.code });
    } else if (['sh', 'bash', 'shell', ''].includes(b.lang)) {
      for (const op of operationsInShell(b.code)) operations.push({ file, line: b.line, ...op });
    }
  }
  return { operations, sdl };
}

const found = DOCS.map(executableIn);
const operations = found.flatMap((f) => f.operations);
const sdlBlocks = found.flatMap((f) => f.sdl);

/** `[X!]!` of an SDL type node, to compare with the schema's printed type. */
const typeText = (t: TypeNode): string => print(t);

function sdlProblems(block: Found): string[] {
  const problems: string[] = [];
  for (const def of parse(block.document).definitions as DefinitionNode[]) {
    if (!('name' in def) || !def.name || def.kind === Kind.OPERATION_DEFINITION || def.kind === Kind.FRAGMENT_DEFINITION) continue;
    const name = def.name.value;
    if (def.kind === Kind.DIRECTIVE_DEFINITION) continue;
    const type = api.getType(name);
    if (!type) {
      problems.push(`${name}: no such type`);
      continue;
    }
    if (def.kind === Kind.ENUM_TYPE_DEFINITION) {
      if (!isEnumType(type)) problems.push(`${name} is not an enum`);
      else for (const v of def.values ?? []) if (!type.getValue(v.name.value)) problems.push(`${name}.${v.name.value}: no such value`);
    }
    if (def.kind === Kind.OBJECT_TYPE_DEFINITION || def.kind === Kind.INPUT_OBJECT_TYPE_DEFINITION || def.kind === Kind.INTERFACE_TYPE_DEFINITION) {
      if (!isObjectType(type) && !isInputObjectType(type) && !isInterfaceType(type)) {
        problems.push(`${name} is not an object type`);
        continue;
      }
      const fields = type.getFields();
      for (const f of def.fields ?? []) {
        const actual = fields[f.name.value];
        if (!actual) problems.push(`${name}.${f.name.value}: no such field`);
        else if (String(actual.type) !== typeText(f.type)) problems.push(`${name}.${f.name.value}: documented as ${typeText(f.type)}, the schema has ${String(actual.type)}`);
      }
    }
  }
  return problems;
}

/** `Type.field` (or `Type.a/b/c`) in backticks, outside code fences. */
function proseReferences(file: string): { ref: string; line: number }[] {
  const refs: { ref: string; line: number }[] = [];
  let fence = false;
  readFileSync(path.join(ROOT, file), 'utf8')
    .split('\n')
    .forEach((l, i) => {
      if (/^```/.test(l)) fence = !fence;
      if (fence) return;
      for (const m of l.matchAll(/`([A-Z][A-Za-z]+)\.([a-z][A-Za-z]*(?:\/[a-z][A-Za-z]*)*)`/g)) {
        if (api.getType(m[1])) for (const f of m[2].split('/')) refs.push({ ref: `${m[1]}.${f}`, line: i + 1 });
      }
    });
  return refs;
}

describe('GraphQL in README.md and docs/*.md', () => {
  it('finds the documented operations (the examples, the README, the contracts)', () => {
    const files = new Set(operations.map((o) => o.file));
    expect([...files]).toEqual(expect.arrayContaining(['README.md', 'docs/EXAMPLES.md']));
    expect(operations.filter((o) => o.file === 'docs/EXAMPLES.md').length).toBeGreaterThanOrEqual(20);
    expect(sdlBlocks.map((b) => b.file)).toContain('docs/CONTRACTS.md');
  });

  it('every operation is valid against the supergraph, and its variables fit its variable types', () => {
    const problems: string[] = [];
    for (const op of operations) {
      const where = `${op.file}:${op.line}`;
      let doc;
      try {
        doc = parse(op.document);
      } catch (err) {
        problems.push(`${where}: ${(err as Error).message}`);
        continue;
      }
      // A fence may list several operations as alternatives (one per line, each anonymous): each is checked on its own.
      const ops = doc.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
      const alternatives = ops.length > 1 && ops.length === doc.definitions.length ? ops.map((d) => ({ ...doc!, definitions: [d] })) : [doc];
      for (const one of alternatives) for (const e of validate(api, one)) problems.push(`${where}: ${e.message}`);
      if (op.variables) {
        const operation = doc.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
        const coerced = getVariableValues(api, operation.variableDefinitions ?? [], op.variables);
        for (const e of coerced.errors ?? []) problems.push(`${where} variables: ${e.message}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('SDL fragments name existing types, fields (with the schema’s types) and enum values', () => {
    expect(sdlBlocks.flatMap((b) => sdlProblems(b).map((p) => `${b.file}:${b.line}: ${p}`))).toEqual([]);
  });

  it('`Type.field` references in the prose name existing fields', () => {
    const problems: string[] = [];
    for (const file of DOCS) {
      for (const { ref, line } of proseReferences(file)) {
        const [typeName, field] = ref.split('.');
        const type = api.getType(typeName);
        const fields = type && (isObjectType(type) || isInputObjectType(type) || isInterfaceType(type)) ? type.getFields() : {};
        if (!fields[field]) problems.push(`${file}:${line}: ${ref}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('would catch the field names a newcomer guessed', () => {
    const guesses = [
      '{ bills { nodes { billNumber } } }',
      '{ bills { edges { node { id } } totalCount } }',
      'query($id: ID!) { bill(id: $id) { payments { paymentId } } }',
      'query($r: ID!) { billingRecords(requestId: $r) { nodes { quantity kind } } }',
      'query($id: ID!) { bill(id: $id) { links { pdf } } }',
    ];
    for (const g of guesses) expect(validate(api, parse(g)).length).toBeGreaterThan(0);
    // And the SDL and prose checks: a made-up field and a wrong type are reported.
    expect(sdlProblems({ file: 'x', line: 1, document: 'type Bill { billNumber: String! number: Int }' })).toEqual([
      'Bill.billNumber: no such field',
      'Bill.number: documented as Int, the schema has String!',
    ]);
  });
});
