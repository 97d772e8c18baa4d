// The README's "First hour", as written, from an empty database: its start command (tools/start.js
// with the variables the README sets: the real gateway, both subgraph processes and the embedded
// database, seeded with the demo parties), then every shell block of docs/EXAMPLES.md in the order
// the README lists the steps, each run by bash exactly as a user pastes it (one shell session: what
// a block exports, the next one sees). A block that exits non-zero or whose answer has errors fails
// the test, and the important results are checked: the ADVANCE bill, the invoice the billing cycle
// run issues, the posted PDF, the payment, the dispute's credit note, the reconciliation.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { alive, descendants, run } from '../../support/processes';
import { sections, type Section } from '../../support/markdown';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const EXAMPLES = readFileSync(path.join(ROOT, 'docs', 'EXAMPLES.md'), 'utf8');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { freePort } = require('../../../tools/lib/ferretdb') as { freePort: () => Promise<number> };

const firstHour = sections(README).find((s) => s.anchor === 'first-hour');
const steps = sections(EXAMPLES);

/** The README's walk-through: its numbered list's links into docs/EXAMPLES.md, in order. */
function walkthroughAnchors(section: Section): string[] {
  return [...section.text.matchAll(/^\s*\d+\.\s.*?\(docs\/EXAMPLES\.md#([\w-]+)\)/gm)].map((m) => m[1]);
}

/** `VAR=value … npm start` in the README's start block: the variables it sets. */
function startVariables(section: Section): Record<string, string> {
  const line = section.blocks.flatMap((b) => b.code.split('\n')).find((l) => /^\s*(?:[A-Z_][A-Z0-9_]*=\S+\s+)*npm start\s*(?:#.*)?$/.test(l));
  if (!line) throw new Error('the First hour section has no `npm start` command');
  const vars: Record<string, string> = {};
  for (const m of line.slice(0, line.indexOf('npm start')).matchAll(/\b([A-Z_][A-Z0-9_]*)=(\S+)/g)) vars[m[1]] = m[2];
  return vars;
}

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn' };
  for (const k of Object.keys(env)) {
    if (/^(JWT_|BILL_LINK|BOARD_PSEUDONYM|NODE_ENV$|.*SIGNING_KEY_FILE$|.*MONGODB_URI$|REDIS_URL$|DEMO_MARKET|SEED_DEMO_DATA$|GW$|ANSWER$)/.test(k)) delete env[k];
  }
  return { ...env, ...extra };
}

interface Outcome {
  /** The last answer the block received (the helper keeps it in $ANSWER). */
  answer: any;
  stdout: string;
  /** The shell's exported variables after the block. */
  vars: Record<string, string>;
}

type Check = (o: Outcome) => void;

const money = (m: { amount: string; currency: string }) => `${m.amount} ${m.currency}`;

/**
 * What each block must have answered, by step number and block index. Blocks marked `retry` are
 * asynchronous on the server's side (the doc says to run them again) and are repeated, bounded.
 */
const CHECKS: Record<string, { check: Check; retry?: boolean }> = {
  '0.0': {
    check: ({ vars }) => {
      for (const t of ['ADMIN', 'AGENT', 'ACME', 'BOREALIS', 'DELTA']) expect(vars[t]).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/); // the token alone, no npm banner
    },
  },
  '0.1': {
    check: ({ answer }) => {
      expect(answer.data.buyers).toEqual(expect.arrayContaining([{ id: 'buyer-acme', name: 'Acme Telecom' }]));
      expect(answer.data.carriers.map((c: { id: string }) => c.id)).toEqual(expect.arrayContaining(['carrier-borealis', 'carrier-delta']));
    },
  },
  '1.0': { check: ({ answer }) => expect(answer.data.setBillingProfile).toMatchObject({ partyId: 'buyer-acme', role: 'BUYER', timeZone: 'Europe/London', currency: 'GBP' }) },
  '1.1': { check: ({ answer }) => expect(answer.data.setBillingProfile).toMatchObject({ partyId: 'carrier-delta', role: 'CARRIER', currency: 'GBP' }) },
  '2.0': {
    check: ({ answer, vars }) => {
      expect(answer.data.createServiceRequest).toMatchObject({ status: 'OPEN', distributionCount: 4 });
      expect(vars.REQUEST_ID).toBe(answer.data.createServiceRequest.id);
    },
  },
  '3.0': { check: ({ answer, vars }) => expect(answer.data.openRequests.map((r: { id: string }) => r.id)).toContain(vars.REQUEST_ID) },
  '3.1': { check: ({ answer }) => expect(answer.data.submitBid).toMatchObject({ status: 'ACTIVE', incentive: { currency: 'GBP', ratePerUnit: '0.02' } }) },
  '3.2': {
    check: ({ answer }) => {
      const { board } = answer.data.serviceRequest;
      expect(board.bidCount).toBe(2);
      expect(board.entries.map((e: any) => [e.rank, e.carrier.name])).toEqual([
        [1, 'Delta Wholesale'],
        [2, 'Borealis Telecom'],
      ]);
    },
  },
  '4.0': { check: ({ answer }) => expect(answer.data.closeBidding).toMatchObject({ status: 'AWARDED', selection: { carrier: { id: 'carrier-delta' } } }) },
  '5.0': {
    retry: true,
    check: ({ answer, vars }) => {
      const [advance] = answer.data.bills.nodes;
      expect(advance).toMatchObject({ kind: 'ADVANCE', documentType: 'INVOICE', buyer: { name: 'Acme Telecom' }, carrier: { name: 'Delta Wholesale' } });
      expect(advance.number).toMatch(/^B-\d{4}-\d{2}-\d{6}$/);
      // 60 minutes at 0.0200 GBP, plus 20 % VAT.
      expect([money(advance.netAmount), money(advance.total)]).toEqual(['1.20 GBP', '1.44 GBP']);
      expect(vars.ADVANCE_ID).toBe(advance.id);
    },
  },
  '6.0': { check: ({ answer }) => expect(answer.data.ingestUsage).toEqual({ accepted: 3, duplicates: 0, rejected: [], parked: [] }) },
  '6.1': { check: ({ answer }) => expect(answer.data.ingestUsage).toEqual({ accepted: 2, duplicates: 0, rejected: [] }) },
  '6.2': {
    check: ({ answer, vars }) => {
      const records = answer.data.billingRecords.nodes;
      // Mediation: the carrier's two reports of the same calls are not billed again.
      expect(records.map((r: any) => [r.usage.recordId, r.billableQuantity, r.amount.amount]).sort()).toEqual([
        ['pbx-0001', '40', '0.800000'],
        ['pbx-0002', '30', '0.600000'],
        ['pbx-0003', '20', '0.400000'],
      ]);
      expect(vars.PERIOD).toMatch(/^\d{4}-\d{2}$/);
    },
  },
  '7.0': {
    check: ({ answer, vars }) => {
      const run = answer.data.runBillingCycle;
      expect(run.issued).toBe(1);
      expect(run.bills).toHaveLength(1);
      const [bill] = run.bills;
      expect(bill).toMatchObject({ kind: 'PERIODIC', documentType: 'INVOICE', periodLabel: vars.PERIOD, timeZone: 'Europe/London', buyer: { name: 'Acme Telecom' } });
      expect(bill.number).toMatch(/^B-\d{4}-\d{2}-\d{6}$/);
      expect(bill.lines.map((l: any) => [l.kind, l.amount])).toEqual([
        ['USAGE', '1.800000'],
        ['ADVANCE_CREDIT', '-1.200000'],
      ]);
      expect([bill.netAmount.amount, bill.taxLines[0].amount.amount, money(bill.total)]).toEqual(['0.60', '0.12', '0.72 GBP']);
      expect(vars.BILL_ID).toBe(bill.id);
    },
  },
  '7.1': {
    check: ({ answer, vars }) => {
      expect(answer.data.runBillingCycle.issued).toBe(0);
      expect(answer.data.runBillingCycle.bills).toEqual([expect.objectContaining({ id: vars.BILL_ID, kind: 'PERIODIC' })]);
    },
  },
  '8.0': {
    check: ({ answer, stdout }) => {
      expect(answer.data.bill.outstanding).toEqual({ amount: '0.72', currency: 'GBP' });
      expect(stdout).toContain('PDF: 200 application/pdf');
      expect(stdout).toMatch(new RegExp(`^${answer.data.bill.number},Invoice,.*,TOTAL,.*,0\\.72,GBP$`, 'm'));
    },
  },
  '9.0': {
    check: ({ answer }) => {
      expect(answer.data.bill).toMatchObject({ status: 'PAID', paid: { amount: '0.72' }, outstanding: { amount: '0.00' } });
      expect(answer.data.bill.payments).toEqual([{ id: 'acme-remittance-0001', reference: 'ACME-PO-778' }]);
    },
  },
  '10.0': { check: ({ answer, vars }) => expect(answer.data.openDispute).toMatchObject({ id: vars.DISPUTE_ID, status: 'OPEN', lineIndex: 0, amount: { amount: '-0.1', currency: 'GBP' } }) },
  '10.1': {
    check: ({ answer }) => {
      // The accepted correction, plus its VAT, credited on an ADJUSTMENT bill of its own series.
      expect(answer.data.bill).toMatchObject({ kind: 'ADJUSTMENT', documentType: 'CREDIT_NOTE', total: { amount: '-0.12', currency: 'GBP' } });
      expect(answer.data.bill.number).toMatch(/^CN-\d{4}-\d{2}-\d{6}$/);
    },
  },
  '11.0': {
    check: ({ answer }) => {
      const r = answer.data.reconciliation;
      expect(r).toMatchObject({ calls: 3, answered: 3, currency: 'GBP' });
      expect(r.sources).toEqual(
        expect.arrayContaining([
          { source: 'MEASURING_EQUIPMENT', calls: 3, minutes: '90.000000', amount: '1.800000' },
          expect.objectContaining({ source: 'CARRIER', calls: 2 }),
        ]),
      );
      expect(r.comparisons).toEqual([expect.objectContaining({ a: 'MEASURING_EQUIPMENT', b: 'CARRIER', matched: 2, onlyInA: 1, onlyInB: 0, durationMismatches: 0 })]);
    },
  },
};

/** The step number of an EXAMPLES heading ("5. The ADVANCE bill" → "5"). */
const stepNumber = (s: Section) => /^(\d+)\./.exec(s.heading)?.[1];

describe("README's first hour and docs/EXAMPLES.md, run as written against a fresh stack", () => {
  let dir: string;
  let stack: ReturnType<typeof run>;
  let gateway: string;

  beforeAll(async () => {
    if (!firstHour) throw new Error('README.md has no "## First hour" section');
    dir = mkdtempSync(path.join(tmpdir(), 'exchange-examples-'));
    const [db, gw, mod, bil, rs] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    // The README's own variables, on free ports and an empty data directory of this test's.
    stack = run(
      process.execPath,
      [path.join(ROOT, 'tools', 'start.js')],
      cleanEnv({ ...startVariables(firstHour), DB_DIR: path.join(dir, 'db'), DB_PORT: String(db), GATEWAY_PORT: String(gw), MODERATOR_PORT: String(mod), BILLING_PORT: String(bil), ROUTE_SERVER_PORT: String(rs) }),
      { detached: true },
    );
    [, gateway] = await stack.waitFor(/GraphQL gateway: (\S+)/, 120_000);
  }, 150_000);

  afterAll(async () => {
    if (stack) {
      const pids = descendants(stack.child.pid!);
      if (stack.child.exitCode === null) process.kill(-stack.child.pid!, 'SIGINT');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([stack.exited, new Promise((r) => (timer = setTimeout(r, 20_000)))]);
      clearTimeout(timer);
      for (const p of pids.filter(alive)) process.kill(p, 'SIGKILL');
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 40_000);

  it('the README walks through every example step, in the examples’ order, starting the stack without the demo market', () => {
    expect(firstHour!.text).toMatch(/npm run -s token/);
    // What `npm start` prints for the demo parties is the command the README shows (with -s).
    expect(stack.output().stdout).toContain('npm run -s token -- --role BUYER --sub buyer-acme');
    expect(firstHour!.text).toMatch(/Close bidding now/);
    expect(startVariables(firstHour!)).toMatchObject({ DEMO_MARKET: 'false' });
    expect(firstHour!.blocks.some((b) => /^npm install$/m.test(b.code))).toBe(true);
    expect(walkthroughAnchors(firstHour!)).toEqual(steps.map((s) => s.anchor));
    expect(steps.map(stepNumber)).toEqual(steps.map((_, i) => String(i)));
  });

  it('every block runs in the README’s order, from an empty database to a paid invoice, a credit note and the reconciliation', async () => {
    const state = path.join(dir, 'state.sh');
    const answer = path.join(dir, 'answer.json');
    const env = cleanEnv({ GW: gateway, ANSWER: answer });
    writeFileSync(state, '');
    writeFileSync(answer, '');
    const byAnchor = new Map(steps.map((s) => [s.anchor, s]));
    const ran: string[] = [];
    for (const anchor of walkthroughAnchors(firstHour!)) {
      const step = byAnchor.get(anchor)!;
      const shellBlocks = step.blocks.filter((b) => b.lang === 'sh');
      expect(shellBlocks.length).toBeGreaterThan(0);
      for (const [i, block] of shellBlocks.entries()) {
        const key = `${stepNumber(step)}.${i}`;
        const spec = CHECKS[key];
        const deadline = Date.now() + 20_000;
        for (;;) {
          // One shell session across blocks: the previous block's exported variables and functions, then this block.
          const script = `set -eo pipefail\nsource ${JSON.stringify(state)}\n${block.code}\n{ export -p; declare -f; } > ${JSON.stringify(state)}.next\njq -n env > ${JSON.stringify(state)}.env.json\n`;
          const r = spawnSync('bash', ['-c', script], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
          const where = `EXAMPLES step "${step.heading}", block ${i + 1} (line ${block.line})`;
          if (r.status !== 0) throw new Error(`${where} exited ${r.status}:\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
          const text = readFileSync(answer, 'utf8');
          const outcome: Outcome = {
            answer: text.trim() ? JSON.parse(text) : undefined,
            stdout: r.stdout,
            vars: JSON.parse(readFileSync(`${state}.env.json`, 'utf8')),
          };
          if (outcome.answer?.errors) throw new Error(`${where} answered errors: ${JSON.stringify(outcome.answer.errors)}`);
          try {
            spec?.check(outcome);
          } catch (err) {
            if (spec?.retry && Date.now() < deadline) continue;
            throw new Error(`${where}: ${(err as Error).message}\nanswer: ${text.slice(0, 3000)}`);
          }
          writeFileSync(state, readFileSync(`${state}.next`, 'utf8'));
          break;
        }
        ran.push(key);
      }
    }
    // Every check above was reached: no step of the flow went unchecked.
    expect(ran).toEqual(expect.arrayContaining(Object.keys(CHECKS)));
  }, 240_000);
});
