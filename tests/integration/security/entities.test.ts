// Issue 20 (low–medium): a BUYER read any carrier through `_entities` on the moderator's port,
// although the root fields show a buyer only the carriers it deals with. Entity fetches now follow
// the same rules (the gateway's own entity fetches for a buyer's bills and boards still work).
import { call, callOk, party, runAuction, startExchange, type Exchange } from '../../claims/support/scenario';

const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Carrier { id name } } }`;

describe('_entities under the rules of the root fields', () => {
  let ex: Exchange;
  beforeAll(async () => {
    ex = await startExchange();
  });
  afterAll(() => ex?.stop());

  it('a buyer reads the carriers its requests went to, not others; a carrier only itself', async () => {
    const a = await runAuction(ex, { buyer: { id: 'ent-buyer' } });
    const rep = (id: string) => ({ r: [{ __typename: 'Carrier', id }] });
    const winner = await callOk(ex.moderator.url, ENTITIES, rep(a.winner.id), a.buyer.token);
    expect(winner._entities).toEqual([{ id: a.winner.id, name: expect.any(String) }]);
    const outsider = await call(ex.moderator.url, ENTITIES, rep(a.outsider.id), a.buyer.token);
    expect(outsider.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(outsider.data?._entities ?? [null]).toEqual([null]);
    // A buyer with no request at all sees no carrier.
    const stranger = await party(ex, 'BUYER', 'ent-stranger');
    expect((await call(ex.moderator.url, ENTITIES, rep(a.winner.id), stranger.token)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    // A carrier reads itself, not a competitor.
    expect((await callOk(ex.moderator.url, ENTITIES, rep(a.winner.id), a.winner.token))._entities).toEqual([{ id: a.winner.id, name: expect.any(String) }]);
    expect((await call(ex.moderator.url, ENTITIES, rep(a.loser.id), a.winner.token)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
