'use strict';
// Build and run the embedded FerretDB launcher (tools/ferretdb). Plain CommonJS so that
// install scripts, `npm start` and the test harness can use it without a TypeScript build.
const { spawn, execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const SRC_DIR = path.join(ROOT, 'tools', 'ferretdb');
const PATCH_DIR = path.join(SRC_DIR, 'patches');
const BIN_DIR = path.join(ROOT, '.cache', 'bin');
const BIN = path.join(BIN_DIR, 'ferretdb-launcher');
const STAMP = BIN + '.sha256';
// The launcher's go.mod replaces the FerretDB module with this patched copy.
const FERRETDB_MODULE = 'github.com/FerretDB/FerretDB';
const FERRETDB_VERSION = 'v1.24.2';
const PATCHED_DIR = path.join(ROOT, '.cache', 'ferretdb', `FerretDB@${FERRETDB_VERSION}`);

function patchFiles() {
  if (!fs.existsSync(PATCH_DIR)) return [];
  return fs
    .readdirSync(PATCH_DIR)
    .filter((f) => f.endsWith('.patch'))
    .sort();
}

/** Covers everything the binary is built from: the launcher and the patches applied to FerretDB. */
function sourceHash() {
  const h = crypto.createHash('sha256');
  for (const f of ['go.mod', 'go.sum', 'main.go']) {
    h.update(f);
    h.update(fs.readFileSync(path.join(SRC_DIR, f)));
  }
  h.update(FERRETDB_VERSION);
  for (const f of patchFiles()) {
    h.update(f);
    h.update(fs.readFileSync(path.join(PATCH_DIR, f)));
  }
  return h.digest('hex');
}

function run(cmd, args, opts) {
  try {
    return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], ...opts });
  } catch (err) {
    if (err.code === 'ENOENT') {
      const what = cmd === 'go' ? 'Go (>= 1.24)' : `'${cmd}'`;
      throw new Error(`${what} is not installed: the embedded database needs it to build once (or set MONGODB_URI to use an existing MongoDB).`);
    }
    throw new Error(`${cmd} ${args.join(' ')} failed (exit ${err.status}); see the output above.`);
  }
}

/**
 * Copies FerretDB's module source from the Go module cache (fetched through the module proxy)
 * and applies tools/ferretdb/patches/*.patch in order. Prints each patch's title once.
 */
function preparePatchedSource(log) {
  // Outside any module, so the launcher's `replace` does not redirect the download.
  const info = JSON.parse(
    run('go', ['mod', 'download', '-json', `${FERRETDB_MODULE}@${FERRETDB_VERSION}`], {
      cwd: os.tmpdir(),
      env: { ...process.env, GO111MODULE: 'on', GOFLAGS: '' },
    }).toString(),
  );
  if (!info.Dir) throw new Error(`go mod download gave no directory for ${FERRETDB_MODULE}@${FERRETDB_VERSION}: ${info.Error || ''}`);
  fs.rmSync(PATCHED_DIR, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(PATCHED_DIR), { recursive: true });
  fs.cpSync(info.Dir, PATCHED_DIR, { recursive: true });
  // The module cache is read-only; the copy must be writable to be patched (and removed later).
  for (const entry of fs.readdirSync(PATCHED_DIR, { recursive: true })) {
    const p = path.join(PATCHED_DIR, entry);
    fs.chmodSync(p, fs.statSync(p).isDirectory() ? 0o755 : 0o644);
  }
  fs.chmodSync(PATCHED_DIR, 0o755);
  for (const f of patchFiles()) {
    const title = fs.readFileSync(path.join(PATCH_DIR, f), 'utf8').split('\n', 1)[0];
    log(`Applying FerretDB patch ${f}: ${title}`);
    run('patch', ['-p1', '--batch', '--forward', '--silent', '-i', path.join(PATCH_DIR, f)], { cwd: PATCHED_DIR, stdio: ['ignore', 'inherit', 'inherit'] });
  }
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
  preparePatchedSource(log);
  // Built to a temporary name and renamed, so running launchers keep their binary.
  const tmp = `${BIN}.${process.pid}.tmp`;
  run('go', ['build', '-trimpath', '-o', tmp, '.'], {
    cwd: SRC_DIR,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, CGO_ENABLED: '0' },
  });
  fs.renameSync(tmp, BIN);
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

/** The database directory readable by its owner only: 0700, its files 0600 (also files of an older start). */
function privateDir(dir) {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.isFile()) fs.chmodSync(path.join(dir, entry.name), 0o600);
  }
}

/**
 * Starts FerretDB and resolves once it accepts connections.
 * @param {{ port?: number, host?: string, sqliteDir?: string, postgresqlUrl?: string, stdio?: 'inherit'|'pipe', logLevel?: string, detached?: boolean }} opts
 * @returns {Promise<{ uri: string, port: number, child: import('node:child_process').ChildProcess, stop: () => Promise<void> }>}
 */
async function startFerretDB(opts = {}) {
  const bin = ensureLauncher();
  const host = opts.host || '127.0.0.1';
  const port = opts.port || (await freePort());
  const args = ['-listen', `${host}:${port}`, '-log-level', opts.logLevel || 'error'];
  if (opts.postgresqlUrl) args.push('-postgresql', opts.postgresqlUrl);
  const sqliteDir = opts.postgresqlUrl ? undefined : opts.sqliteDir || path.join(ROOT, 'data', 'db');
  if (sqliteDir) {
    args.push('-sqlite', sqliteDir);
    privateDir(sqliteDir);
  }

  // The database creates its files with the umask it inherits: 0077 gives 0600 files (0644 before:
  // every local user could read bills and usage).
  const umask = process.umask(0o077);
  let child;
  try {
    child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: !!opts.detached });
  } finally {
    process.umask(umask);
  }
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
