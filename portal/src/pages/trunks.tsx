// A carrier's SIP trunks on record: the route server sends buyers' switches to them.
import { useState } from 'preact/hooks';
import { gql } from '../api';
import { Announce, ErrorText, Field, FormAlert, focusField, formErrorOf, Loading, PageTitle, Section, TableWrap, useQuery, type FormError } from '../ui';
import LIST from './trunks/carrier-trunks.graphql';
import ADD from './trunks/add-carrier-trunk.graphql';
import REMOVE from './trunks/remove-carrier-trunk.graphql';

interface Trunk {
  id: string;
  name: string;
  host: string;
  port: number;
  transport: string;
  techPrefix: string;
  priority: number;
}

const EMPTY = { name: '', host: '', port: '5060', transport: 'UDP', techPrefix: '', priority: '0' };

export function TrunksPage() {
  const list = useQuery<{ carrierTrunks: Trunk[] }>(LIST, {}, 'trunks');
  const [form, setForm] = useState(EMPTY);
  const [error, setError] = useState<FormError | null>(null);
  const [busy, setBusy] = useState(false);
  const [news, setNews] = useState('');
  const [removeError, setRemoveError] = useState<string | null>(null);
  const set = (k: keyof typeof EMPTY) => (e: Event) => setForm({ ...form, [k]: (e.target as HTMLInputElement).value });

  const whole = (field: string, v: string) => {
    if (/^\d+$/.test(v.trim())) return Number(v.trim());
    throw Object.assign(new Error(`${field} must be a whole number`), { field });
  };

  const add = async (e: Event) => {
    e.preventDefault();
    setError(null);
    let input: Record<string, unknown>;
    try {
      input = { name: form.name.trim(), host: form.host.trim(), port: whole('port', form.port), transport: form.transport, techPrefix: form.techPrefix.trim(), priority: whole('priority', form.priority) };
    } catch (err) {
      const fe = { message: (err as Error).message, field: (err as { field?: string }).field };
      setError(fe);
      return focusField(fe.field);
    }
    setBusy(true);
    try {
      const d = await gql<{ addCarrierTrunk: Trunk }>(ADD, { input });
      setNews(`Trunk ${d.addCarrierTrunk.name} added.`);
      setForm(EMPTY);
      await list.reload();
    } catch (err) {
      const fe = formErrorOf(err);
      setError(fe);
      focusField(fe.field);
    } finally {
      setBusy(false);
    }
  };

  const remove = async (t: Trunk) => {
    if (!confirm(`Remove trunk ${t.name}? Switches stop receiving it within a second.`)) return;
    setRemoveError(null);
    try {
      await gql(REMOVE, { id: t.id });
      setNews(`Trunk ${t.name} removed.`);
      await list.reload();
    } catch (err) {
      setRemoveError((err as Error).message);
    }
  };

  const trunks = list.data?.carrierTrunks ?? [];
  return (
    <>
      <PageTitle>SIP trunks</PageTitle>
      <Announce text={news} />
      <p class="muted">Buyers' switches send your awarded calls to these trunks in priority order (lower number first). Changes reach every switch within a second.</p>
      <Section title="Your trunks">
        <ErrorText error={list.error ?? removeError} />
        {list.loading && !list.data ? (
          <Loading what="trunks" />
        ) : trunks.length === 0 ? (
          <p data-testid="no-trunks">No trunks yet: until you add one, switches are told your awarded routes have no trunk (503).</p>
        ) : (
          <TableWrap label="SIP trunks">
            <table data-testid="trunks">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Host</th>
                  <th scope="col">Port</th>
                  <th scope="col">Transport</th>
                  <th scope="col">Tech prefix</th>
                  <th scope="col">Priority</th>
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {trunks.map((t) => (
                  <tr key={t.id}>
                    <td>{t.name}</td>
                    <td>{t.host}</td>
                    <td>{t.port}</td>
                    <td>{t.transport}</td>
                    <td>{t.techPrefix || '—'}</td>
                    <td>{t.priority}</td>
                    <td>
                      <button type="button" class="secondary" onClick={() => void remove(t)} aria-label={`Remove trunk ${t.name}`}>
                        Remove
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
      </Section>
      <Section title="Add a trunk">
        <form class="form" onSubmit={add} noValidate data-testid="trunk-form">
          <FormAlert error={error} />
          <div class="row">
            <Field name="name" label="Name" hint="As your PBX names it in CDRs, e.g. tav-trunk" error={error}>
              {(a) => <input {...a} required maxLength={63} value={form.name} onInput={set('name')} />}
            </Field>
            <Field name="host" label="Host" hint="Host name or IP address" error={error}>
              {(a) => <input {...a} required value={form.host} onInput={set('host')} />}
            </Field>
            <Field name="port" label="Port" error={error}>
              {(a) => <input {...a} inputMode="numeric" class="short" value={form.port} onInput={set('port')} />}
            </Field>
            <Field name="transport" label="Transport" error={error}>
              {(a) => (
                <select {...a} value={form.transport} onChange={set('transport')}>
                  <option>UDP</option>
                  <option>TCP</option>
                  <option>TLS</option>
                </select>
              )}
            </Field>
            <Field name="techPrefix" label="Tech prefix" hint="Optional: digits, # or *" error={error}>
              {(a) => <input {...a} class="short" maxLength={10} value={form.techPrefix} onInput={set('techPrefix')} />}
            </Field>
            <Field name="priority" label="Priority" hint="Lower is tried first" error={error}>
              {(a) => <input {...a} inputMode="numeric" class="short" value={form.priority} onInput={set('priority')} />}
            </Field>
          </div>
          <button type="submit" disabled={busy}>
            {busy ? 'Adding…' : 'Add trunk'}
          </button>
        </form>
      </Section>
    </>
  );
}
