// The one periodic runner of both subgraphs: never two passes at once, a kick during a pass gets
// exactly one more pass, a failing pass is logged and the loop goes on, stop waits for the pass.
import pino from 'pino';
import { PeriodicJob } from '@exchange/platform';

function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { logger, lines };
}

/** A promise and its resolve, to hold a pass open until the test lets it finish. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { opened, open };
}

describe('PeriodicJob', () => {
  it('never overlaps: a run() during a pass asks for exactly one more pass and resolves after it', async () => {
    const { logger } = capturedLogger();
    let active = 0;
    let maxActive = 0;
    let passes = 0;
    const first = gate();
    const job = new PeriodicJob('t', 3_600_000, async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      passes++;
      if (passes === 1) await first.opened;
      active--;
    }, logger);
    const a = job.run();
    const b = job.run();
    const c = job.run();
    first.open();
    await Promise.all([a, b, c]);
    expect(passes).toBe(2);
    expect(maxActive).toBe(1);
    await job.stop();
  });

  it('logs a failing pass with its name and keeps running later passes', async () => {
    const { logger, lines } = capturedLogger();
    let calls = 0;
    const job = new PeriodicJob('flaky', 3_600_000, async () => {
      calls++;
      if (calls === 1) throw new Error('boom');
    }, logger);
    await expect(job.run()).resolves.toBeUndefined();
    await job.run();
    expect(calls).toBe(2);
    expect(lines).toEqual([expect.objectContaining({ level: 50, job: 'flaky', err: 'boom', msg: 'flaky pass failed' })]);
    await job.stop();
  });

  it('start(0) runs the first pass at once and then keeps its schedule; stop() waits for the running pass', async () => {
    const { logger } = capturedLogger();
    const second = gate();
    const release = gate();
    let passes = 0;
    let finished = false;
    const job = new PeriodicJob('loop', 1, async () => {
      passes++;
      if (passes === 2) {
        second.open();
        await release.opened;
        finished = true;
      }
    }, logger);
    job.start(0);
    await second.opened; // the loop came round again by itself
    const stopped = job.stop();
    release.open();
    await stopped;
    expect(finished).toBe(true);
    const after = passes;
    job.kick();
    await job.run();
    expect(passes).toBe(after); // nothing runs after stop
    // A stopped job can be started again (an instance taking over closing auctions).
    const more = gate();
    const resumed = new PeriodicJob('resume', 3_600_000, async () => more.open(), logger);
    await resumed.stop();
    resumed.start(0);
    await more.opened;
    await resumed.stop();
  });
});
