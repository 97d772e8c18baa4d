// The peer bench sends the portal's own queries, read from portal/src's .graphql files at run time:
// they must be found, carry the fragments they #import, and parse as the operations the portal names.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kind, parse, type OperationDefinitionNode } from 'graphql';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { portalQueries } = require('../../../bench/lib/portal-queries');
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { PORTAL } = require('../../../bench/peers');

describe('portal queries for the peer bench', () => {
  it('reads the five buyer queries the bench names from portal/src as complete operations', () => {
    const queries: Record<string, string> = portalQueries(PORTAL);
    const names = PORTAL.map((r: string) => (parse(queries[r]).definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION) as OperationDefinitionNode).name?.value);
    expect(names).toEqual(['MyRequests', 'BuyerRequest', 'Bills', 'Bill', 'Routing']);
    // BillRow (pages/bills/bill-row.graphql) and DisputeFields (graphql/dispute-fields.graphql) travel with the bill query.
    const bill = queries['pages/bills/bill.graphql'];
    expect(bill).toContain('fragment BillRow on Bill {');
    expect(bill).toContain('outstanding { amount currency }');
    expect(bill).toContain('fragment DisputeFields on Dispute { id lineIndex');
    for (const q of Object.values(queries)) expect(q).not.toMatch(/#/);
  });

  it('appends imported fragments transitively, each once, and names what is missing', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-q-'));
    try {
      fs.mkdirSync(path.join(dir, 'f'));
      fs.writeFileSync(path.join(dir, 'f', 'x.graphql'), '# leaf\nfragment X on T { x }\n');
      fs.writeFileSync(path.join(dir, 'f', 'y.graphql'), '#import "./x.graphql"\nfragment Y on T { y ...X }\n');
      fs.writeFileSync(path.join(dir, 'a.graphql'), '#import "./f/y.graphql"\n#import "./f/x.graphql"\nquery A {\n  t { ...Y ...X }\n}\n');
      fs.writeFileSync(path.join(dir, 'b.graphql'), '#import "./f/none.graphql"\nquery B { b }\n');
      expect(portalQueries(['a.graphql'], dir)).toEqual({ 'a.graphql': 'query A { t { ...Y ...X } } fragment Y on T { y ...X } fragment X on T { x }' });
      expect(() => portalQueries(['b.graphql'], dir)).toThrow(/b\.graphql imports .*none\.graphql, which does not exist/);
      expect(() => portalQueries(['c.graphql'], dir)).toThrow(/portal\/src has no c\.graphql/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
