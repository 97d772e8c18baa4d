import { spawnSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..');

// Run as its own process: the codegen plugins load ESM-only helpers that jest's module runtime cannot require.
describe('<subgraph>/src/graphql/generated.ts (resolver types from each SDL)', () => {
  it('is what `npm run codegen` produces from the committed SDLs (run it and commit when this fails)', () => {
    const run = spawnSync(process.execPath, [path.join(ROOT, 'tools', 'codegen.js'), '--check'], { cwd: ROOT, encoding: 'utf8' });
    expect({ status: run.status, stale: run.stderr.match(/\S+ is stale/g) ?? [] }).toEqual({ status: 0, stale: [] });
  });
});
