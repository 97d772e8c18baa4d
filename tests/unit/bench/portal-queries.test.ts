// The peer bench sends the portal's own queries, read from portal/src at run time: they must be
// found, resolved (their ${FRAGMENT} constants spliced in) and parse as the operations the portal names.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, type OperationDefinitionNode } from 'graphql';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { portalQueries } = require('../../../bench/lib/portal-queries');

describe('portal queries for the peer bench', () => {
  it('reads the five buyer queries from portal/src as complete operations', () => {
    const refs = ['pages/buyer.tsx:REQUESTS', 'pages/buyer.tsx:REQUEST', 'pages/bills.tsx:BILLS', 'pages/bills.tsx:BILL', 'pages/buyer.tsx:ROUTING'];
    const queries: Record<string, string> = portalQueries(refs);
    const names = refs.map((r) => (parse(queries[r]).definitions[0] as OperationDefinitionNode).name?.value);
    expect(names).toEqual(['MyRequests', 'BuyerRequest', 'Bills', 'Bill', 'Routing']);
    for (const q of Object.values(queries)) expect(q).not.toContain('${');
    // BILL_ROW (pages/bills.tsx) and DISPUTE_FIELDS (disputes.tsx) are spliced into the bill query.
    expect(queries['pages/bills.tsx:BILL']).toContain('outstanding { amount currency }');
    expect(queries['pages/bills.tsx:BILL']).toContain('disputes { id lineIndex');
  });

  it('resolves a constant of the same file before another file export, and names what is missing', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-q-'));
    try {
      fs.writeFileSync(path.join(dir, 'a.tsx'), 'export const F = `x`;\nconst Q = `query A { a { ${F} } }`;\nconst R = `query B { ${MISSING} }`;\n');
      fs.writeFileSync(path.join(dir, 'b.tsx'), 'const F = `y`;\nconst Q = `query C { c { ${F} } }`;\n');
      expect(portalQueries(['a.tsx:Q', 'b.tsx:Q'], dir)).toEqual({ 'a.tsx:Q': 'query A { a { x } }', 'b.tsx:Q': 'query C { c { y } }' });
      expect(() => portalQueries(['a.tsx:R'], dir)).toThrow(/no file has a query constant MISSING/);
      expect(() => portalQueries(['c.tsx:Q'], dir)).toThrow(/portal\/src has no c\.tsx/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
