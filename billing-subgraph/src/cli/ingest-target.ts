/**
 * Where the importer sends its records and keeps its checkpoints: found the way the stack was
 * started (so the README's example runs as written), and said in one line when it is wrong.
 *
 * The billing API: --url, else BILLING_URL, else billing's own port on this host (BILLING_HOST,
 * BILLING_PORT as `npm start` and `npm run start:billing` read them). The importer talks to
 * billing directly, never through the gateway: an independent billing operator runs no gateway.
 *
 * Checkpoints live outside the repository and the CDR folders (a switch's spool or a fixture
 * folder is no place for state): INGEST_CHECKPOINT_DIR, else $XDG_STATE_HOME/telecom-exchange/ingest,
 * else ~/.local/state/telecom-exchange/ingest (the temp folder when there is no home).
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface BillingTarget {
  url: string;
  /** Which setting gave the URL, for the error message. */
  from: string;
}

export function billingTarget(flag: string | undefined, env: NodeJS.ProcessEnv): BillingTarget {
  if (flag) return { url: flag, from: '--url' };
  if (env.BILLING_URL) return { url: env.BILLING_URL, from: 'BILLING_URL' };
  const port = env.BILLING_PORT || '4002';
  const host = !env.BILLING_HOST || env.BILLING_HOST === '0.0.0.0' || env.BILLING_HOST === '::' ? '127.0.0.1' : env.BILLING_HOST;
  const from = env.BILLING_PORT ? 'BILLING_PORT' : 'the default (BILLING_URL and BILLING_PORT unset)';
  return { url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/graphql`, from };
}

const HOW = 'set --url or BILLING_URL to billing\'s /graphql endpoint (or BILLING_PORT to the port `npm start` was given)';

/**
 * One question to billing before the file is read: is it there, and is it billing? Throws an
 * error whose message is the one line the operator needs; nothing has been sent then.
 */
export async function checkBilling(target: BillingTarget, fetchImpl: typeof fetch = fetch): Promise<void> {
  let res: Response;
  try {
    res = await fetchImpl(target.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ billingVersion }' }), signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    // fetch's own message is only "fetch failed": the cause says why (ECONNREFUSED, ENOTFOUND, bad port).
    const c = (err as { cause?: { code?: string; message?: string } }).cause;
    const cause = c?.code ?? c?.message ?? (err as Error).message;
    throw new Error(`cannot reach billing at ${target.url} (from ${target.from}): ${cause}; is it running? ${HOW}; nothing was sent`);
  }
  let body: { data?: { billingVersion?: unknown }; errors?: { message: string }[] } | undefined;
  try {
    body = (await res.json()) as typeof body;
  } catch {
    body = undefined;
  }
  if (typeof body?.data?.billingVersion !== 'string') {
    throw new Error(`${target.url} (from ${target.from}) answered HTTP ${res.status} but is not the billing API${body?.errors?.[0] ? ` (${body.errors[0].message})` : ''}; ${HOW}; nothing was sent`);
  }
}

export function checkpointDir(env: NodeJS.ProcessEnv): string {
  if (env.INGEST_CHECKPOINT_DIR) return path.resolve(env.INIT_CWD || process.cwd(), env.INGEST_CHECKPOINT_DIR);
  const state = env.XDG_STATE_HOME || (os.homedir() ? path.join(os.homedir(), '.local', 'state') : os.tmpdir());
  return path.join(state, 'telecom-exchange', 'ingest');
}

/** The default checkpoint of `file` (an absolute path): one per file path, named so a person can tell which. */
export function defaultCheckpoint(file: string, env: NodeJS.ProcessEnv): string {
  const dir = checkpointDir(env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const key = createHash('sha256').update(path.resolve(file)).digest('hex').slice(0, 12);
  return path.join(dir, `${path.basename(file).replace(/[^A-Za-z0-9._-]/g, '_')}-${key}.json`);
}

/**
 * The options that decide what a row becomes (who is billed, when, which number): recorded in the
 * checkpoint, so a run with other options never silently resumes or skips an import made with the
 * old ones. Values are as given; files (mapping, trunk map) by their contents' hash.
 */
export type RowDecidingOptions = Record<string, string | number | boolean | null>;

export function describeChanges(before: RowDecidingOptions, now: RowDecidingOptions): string[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(now)])].sort();
  const show = (v: unknown) => (v === undefined || v === null ? '(not given)' : String(v));
  return keys.filter((k) => (before[k] ?? null) !== (now[k] ?? null)).map((k) => `--${k} ${show(before[k])} → ${show(now[k])}`);
}
