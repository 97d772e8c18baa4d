// Issue 20 (low–medium): the embedded database's files were created 0644, readable by every local
// user. They are now created 0600 in a 0700 directory.
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startFerretDB } = require('../../../tools/lib/ferretdb') as { startFerretDB: (o: { sqliteDir: string }) => Promise<{ uri: string; stop(): Promise<void> }> };

describe('embedded database files', () => {
  it('are readable by their owner only', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'exchange-perm-db-'));
    // A file an older start left readable to everyone is tightened too.
    writeFileSync(path.join(dir, 'leftover.txt'), '', { mode: 0o644 });
    const db = await startFerretDB({ sqliteDir: dir });
    try {
      const conn = await mongoose.createConnection(db.uri, { dbName: 'perm_check' }).asPromise();
      await conn.collection('bills').insertOne({ _id: 'b-1' as never, total: '1.00' });
      await conn.close();
    } finally {
      await db.stop();
    }
    try {
      const files = readdirSync(dir).filter((f) => statSync(path.join(dir, f)).isFile());
      expect(files.some((f) => f.startsWith('perm_check'))).toBe(true);
      for (const f of files) expect({ f, mode: (statSync(path.join(dir, f)).mode & 0o777).toString(8) }).toEqual({ f, mode: '600' });
      expect((statSync(dir).mode & 0o777).toString(8)).toBe('700');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
