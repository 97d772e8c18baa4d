// Issue 26: where `npm run ingest` looks for billing, and how it tells a changed option.
import { billingTarget, checkpointDir, describeChanges } from '../../../billing-subgraph/src/cli/ingest-target';

describe('the importer finds billing the way the stack was started', () => {
  it('--url, then BILLING_URL, then BILLING_HOST/BILLING_PORT, then 127.0.0.1:4002; it says which', () => {
    expect(billingTarget('http://x:1/graphql', { BILLING_URL: 'http://y:2/graphql', BILLING_PORT: '5' })).toEqual({ url: 'http://x:1/graphql', from: '--url' });
    expect(billingTarget(undefined, { BILLING_URL: 'http://y:2/graphql', BILLING_PORT: '5' })).toEqual({ url: 'http://y:2/graphql', from: 'BILLING_URL' });
    expect(billingTarget(undefined, { BILLING_PORT: '14002' })).toEqual({ url: 'http://127.0.0.1:14002/graphql', from: 'BILLING_PORT' });
    expect(billingTarget(undefined, { BILLING_PORT: '14002', BILLING_HOST: '10.0.0.5' }).url).toBe('http://10.0.0.5:14002/graphql');
    // A wildcard bind address is reached on loopback.
    expect(billingTarget(undefined, { BILLING_HOST: '0.0.0.0' }).url).toBe('http://127.0.0.1:4002/graphql');
    expect(billingTarget(undefined, {})).toEqual({ url: 'http://127.0.0.1:4002/graphql', from: 'the default (BILLING_URL and BILLING_PORT unset)' });
  });

  it('keeps checkpoints in INGEST_CHECKPOINT_DIR, else the XDG state folder, never next to the file', () => {
    expect(checkpointDir({ INGEST_CHECKPOINT_DIR: '/var/lib/exchange/ckpt' })).toBe('/var/lib/exchange/ckpt');
    expect(checkpointDir({ XDG_STATE_HOME: '/home/op/.state' })).toBe('/home/op/.state/telecom-exchange/ingest');
  });

  it('names each changed option with its old and new value', () => {
    expect(describeChanges({ carrier: 'carrier-north', timezone: null, buyer: 'b' }, { carrier: 'carrier-atlas', timezone: 'UTC', buyer: 'b' })).toEqual(['--carrier carrier-north → carrier-atlas', '--timezone (not given) → UTC']);
    expect(describeChanges({ carrier: 'c' }, { carrier: 'c' })).toEqual([]);
  });
});
