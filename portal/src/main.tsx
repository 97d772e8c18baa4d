import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { setToken } from './api';
import { href, navigate, useRoute } from './router';
import { loadSession, ROLE_LABEL, saveSession, type Session } from './session';
import { LiveIndicator } from './ui';
import { SignIn } from './pages/signin';
import { BuyerRequests, BuyerRequest, NewRequest, RoutingTablePage } from './pages/buyer';
import { CarrierRequests, CarrierRequest, Settlement } from './pages/carrier';
import { TrunksPage } from './pages/trunks';
import { BillPage, BillsPage } from './pages/bills';
import { BillRuns, Ingestion, Unassociated } from './pages/agent';
import { DisputesPage } from './disputes';
import './styles.css';

interface NavItem {
  path: string;
  label: string;
}

function navFor(role: string): NavItem[] {
  switch (role) {
    case 'BUYER':
      return [
        { path: 'requests', label: 'Requests' },
        { path: 'routing', label: 'Routing table' },
        { path: 'bills', label: 'Bills' },
        { path: 'disputes', label: 'Disputes' },
      ];
    case 'CARRIER':
      return [
        { path: 'requests', label: 'Open requests' },
        { path: 'bills', label: 'Bills' },
        { path: 'disputes', label: 'Disputes' },
        { path: 'settlement', label: 'Receivables & settlement' },
        { path: 'trunks', label: 'SIP trunks' },
      ];
    case 'BILLING_AGENT':
    case 'ADMIN':
    case 'MODERATOR':
      return [
        { path: 'ingestion', label: 'Ingestion' },
        { path: 'unassociated', label: 'Unassociated usage' },
        { path: 'bill-runs', label: 'Bill runs' },
        { path: 'bills', label: 'Bills' },
        { path: 'disputes', label: 'Disputes' },
      ];
    default:
      return [];
  }
}

function Page({ session, route }: { session: Session; route: string[] }) {
  const [top, id, extra] = route;
  const role = session.role;
  if (top === 'bills' && id) return <BillPage session={session} id={id} />;
  if (top === 'bills') return <BillsPage session={session} />;
  if (top === 'disputes') return <DisputesPage role={role} />;
  if (role === 'BUYER') {
    if (top === 'requests' && id === 'new') return <NewRequest session={session} />;
    if (top === 'requests' && id) return <BuyerRequest session={session} id={id} />;
    if (top === 'routing') return <RoutingTablePage at={id} />;
    return <BuyerRequests session={session} />;
  }
  if (role === 'CARRIER') {
    if (top === 'requests' && id) return <CarrierRequest session={session} id={id} />;
    if (top === 'settlement') return <Settlement session={session} month={id} />;
    if (top === 'trunks') return <TrunksPage />;
    return <CarrierRequests session={session} />;
  }
  if (role === 'BILLING_AGENT' || role === 'ADMIN' || role === 'MODERATOR') {
    if (top === 'unassociated') return <Unassociated />;
    if (top === 'bill-runs') return <BillRuns month={id} grouping={extra} />;
    return <Ingestion />;
  }
  return (
    <p class="alert alert-error" role="alert">
      The portal has no pages for the role {role}. Sign in as a buyer, a carrier, a billing agent or an administrator.
    </p>
  );
}

function App() {
  const [session, setSession] = useState<Session | null>(() => loadSession());
  const [expired, setExpired] = useState(false);
  const route = useRoute();
  setToken(session?.token ?? null, () => {
    saveSession(null);
    setSession(null);
    setExpired(true);
  });

  // Move focus to the page title on navigation, so keyboard and screen-reader users start there.
  const path = route.join('/');
  useEffect(() => {
    const t = setTimeout(() => document.getElementById('page-title')?.focus({ preventScroll: true }), 0);
    return () => clearTimeout(t);
  }, [path]);

  useEffect(() => {
    if (!session?.exp) return;
    const ms = session.exp * 1000 - Date.now();
    if (ms > 2 ** 31 - 1) return;
    const t = setTimeout(() => {
      saveSession(null);
      setSession(null);
      setExpired(true);
    }, Math.max(0, ms));
    return () => clearTimeout(t);
  }, [session]);

  const signIn = (s: Session) => {
    saveSession(s);
    setExpired(false);
    setSession(s);
    navigate(navFor(s.role)[0]?.path ?? '');
  };
  const signOut = () => {
    saveSession(null);
    setSession(null);
    setToken(null);
    navigate('');
  };

  return (
    <>
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById('page-title')?.focus())}>
        Skip to content
      </a>
      <header class="top">
        <div class="brand">
          <span aria-hidden="true" class="logo">
            ⇄
          </span>{' '}
          Exchange portal
        </div>
        {session && (
          <nav aria-label="Main">
            <ul>
              {navFor(session.role).map((n) => (
                <li key={n.path}>
                  <a href={href(n.path)} aria-current={route[0] === n.path || (!route[0] && n === navFor(session.role)[0]) ? 'page' : undefined}>
                    {n.label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        )}
        {session && (
          <div class="who">
            <LiveIndicator />
            <span data-testid="signed-in-as">
              {session.name ?? session.sub} <span class="muted">({ROLE_LABEL[session.role] ?? session.role})</span>
            </span>
            <button type="button" class="secondary" onClick={signOut}>
              Sign out
            </button>
          </div>
        )}
      </header>
      <main id="main">
        {session ? (
          <Page session={session} route={route} />
        ) : (
          <SignIn onSignedIn={signIn} notice={expired ? 'Your session ended (the token expired or was refused). Please sign in again.' : undefined} />
        )}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
