// Real SIP software for the switch tests and the switch bench: Kamailio with the shipped
// switch/kamailio/kamailio.cfg, SIPp as the buyer's switch (UAC) and as carrier trunks (UAS).
// Every process is started on free loopback ports, owned by the caller (stop() kills it by pid)
// and waited for with bounded waits.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { until } from './wait';

export const ROOT = path.resolve(__dirname, '..', '..');
export const KAMAILIO_CFG = path.join(ROOT, 'switch', 'kamailio', 'kamailio.cfg');
export const KAMAILIO_MODULES = '/usr/lib/x86_64-linux-gnu/kamailio/modules';
const SCENARIOS = path.join(__dirname, 'sipp');

/** Fails (never skips) when the switch software is missing: .ci/run installs it. */
export function requireSwitchSoftware(): void {
  const missing: string[] = [];
  for (const bin of ['kamailio', 'sipp']) if (spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0) missing.push(bin);
  for (const mod of ['http_client', 'rtjson', 'json', 'acc', 'dialog']) {
    if (!existsSync(path.join(KAMAILIO_MODULES, `${mod}.so`))) missing.push(`kamailio module ${mod}`);
  }
  if (missing.length) {
    throw new Error(
      `switch test needs ${missing.join(', ')}: .ci/run installs them ` +
        '(apt-get install kamailio kamailio-json-modules kamailio-utils-modules sip-tester)',
    );
  }
}

/** A UDP port on 127.0.0.1 nobody holds at the moment of asking. */
export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** True once some process has bound the UDP port (our bind fails with EADDRINUSE). */
function udpPortTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket({ type: 'udp4', reuseAddr: false });
    s.once('error', () => resolve(true));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(false)));
  });
}

export interface Proc {
  name: string;
  child: ChildProcess;
  /** stdout + stderr so far. */
  output(): string;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

function start(name: string, cmd: string, args: string[], cwd: string): Proc {
  // A process group of its own, so stop() also ends the children Kamailio forks.
  const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const chunks: Buffer[] = [];
  child.stdout!.on('data', (c: Buffer) => chunks.push(c));
  child.stderr!.on('data', (c: Buffer) => chunks.push(c));
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null)));
    child.once('error', () => resolve(-2));
  });
  let done = false;
  void exited.then(() => (done = true));
  return {
    name,
    child,
    output: () => Buffer.concat(chunks).toString('utf8'),
    exited,
    async stop() {
      if (done || child.pid === undefined) return;
      const kill = (sig: NodeJS.Signals) => {
        try {
          process.kill(-child.pid!, sig);
        } catch {
          /* already gone */
        }
      };
      kill('SIGTERM');
      const t = setTimeout(() => kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** Sends a SIP OPTIONS and resolves with the status line of the answer, or null after `ms`. */
export function sipProbe(port: number, ms = 500): Promise<string | null> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    const t = setTimeout(() => (s.close(), resolve(null)), ms);
    s.on('message', (m) => {
      clearTimeout(t);
      s.close();
      resolve(m.toString('utf8').split('\r\n')[0]);
    });
    s.bind(0, '127.0.0.1', () => {
      const me = s.address().port;
      const id = `${Date.now()}${Math.random().toString(16).slice(2)}`;
      const msg =
        `OPTIONS sip:probe@127.0.0.1:${port} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${me};branch=z9hG4bK${id}\r\n` +
        `From: <sip:probe@127.0.0.1>;tag=${id}\r\nTo: <sip:probe@127.0.0.1>\r\nCall-ID: ${id}@probe\r\nCSeq: 1 OPTIONS\r\n` +
        `Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n`;
      s.send(msg, port, '127.0.0.1');
    });
  });
}

/** Sends one INVITE straight to the proxy and resolves with the final status line (failures only: no ACK dialog). */
export function sipInvite(port: number, number: string, ms = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    const t = setTimeout(() => (s.close(), reject(new Error(`no final answer to INVITE ${number} within ${ms} ms`))), ms);
    s.on('message', (m) => {
      const line = m.toString('utf8').split('\r\n')[0];
      if (/^SIP\/2\.0 1\d\d/.test(line)) return;
      clearTimeout(t);
      s.close();
      resolve(line);
    });
    s.bind(0, '127.0.0.1', () => {
      const me = s.address().port;
      const id = `${Date.now()}${Math.random().toString(16).slice(2)}`;
      const msg =
        `INVITE sip:${number}@127.0.0.1:${port} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${me};branch=z9hG4bK${id}\r\n` +
        `From: <sip:probe@127.0.0.1>;tag=${id}\r\nTo: <sip:${number}@127.0.0.1>\r\nCall-ID: ${id}@probe\r\nCSeq: 1 INVITE\r\n` +
        `Contact: <sip:probe@127.0.0.1:${me}>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`;
      s.send(msg, port, '127.0.0.1');
    });
  });
}

export interface KamailioOptions {
  port: number;
  routeServer: string;
  switchKey: string;
  buyerId: string;
  children?: number;
  dir: string;
}

/** Kamailio in the foreground (-DD), logging to stderr (-E), with the shipped config; resolves when it answers SIP. */
export async function startKamailio(o: KamailioOptions): Promise<Proc & { cdrLines(): string[] }> {
  const q = (v: string) => `"${v.replace(/"/g, '')}"`;
  const args = [
    '-DD', '-E', '-f', KAMAILIO_CFG, '-L', KAMAILIO_MODULES, '-Y', o.dir,
    '-A', `ROUTE_SERVER=${q(o.routeServer)}`,
    '-A', `SWITCH_KEY=${q(o.switchKey)}`,
    '-A', `BUYER_ID=${q(o.buyerId)}`,
    '-A', `LISTEN=udp:127.0.0.1:${o.port}`,
    '-A', `CHILDREN=${o.children ?? 4}`,
  ];
  const p = start('kamailio', 'kamailio', args, o.dir);
  try {
    await until(async () => {
      if (p.child.exitCode !== null) throw new Error(`kamailio exited (${p.child.exitCode}):\n${p.output().slice(-3000)}`);
      return (await sipProbe(o.port, 200)) !== null;
    }, { message: 'kamailio to answer SIP', timeout: 20_000, interval: 50 });
  } catch (e) {
    await p.stop();
    throw e;
  }
  return Object.assign(p, { cdrLines: () => p.output().split('\n').filter((l) => l.includes('log_write_cdr')) });
}

/** A carrier trunk: SIPp answering every INVITE and logging the number it was sent to. */
export async function startUas(name: string, port: number, dir: string): Promise<Proc & { logFile: string; numbers(): string[] }> {
  const logFile = path.join(dir, `${name}.numbers.log`);
  writeFileSync(logFile, '');
  const args = ['-sf', path.join(SCENARIOS, 'uas.xml'), '-i', '127.0.0.1', '-p', String(port), '-nostdin', '-trace_logs', '-log_file', logFile];
  const p = start(name, 'sipp', args, dir);
  await until(async () => {
    if (p.child.exitCode !== null) throw new Error(`${name} exited (${p.child.exitCode}):\n${p.output().slice(-2000)}`);
    return udpPortTaken(port);
  }, { message: `${name} (sipp UAS) to bind 127.0.0.1:${port}`, timeout: 10_000 });
  return Object.assign(p, {
    logFile,
    numbers: () => readFileSync(logFile, 'utf8').split('\n').map((l) => /^INVITE (\S+) /.exec(l)?.[1]).filter((n): n is string => !!n),
  });
}

export interface UacResult {
  exitCode: number | null;
  outgoing: number;
  successful: number;
  failed: number;
  /** Calls created per second over the run (SIPp's CallRate(C)). */
  callRate: number;
  output: string;
  elapsedMs: number;
}

/**
 * The buyer's switch: SIPp places `calls` calls to the numbers (used in turn, from an -inf file)
 * at `rate` calls/s, each held `holdMs`. Resolves when SIPp has finished (bounded).
 */
export async function runUac(o: { proxyPort: number; numbers: string[]; calls: number; rate: number; holdMs: number; dir: string; name?: string; boundMs?: number; localPort?: number }): Promise<UacResult> {
  const name = o.name ?? 'uac';
  const inf = path.join(o.dir, `${name}.numbers.csv`);
  writeFileSync(inf, ['SEQUENTIAL', ...o.numbers.map((n) => `${n};`)].join('\n') + '\n');
  const stat = path.join(o.dir, `${name}.stat.csv`);
  const localPort = o.localPort ?? (await freeUdpPort());
  const args = [
    '-sf', path.join(SCENARIOS, 'uac.xml'), '-inf', inf, `127.0.0.1:${o.proxyPort}`,
    '-i', '127.0.0.1', '-p', String(localPort),
    '-m', String(o.calls), '-r', String(o.rate), '-l', String(Math.max(10, Math.ceil(o.rate * (o.holdMs / 1000 + 2)))),
    '-d', String(o.holdMs), '-timeout', `${Math.ceil((o.boundMs ?? 60_000) / 1000)}s`, '-timeout_error',
    '-nostdin', '-trace_stat', '-stf', stat, '-fd', '1',
  ];
  const started = Date.now();
  const p = start(name, 'sipp', args, o.dir);
  const bound = setTimeout(() => void p.stop(), (o.boundMs ?? 60_000) + 10_000);
  const exitCode = await p.exited;
  clearTimeout(bound);
  const elapsedMs = Date.now() - started;
  const rows = existsSync(stat) ? readFileSync(stat, 'utf8').trim().split('\n') : [];
  if (rows.length < 2) throw new Error(`sipp wrote no statistics (exit ${exitCode}):\n${p.output().slice(-3000)}`);
  const header = rows[0].split(';');
  const last = rows[rows.length - 1].split(';');
  // Date columns contain a tab-separated date and time, never a ';': the columns line up.
  const col = (n: string) => Number(last[header.indexOf(n)]);
  return { exitCode, outgoing: col('OutgoingCall(C)'), successful: col('SuccessfulCall(C)'), failed: col('FailedCall(C)'), callRate: col('CallRate(C)'), output: p.output(), elapsedMs };
}

/** CDR lines of Kamailio's log (the acc module's log_write_cdr) as key/value maps. */
export function parseCdrLine(line: string): Record<string, string> {
  const body = line.slice(line.indexOf('log_write_cdr(): ') + 'log_write_cdr(): '.length);
  const out: Record<string, string> = {};
  for (const part of body.split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}
