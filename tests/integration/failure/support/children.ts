// Subgraphs as real OS processes (from the built dist/, as `npm start` runs them), so a test can
// SIGKILL one mid-work: no graceful shutdown, no finally blocks, exactly what a crash does.
import path from 'node:path';
import { run } from '../../../support/processes';
import { until } from '../../../support/wait';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const { freePort } = require('../../../../tools/lib/ferretdb') as { freePort: () => Promise<number> };

export type ServiceName = 'moderator' | 'billing' | 'gateway';

export interface ChildService {
  url: string;
  port: number;
  pid: number;
  /** Resolves with the exit of the process. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): { stdout: string; stderr: string };
  /** SIGKILL, and wait until the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM (graceful), bounded; SIGKILL if it does not exit in time. */
  stop(): Promise<void>;
}

// Children that outlive a failed test would hold ports and database connections: kill them on exit.
const live = new Set<number>();
process.once('exit', () => {
  for (const pid of live) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn' };
  for (const k of ['MONGODB_URI', 'MODERATOR_MONGODB_URI', 'BILLING_MONGODB_URI', 'REDIS_URL', 'NODE_OPTIONS']) delete env[k];
  return { ...env, ...extra };
}

/** Starts `<service>-subgraph/dist/main.js` (the gateway: `gateway/dist/main.js`) with `env` on `port` and waits until /ready answers 200. */
export async function startChild(service: ServiceName, port: number, env: Record<string, string>, timeoutMs = 30_000): Promise<ChildService> {
  const portVar = service === 'moderator' ? 'MODERATOR_PORT' : service === 'billing' ? 'BILLING_PORT' : 'GATEWAY_PORT';
  const main = service === 'gateway' ? path.join(ROOT, 'gateway', 'dist', 'main.js') : path.join(ROOT, `${service}-subgraph`, 'dist', 'main.js');
  const proc = run(process.execPath, [main], cleanEnv({ ...(service === 'moderator' ? { ROUTE_SERVER_PORT: '0' } : {}), ...env, [portVar]: String(port) }));
  const pid = proc.child.pid!;
  live.add(pid);
  void proc.exited.then(() => live.delete(pid));
  const base = `http://127.0.0.1:${port}`;
  try {
    await until(async () => {
      if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
        throw new Error(`${service} exited (${proc.child.exitCode ?? proc.child.signalCode}) before it was ready: ${proc.output().stderr.slice(-2000)}`);
      }
      return fetch(`${base}/ready`, { signal: AbortSignal.timeout(1000) }).then((r) => r.status === 200, () => false); // not listening yet
    }, { message: `${service} to answer /ready`, timeout: timeoutMs });
  } catch (err) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) throw err;
    proc.child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}; stderr: ${proc.output().stderr.slice(-2000)}`);
  }
  const gone = () => proc.child.exitCode !== null || proc.child.signalCode !== null;
  return {
    url: `${base}/graphql`,
    port,
    pid: proc.child.pid!,
    exited: proc.exited,
    output: proc.output,
    async kill() {
      if (!gone()) proc.child.kill('SIGKILL');
      await proc.exited;
    },
    async stop() {
      if (gone()) return;
      proc.child.kill('SIGTERM');
      const t = setTimeout(() => proc.child.kill('SIGKILL'), 10_000);
      await proc.exited;
      clearTimeout(t);
    },
  };
}

export { until };
