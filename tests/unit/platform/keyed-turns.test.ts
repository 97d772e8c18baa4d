// The one per-key queue: work sharing a key runs one at a time in call order, work on other keys
// does not wait, overlapping key sets never deadlock, and a failed turn releases its keys.
import { KeyedTurns } from '@exchange/platform';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { opened, open };
}

describe('KeyedTurns', () => {
  it('runs work on a shared key one at a time, in the order it asked', async () => {
    const q = new KeyedTurns();
    const order: string[] = [];
    const hold = gate();
    const started = gate();
    const a = q.run(['k'], async () => {
      order.push('a start');
      started.open();
      await hold.opened;
      order.push('a end');
    });
    const b = q.run(['k', 'k'], async () => void order.push('b'));
    // b must not start while a holds k.
    await started.opened;
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['a start']);
    hold.open();
    await Promise.all([a, b]);
    expect(order).toEqual(['a start', 'a end', 'b']);
    expect(q.size).toBe(0);
  });

  it('lets work on other keys run while a key is held', async () => {
    const q = new KeyedTurns();
    const hold = gate();
    const a = q.run(['x'], () => hold.opened);
    await expect(q.run(['y'], async () => 'y done')).resolves.toBe('y done');
    hold.open();
    await a;
  });

  it('never deadlocks on crossing key sets and releases keys after a failure', async () => {
    const q = new KeyedTurns();
    const done: string[] = [];
    const runs = [
      q.run(['a', 'b'], async () => void done.push('ab')),
      q.run(['b', 'a'], async () => {
        throw new Error('refused');
      }),
      q.run(['b', 'c'], async () => void done.push('bc')),
      q.run(['c', 'a'], async () => void done.push('ca')),
    ];
    const results = await Promise.allSettled(runs);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(done).toEqual(['ab', 'bc', 'ca']);
    expect(q.size).toBe(0);
  });
});
