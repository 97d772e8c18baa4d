import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { compose, OUT, SUBGRAPHS } = require('../../../tools/compose') as { compose: () => string; OUT: string; SUBGRAPHS: { name: string; file: string }[] };

const ROOT = path.resolve(__dirname, '..', '..', '..');

describe('schema/supergraph.graphql', () => {
  it('is what composing the committed subgraph SDLs produces (run `npm run compose` when this fails)', () => {
    expect(readFileSync(OUT, 'utf8')).toBe(compose());
  });

  it.each(['moderator', 'billing'])('composes the %s SDL that lives beside its code, the file its built server loads', (name) => {
    const sdl = SUBGRAPHS.find((s) => s.name === name)!.file;
    expect(sdl).toBe(path.join(ROOT, `${name}-subgraph`, 'src', 'graphql', 'schema.graphql'));
    // The compiled dist/ (what `npm start` runs) resolves the same file, not a copy left behind.
    const built = path.join(ROOT, `${name}-subgraph`, 'dist', 'graphql', 'schema.js');
    expect(existsSync(built)).toBe(true);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    expect((require(built) as { SDL_PATH: string }).SDL_PATH).toBe(sdl);
  });
});
