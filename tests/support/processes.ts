// Helpers for tests that run services as real OS processes (what `npm start` and operators do).
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** PIDs of every live descendant of `pid`, read from /proc (Linux). */
export function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Field 4 is the ppid; the command name (field 2) may contain spaces, so split after ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parentOf.set(Number(entry), ppid);
    } catch {
      /* exited meanwhile */
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [child, parent] of parentOf) if (parent === p) (out.push(child), walk(child));
  };
  walk(pid);
  return out;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    return state !== 'Z';
  } catch {
    return false;
  }
}

/** Spawns a process and collects its output; `waitFor` resolves when a line matches. */
export function run(command: string, args: string[], env: NodeJS.ProcessEnv, opts: { detached?: boolean; cwd?: string } = {}) {
  // detached: its own process group, as a command started in a terminal is (Ctrl-C signals the group: process.kill(-pid, 'SIGINT')).
  const child: ChildProcess = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: !!opts.detached, ...(opts.cwd ? { cwd: opts.cwd } : {}) });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  // 'close' comes after the last output ('exit' may come before it).
  let closed = false;
  child.once('close', () => (closed = true));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    exited,
    output: () => ({ stdout, stderr }),
    /** Resolves when stdout or stderr matches (checked as output arrives); fails on exit or after the bound. */
    waitFor(re: RegExp, timeoutMs = 90_000): Promise<RegExpExecArray> {
      const match = () => re.exec(stdout) ?? re.exec(stderr);
      const already = match();
      if (already) return Promise.resolve(already);
      return new Promise((resolve, reject) => {
        const done = () => {
          clearTimeout(timer);
          child.stdout!.off('data', check);
          child.stderr!.off('data', check);
          child.off('close', onClose);
        };
        // Registered after the collectors above, so the output already holds this chunk.
        const check = () => {
          const m = match();
          if (m) (done(), resolve(m));
        };
        const onClose = () => {
          done();
          reject(new Error(`process exited (${child.exitCode ?? child.signalCode}) before ${re}; stderr: ${stderr.slice(-2000)}`));
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${re}; stdout: ${stdout.slice(-2000)} stderr: ${stderr.slice(-2000)}`));
        }, timeoutMs);
        child.stdout!.on('data', check);
        child.stderr!.on('data', check);
        child.once('close', onClose);
        if (closed) onClose();
      });
    },
  };
}
