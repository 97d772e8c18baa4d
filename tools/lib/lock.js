'use strict';
// One stack per embedded-database directory. FerretDB on SQLite keeps its files in DB_DIR; two
// launchers on the same files corrupt each other's view of them, so `npm start` and
// `npm run start:db` take a lock file in DB_DIR first and refuse, with a clear message, when a
// live process holds it. A lock left by a process that died (kill -9, power loss) is taken over.
const fs = require('node:fs');
const path = require('node:path');

const LOCK_NAME = '.exchange-db.lock';

class LockHeldError extends Error {
  constructor(message, holder) {
    super(message);
    this.name = 'LockHeldError';
    this.holder = holder;
  }
}

function processAlive(pid) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists, it is only someone else's.
    return err.code === 'EPERM';
  }
  // A zombie is dead for our purpose; so is a PID reused by a program that is not one of ours.
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z') return false;
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return /node/.test(cmdline);
  } catch {
    return true; // no /proc (not Linux): trust kill(0)
  }
}

function readHolder(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

/**
 * Takes the lock of `dir` for this process, or throws LockHeldError naming the holder.
 * @param {string} dir the database directory (created if missing)
 * @param {{ purpose?: string }} [opts]
 * @returns {{ file: string, release: () => void }}
 */
function acquireDirLock(dir, opts = {}) {
  const abs = path.resolve(dir);
  fs.mkdirSync(abs, { recursive: true });
  const file = path.join(abs, LOCK_NAME);
  const mine = { pid: process.pid, startedAt: new Date().toISOString(), purpose: opts.purpose || path.basename(process.argv[1] || 'node') };
  for (let attempt = 0; attempt < 5; attempt++) {
    let fd;
    try {
      fd = fs.openSync(file, 'wx');
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      const holder = readHolder(file);
      if (holder && holder.pid !== process.pid && processAlive(holder.pid)) {
        throw new LockHeldError(
          `DB_DIR ${abs} is in use by another stack (pid ${holder.pid}, ${holder.purpose || 'unknown'}, since ${holder.startedAt || 'unknown'}). ` +
            'Stop it first, or set DB_DIR to another directory (or MONGODB_URI to use a running database).',
          holder,
        );
      }
      // Stale (its process is gone) or unreadable (a writer died mid-write): take it over, unless
      // another starter just did (then the next round finds its live lock).
      const again = readHolder(file);
      if (JSON.stringify(again) !== JSON.stringify(holder)) continue;
      try {
        fs.unlinkSync(file);
      } catch (e) {
        if (e.code !== 'ENOENT') throw e;
      }
      continue;
    }
    fs.writeSync(fd, JSON.stringify(mine) + '\n');
    fs.closeSync(fd);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      process.removeListener('exit', release);
      // Only our own lock: never remove one a later stack took over.
      const holder = readHolder(file);
      if (holder && holder.pid === process.pid) {
        try {
          fs.unlinkSync(file);
        } catch {
          /* already gone */
        }
      }
    };
    process.on('exit', release);
    return { file, release };
  }
  throw new Error(`could not take the lock ${file}`);
}

module.exports = { acquireDirLock, LockHeldError, LOCK_NAME };
