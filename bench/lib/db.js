'use strict';
// The embedded database for the benchmarks (FerretDB on a temporary SQLite directory, exactly as
// the integration tests start it), plus a counting TCP proxy: every MongoDB wire-protocol request
// that passes through it is one database round trip, tallied by command name. Services that are
// pointed at a proxy's URI can then be measured in round trips no matter which process they run in.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { startFerretDB } = require('../../tools/lib/ferretdb');

async function startDatabase() {
  if (process.env.MONGODB_URI) {
    return { uri: process.env.MONGODB_URI, backend: 'external (MONGODB_URI)', pid: null, dir: null, stop: async () => undefined };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exchange-bench-db-'));
  const db = await startFerretDB({ sqliteDir: dir });
  // Should the benchmark die without stopping it, a watchdog stops the database and removes its files.
  const watchdog = spawn(
    process.execPath,
    [
      '-e',
      `const [b, d, dir] = process.argv.slice(1);
       setInterval(() => {
         try { process.kill(+b, 0); } catch {
           try { process.kill(+d, 'SIGTERM'); } catch {}
           setTimeout(() => { try { require('fs').rmSync(dir, { recursive: true, force: true }); } catch {} process.exit(0); }, 5000);
         }
       }, 1000);`,
      String(process.pid),
      String(db.child.pid),
      dir,
    ],
    { detached: true, stdio: 'ignore' },
  );
  watchdog.unref();
  return {
    uri: db.uri,
    backend: 'FerretDB/SQLite',
    pid: db.child.pid,
    dir,
    async stop() {
      try {
        watchdog.kill();
      } catch {
        /* already gone */
      }
      await db.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Name of the command in an OP_MSG (its body document's first key); other opcodes by number. */
function commandName(msg) {
  try {
    return commandNameUnsafe(msg);
  } catch {
    return 'unknown';
  }
}

function commandNameUnsafe(msg) {
  const opCode = msg.readInt32LE(12);
  if (opCode !== 2013) return `op${opCode}`;
  // header(16) flagBits(4), then sections; kind 0 = body document.
  let off = 20;
  while (off < msg.length) {
    const kind = msg[off];
    if (kind === 0) {
      const docStart = off + 1;
      // int32 size, element type byte, cstring key
      const keyStart = docStart + 5;
      const keyEnd = msg.indexOf(0, keyStart);
      if (keyEnd < 0) return 'unknown';
      return msg.toString('latin1', keyStart, keyEnd);
    }
    // kind 1: int32 size then payload; skip
    const size = msg.readInt32LE(off + 1);
    off += 1 + size;
  }
  return 'unknown';
}

/**
 * Splits a wire-protocol byte stream into messages without copying their bodies: `onMessage`
 * gets the first `headBytes` bytes (or the whole message if shorter) of each message.
 */
function messageSplitter(headBytes, onMessage) {
  let head = Buffer.alloc(0);
  let skip = 0; // bytes of the current message still to pass over
  return (chunk) => {
    let off = 0;
    while (off < chunk.length) {
      if (skip > 0) {
        const n = Math.min(skip, chunk.length - off);
        skip -= n;
        off += n;
        continue;
      }
      // collect the head of the next message
      const want = Math.max(16, head.length >= 4 ? Math.min(headBytes, head.readInt32LE(0)) : 16);
      const take = Math.min(want - head.length, chunk.length - off);
      head = Buffer.concat([head, chunk.subarray(off, off + take)]);
      off += take;
      if (head.length < 4) continue;
      const len = head.readInt32LE(0);
      const need = Math.min(headBytes, len);
      if (head.length < need) continue;
      onMessage(head);
      skip = len - head.length;
      head = Buffer.alloc(0);
    }
  };
}

/** "command collection" for commands whose first value is a collection name (find, insert, update…). */
function commandTarget(msg) {
  try {
    if (msg.readInt32LE(12) !== 2013 || msg[20] !== 0) return commandName(msg);
    const docStart = 21;
    const type = msg[docStart + 4];
    const keyStart = docStart + 5;
    const keyEnd = msg.indexOf(0, keyStart);
    const name = msg.toString('latin1', keyStart, keyEnd);
    if (type !== 0x02) return name;
    const len = msg.readInt32LE(keyEnd + 1);
    return `${name} ${msg.toString('utf8', keyEnd + 5, keyEnd + 5 + len - 1)}`;
  } catch {
    return commandName(msg);
  }
}

/** Connection-management commands the driver sends on its own (not caused by application work). */
const HOUSEKEEPING = new Set(['hello', 'isMaster', 'ismaster', 'ping', 'endSessions', 'saslStart', 'saslContinue', 'buildInfo', 'buildinfo']);

/**
 * A TCP proxy in front of the database that counts requests (round trips) by command name.
 * `uri` is the database URI rewritten to the proxy's port.
 */
async function startCountingProxy(dbUri) {
  const target = new URL(dbUri.replace(/^mongodb:\/\//, 'http://'));
  const counts = new Map();
  const times = new Map();
  const targets = new Map();
  const sockets = new Set();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client);
    sockets.add(upstream);
    const pending = [];
    // Requests: the command name is read from the first bytes of each message.
    const requests = messageSplitter(256, (head) => {
      const name = commandName(head);
      counts.set(name, (counts.get(name) ?? 0) + 1);
      const target = commandTarget(head);
      pending.push({ name, target, t: process.hrtime.bigint() });
    });
    // Responses come back in request order on a connection: the time between the two is the
    // database's time for that request.
    const responses = messageSplitter(16, () => {
      const req = pending.shift();
      if (req) {
        const ms = Number(process.hrtime.bigint() - req.t) / 1e6;
        times.set(req.name, (times.get(req.name) ?? 0) + ms);
        const t = targets.get(req.target) ?? { n: 0, ms: 0 };
        t.n++;
        t.ms += ms;
        targets.set(req.target, t);
      }
    });
    client.on('data', (chunk) => {
      upstream.write(chunk);
      requests(chunk);
    });
    upstream.on('data', (chunk) => {
      client.write(chunk);
      responses(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const port = server.address().port;
  const uri = dbUri.replace(/\/\/([^/@]*@)?[^/:]+:\d+/, (_m, auth) => `//${auth ?? ''}127.0.0.1:${port}`);
  return {
    uri,
    /** Application round trips (housekeeping excluded) since the last reset, and by command. */
    snapshot() {
      const byCommand = {};
      const msByCommand = {};
      let total = 0;
      for (const [k, v] of counts) {
        if (HOUSEKEEPING.has(k)) continue;
        byCommand[k] = v;
        msByCommand[k] = Math.round(times.get(k) ?? 0);
        total += v;
      }
      const byTarget = {};
      for (const [k, v] of targets) if (!HOUSEKEEPING.has(k.split(' ')[0])) byTarget[k] = { n: v.n, ms: Math.round(v.ms) };
      return { total, byCommand, msByCommand, byTarget };
    },
    reset() {
      counts.clear();
      times.clear();
      targets.clear();
    },
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

module.exports = { startDatabase, startCountingProxy, commandName };
