// A subgraph binds its port inside start(), so a supervisor (npm start, systemd, a test) can see it
// listening and send SIGTERM before start() has returned. The service must then stop cleanly once
// start is done (exit 0 after app.stop), not die of the signal's default action (seen in CI as a
// billing process killed with no exit code).
import { runService, type RunningService } from '../../../platform/src/startup';

type Exit = jest.SpyInstance<never, [code?: string | number | null | undefined]>;

describe('runService and signals', () => {
  let exit: Exit;
  let before: { term: Function[]; int: Function[] };

  beforeEach(() => {
    before = { term: process.listeners('SIGTERM'), int: process.listeners('SIGINT') };
    exit = jest.spyOn(process, 'exit').mockImplementation((() => undefined) as never) as unknown as Exit;
  });

  afterEach(() => {
    exit.mockRestore();
    for (const l of process.listeners('SIGTERM')) if (!before.term.includes(l)) process.removeListener('SIGTERM', l as never);
    for (const l of process.listeners('SIGINT')) if (!before.int.includes(l)) process.removeListener('SIGINT', l as never);
  });

  function service() {
    let finishStart!: () => void;
    const started = new Promise<void>((r) => (finishStart = r));
    const calls: string[] = [];
    const app: RunningService = {
      url: 'http://127.0.0.1:1/graphql',
      port: 1,
      logger: { info: (_o, msg) => calls.push(`info ${msg}`), warn: (_o, msg) => calls.push(`warn ${msg}`) },
      stop: async () => {
        calls.push('stop');
      },
    };
    runService({
      service: 'test-service',
      portVariable: 'TEST_PORT',
      loadConfig: () => ({}),
      start: async () => {
        await started;
        return app;
      },
      started: () => calls.push('started'),
    });
    return { finishStart, calls };
  }

  const settle = () => new Promise((r) => setImmediate(r));

  it('a SIGTERM during start stops the service cleanly once start returns', async () => {
    const { finishStart, calls } = service();
    await settle();
    process.emit('SIGTERM', 'SIGTERM');
    await settle();
    expect(calls).toEqual([]);
    expect(exit).not.toHaveBeenCalled();
    finishStart();
    await settle();
    await settle();
    expect(calls).toEqual(['info shutting down', 'stop']);
    expect(exit).toHaveBeenCalledWith(0);
  });

  it('a second signal during start exits at once', async () => {
    service();
    await settle();
    process.emit('SIGINT', 'SIGINT');
    expect(exit).not.toHaveBeenCalled();
    process.emit('SIGINT', 'SIGINT');
    expect(exit).toHaveBeenCalledWith(1);
  });

  it('a SIGTERM after start stops the app and exits 0', async () => {
    const { finishStart, calls } = service();
    finishStart();
    await settle();
    await settle();
    expect(calls).toEqual(['started']);
    process.emit('SIGTERM', 'SIGTERM');
    await settle();
    expect(calls).toEqual(['started', 'info shutting down', 'stop']);
    expect(exit).toHaveBeenCalledWith(0);
  });
});
