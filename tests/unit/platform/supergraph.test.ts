import { readFileSync } from 'node:fs';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { compose, OUT } = require('../../../tools/compose') as { compose: () => string; OUT: string };

describe('schema/supergraph.graphql', () => {
  it('is what composing the committed subgraph SDLs produces (run `npm run compose` when this fails)', () => {
    expect(readFileSync(OUT, 'utf8')).toBe(compose());
  });
});
