import pino from 'pino';
import { gql, startBilling, startGateway, startStack, token } from '../../support/harness';

describe('federation skeleton through the gateway', () => {
  let stack: Awaited<ReturnType<typeof startStack>>;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('joins a moderator-owned ServiceRequest with a billing-owned field in one query', async () => {
    const id = 'sr_federation_join';
    await stack.moderator.models.ServiceRequest.create({ _id: id, status: 'OPEN', createdAt: new Date() });
    await stack.billing.models.Bill.create({ _id: 'b1', requestId: id, issuedAt: new Date() });
    await stack.billing.models.Bill.create({ _id: 'b2', requestId: id, issuedAt: new Date() });
    const admin = await token('ADMIN', 'admin-1');
    const r = await gql(stack.gateway.url, `query($id: ID!) { serviceRequest(id: $id) { id status billCount } }`, { id }, admin);
    expect(r.errors).toBeUndefined();
    expect(r.data).toEqual({ serviceRequest: { id, status: 'OPEN', billCount: 2 } });
  });

  it('keeps the two subgraphs in separate databases', async () => {
    expect(stack.moderator.conn.name).not.toEqual(stack.billing.conn.name);
    const billingCollections = (await stack.billing.conn.db!.listCollections().toArray()).map((c) => c.name);
    expect(billingCollections).not.toContain('service_requests');
  });

  it('serves /health and /ready on every service', async () => {
    for (const url of [stack.moderator.url, stack.billing.url, stack.gateway.url]) {
      const base = new URL(url);
      const health = await fetch(new URL('/health', base));
      expect(health.status).toBe(200);
      const ready = await fetch(new URL('/ready', base));
      expect(ready.status).toBe(200);
      expect((await ready.json()).status).toBe('ready');
    }
  });

  it('exposes Prometheus metrics per service', async () => {
    const res = await fetch(new URL('/metrics', stack.moderator.url));
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).toContain('http_request_duration_seconds');
    expect(text).toContain('service="moderator"');
    // Process metrics (memory, event loop) are there too, once.
    expect(text.match(/^# TYPE process_resident_memory_bytes /gm)).toHaveLength(1);
  });

  it('flows the request id from the gateway to the subgraphs and back', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = { write: (l: string) => void lines.push(JSON.parse(l)) };
    const billing = await startBilling({}, { logger: pino({ level: 'debug' }, sink) });
    const gateway = await startGateway({ moderator: stack.moderator.url, billing: billing.url });
    try {
      const res = await fetch(gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'trace-abc-123' },
        body: JSON.stringify({ query: '{ billingVersion }' }),
      });
      expect(res.headers.get('x-request-id')).toBe('trace-abc-123');
      expect(lines.some((l) => l.requestId === 'trace-abc-123' && l.msg === 'graphql operation')).toBe(true);
    } finally {
      await gateway.stop();
      await billing.conn.dropDatabase();
      await billing.stop();
    }
  });

  it('rejects an invalid token with UNAUTHENTICATED', async () => {
    const r = await gql(stack.gateway.url, '{ billingVersion }', {}, 'not-a-jwt');
    expect(r.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
