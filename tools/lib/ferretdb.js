'use strict';
// Build and run the embedded FerretDB launcher (tools/ferretdb). Plain CommonJS so that
// install scripts, `npm start` and the test harness can use it without a TypeScript build.
const { spawn, execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const SRC_DIR = path.join(ROOT, 'tools', 'ferretdb');
const BIN_DIR = path.join(ROOT, '.cache', 'bin');
const BIN = path.join(BIN_DIR, 'ferretdb-launcher');
const STAMP = BIN + '.sha256';

function sourceHash() {
  const h = crypto.createHash('sha256');
  for (const f of ['go.mod', 'go.sum', 'main.go']) {
    h.update(f);
    h.update(fs.readFileSync(path.join(SRC_DIR, f)));
  }
  return h.digest('hex');
}

/** Builds the launcher unless the binary was built from the current source. Returns its path. */
function ensureLauncher({ log = console.error } = {}) {
  const hash = sourceHash();
  if (fs.existsSync(BIN) && fs.existsSync(STAMP) && fs.readFileSync(STAMP, 'utf8').trim() === hash) {
    return BIN;
  }
  fs.mkdirSync(BIN_DIR, { recursive: true });
  log(`Building the embedded FerretDB launcher (first time only, ~1-2 min: Go modules are fetched through the module proxy)...`);
  const started = Date.now();
  try {
    execFileSync('go', ['build', '-trimpath', '-o', BIN, '.'], {
      cwd: SRC_DIR,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, CGO_ENABLED: '0' },
    });
  } catch (err) {
    if (err.code === 'ENOENT') {
      throw new Error('Go is not installed: the embedded database needs Go >= 1.24 to build once (or set MONGODB_URI to use an existing MongoDB).');
    }
    throw new Error(`Building the FerretDB launcher failed (exit ${err.status}); see the Go output above.`);
  }
  fs.writeFileSync(STAMP, hash + '\n');
  log(`Built ${path.relative(ROOT, BIN)} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return BIN;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts FerretDB and resolves once it accepts connections.
 * @param {{ port?: number, host?: string, sqliteDir?: string, postgresqlUrl?: string, stdio?: 'inherit'|'pipe', logLevel?: string }} opts
 * @returns {Promise<{ uri: string, port: number, child: import('node:child_process').ChildProcess, stop: () => Promise<void> }>}
 */
async function startFerretDB(opts = {}) {
  const bin = ensureLauncher();
  const host = opts.host || '127.0.0.1';
  const port = opts.port || (await freePort());
  const args = ['-listen', `${host}:${port}`, '-log-level', opts.logLevel || 'error'];
  if (opts.postgresqlUrl) args.push('-postgresql', opts.postgresqlUrl);
  else args.push('-sqlite', opts.sqliteDir || path.join(ROOT, 'data', 'db'));

  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
    if (opts.stdio === 'inherit') process.stderr.write(d);
  });

  const uri = await new Promise((resolve, reject) => {
    let out = '';
    const onData = (d) => {
      out += d;
      const m = /ferretdb listening (\S+)/.exec(out);
      if (m) {
        child.stdout.off('data', onData);
        resolve(m[1]);
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`FerretDB exited with ${code} before listening: ${stderr.trim()}`)));
    child.once('error', reject);
  });
  child.stdout.resume();

  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const t = setTimeout(() => child.kill('SIGKILL'), 10000);
      child.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      child.kill('SIGTERM');
    });
  return { uri, port, child, stop };
}

module.exports = { ensureLauncher, startFerretDB, freePort, ROOT, BIN };
