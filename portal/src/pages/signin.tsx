import { useEffect, useState } from 'preact/hooks';
import { demoToken, gql } from '../api';
import { readToken, ROLE_LABEL, type Session } from '../session';
import { ErrorText, PageTitle } from '../ui';
import BUYER_ME from './signin/buyer-me.graphql';
import CARRIER_ME from './signin/carrier-me.graphql';
import PING from './signin/ping.graphql';
import DEMO_PARTIES from './signin/demo-parties.graphql';

/** Names the signed-in party through the API (which also proves the token is accepted). */
export async function describeParty(s: Omit<Session, 'name'>): Promise<Session> {
  if (s.role === 'BUYER') {
    const d = await gql<{ buyer: { name: string } | null }>(BUYER_ME, { id: s.sub }, s.token);
    if (!d.buyer) throw new Error(`No buyer "${s.sub}" is registered at the exchange.`);
    return { ...s, name: d.buyer.name };
  }
  if (s.role === 'CARRIER') {
    const d = await gql<{ carrier: { name: string } | null }>(CARRIER_ME, { id: s.sub }, s.token);
    if (!d.carrier) throw new Error(`No carrier "${s.sub}" is registered at the exchange.`);
    return { ...s, name: d.carrier.name };
  }
  await gql(PING, {}, s.token);
  return { ...s, name: s.sub };
}

interface DemoParty {
  role: string;
  id: string;
  name: string;
  detail?: string;
}

/**
 * Sign-in: paste a bearer token, or (only where the gateway runs on the development secret)
 * pick a demo party. The party list comes from the public API, read with a demo operator token.
 */
export function SignIn({ onSignedIn, notice }: { onSignedIn: (s: Session) => void; notice?: string }) {
  const [token, setTokenText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [demo, setDemo] = useState<DemoParty[] | null | 'unavailable'>(null);
  const [demoError, setDemoError] = useState<string | null>(null);

  useEffect(() => {
    let gone = false;
    (async () => {
      try {
        const admin = await demoToken('ADMIN', 'portal-demo-admin');
        if (!admin) return void (gone || setDemo('unavailable'));
        const d = await gql<{ buyers: { id: string; name: string; isReseller: boolean }[]; carriers: { id: string; name: string; coverage: string[] }[] }>(
          DEMO_PARTIES,
          {},
          admin,
        );
        if (gone) return;
        setDemo([
          ...d.buyers.map((b) => ({ role: 'BUYER', id: b.id, name: b.name, detail: b.isReseller ? 'reseller' : undefined })),
          ...d.carriers.map((c) => ({ role: 'CARRIER', id: c.id, name: c.name, detail: `covers ${c.coverage.join(', ')}` })),
          { role: 'BILLING_AGENT', id: 'billing-agent-demo', name: 'Billing agent' },
          { role: 'ADMIN', id: 'admin-demo', name: 'Administrator' },
        ]);
      } catch (e) {
        if (!gone) {
          setDemo('unavailable');
          setDemoError((e as Error).message);
        }
      }
    })();
    return () => {
      gone = true;
    };
  }, []);

  const finish = async (raw: string) => {
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await describeParty(readToken(raw)));
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const pickDemo = async (p: DemoParty) => {
    setBusy(true);
    setError(null);
    try {
      const t = await demoToken(p.role, p.id);
      if (!t) throw new Error('Demo sign-in is not available on this exchange.');
      await finish(t);
    } catch (e) {
      setError((e as Error).message);
      setBusy(false);
    }
  };

  return (
    <div class="signin">
      <PageTitle>Sign in</PageTitle>
      {notice && (
        <p class="alert alert-warn" role="status">
          {notice}
        </p>
      )}
      <ErrorText error={error} />
      <section class="card" aria-labelledby="token-h">
        <h2 id="token-h">With a token</h2>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void finish(token);
          }}
        >
          <div class="field">
            <label for="token">Bearer token</label>
            <textarea
              id="token"
              name="token"
              rows={4}
              required
              spellcheck={false}
              autocomplete="off"
              aria-describedby="token-hint"
              value={token}
              onInput={(e) => setTokenText((e.target as HTMLTextAreaElement).value)}
            />
            <small id="token-hint" class="hint">
              The JWT your exchange operator or identity provider issued (buyer, carrier, billing agent or administrator). It is kept in this browser tab only.
            </small>
          </div>
          <button type="submit" disabled={busy || !token.trim()}>
            Sign in
          </button>
        </form>
      </section>
      {demo !== 'unavailable' && (
        <section class="card" aria-labelledby="demo-h">
          <h2 id="demo-h">Demo parties</h2>
          <p class="hint">
            This exchange runs on the development secret (the embedded default), so you may act as any registered party. Production deployments, with their own keys, offer only
            token sign-in.
          </p>
          {demo === null ? (
            <p class="muted" role="status">
              Loading parties…
            </p>
          ) : demo.length <= 2 ? (
            <p class="muted">No buyers or carriers are registered yet (start with SEED_DEMO_DATA=true, the `npm start` default, to seed demo parties).</p>
          ) : (
            <ul class="demo-list">
              {demo.map((p) => (
                <li key={p.role + p.id}>
                  <button type="button" class="party" disabled={busy} onClick={() => void pickDemo(p)} data-party={p.id}>
                    <strong>{p.name}</strong>
                    <span class="muted">
                      {ROLE_LABEL[p.role]}
                      {p.detail ? ` · ${p.detail}` : ''} · {p.id}
                    </span>
                  </button>
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
      {demoError && <p class="muted">Demo parties could not be listed: {demoError}</p>}
    </div>
  );
}
