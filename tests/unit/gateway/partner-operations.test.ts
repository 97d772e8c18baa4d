import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, validate } from 'graphql';
import { Supergraph } from '@apollo/federation-internals';
import { OperationAllowList, sha256 } from '../../../gateway/src/persisted';

const FILE = path.resolve(__dirname, '..', '..', '..', 'schema', 'partner-operations.json');

describe('schema/partner-operations.json (the partner allow-list, PARTNER_OPERATIONS_FILE)', () => {
  const entries = JSON.parse(readFileSync(FILE, 'utf8')) as Record<string, string>;
  const api = Supergraph.build(readFileSync(path.resolve(__dirname, '..', '..', '..', 'schema', 'supergraph.graphql'), 'utf8'))
    .apiSchema()
    .toGraphQLJSSchema();

  it('loads as an allow-list: every key is the sha256 of its query', () => {
    expect(OperationAllowList.fromFile(FILE).size).toBe(Object.keys(entries).length);
    for (const [hash, query] of Object.entries(entries)) expect(sha256(query)).toBe(hash);
  });

  it('holds only operations valid against the composed supergraph', () => {
    for (const query of Object.values(entries)) expect({ query, errors: validate(api, parse(query)).map((e) => e.message) }).toEqual({ query, errors: [] });
  });

  it('lists the market feed (query and subscription) and the board of one request', () => {
    const roots = Object.values(entries).map((q) => /\{\s*(\w+)/.exec(q)?.[1]);
    expect(roots.sort()).toEqual(['bidBoard', 'bidUpdates', 'marketBoardChanges', 'marketBoards']);
  });
});
