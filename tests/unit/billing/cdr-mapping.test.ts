// The pieces a column mapping is made of: times in each format, durations to the millisecond,
// relaxed quotes, SQL INSERT and acc log lines, mapping validation, Master.csv's column counts.
import {
  asteriskMasterColumns, canonicalRow, checkMappingSpec, detectLayout, durationMs, parseAccLine, parseSqlInsert, secondsText, splitRelaxed, timeParser,
} from '../../../billing-subgraph/src/domain';

const parse = (format: string, v: string) => {
  const t = timeParser(format);
  if (!t.ok) throw new Error(t.reason);
  return t.parse(v);
};

describe('column mappings', () => {
  it('reads times in every format; wall times stay zoneless for --timezone', () => {
    expect(parse('epoch', '1793714400.123')).toBe('2026-11-03T14:00:00.123Z');
    expect(parse('epoch-ms', '1793714400123')).toBe('2026-11-03T14:00:00.123Z');
    expect(parse('rfc2822', 'Tue, 03 Nov 2026 18:00:00 +0100')).toBe('2026-11-03T17:00:00.000Z');
    expect(parse('rfc2822', '03 Nov 2026 18:00:00 GMT')).toBe('2026-11-03T18:00:00.000Z');
    expect(parse('dd/MM/yyyy HH:mm:ss', '03/11/2026 10:00:05')).toBe('2026-11-03T10:00:05.000');
    expect(parse('yyyyMMddHHmmss.SSS', '20261103100005.25')).toBe('2026-11-03T10:00:05.250');
    expect(parse('dd/MM/yyyy HH:mm:ss', '31/04/2026 10:00:05')).toBeNull();
    expect(parse('rfc2822', '2026-11-03 18:00:00')).toBeNull();
    expect(timeParser('dd/MM/yyyy hh:mm')).toEqual({ ok: false, reason: expect.stringMatching(/"h" is not understood/) });
  });

  it('keeps durations to the millisecond and writes them back as decimal seconds', () => {
    expect(durationMs('65.432')).toBe(65432);
    expect(durationMs('65.4325')).toBe(65433);
    expect(durationMs('95250', 'ms')).toBe(95250);
    expect(durationMs('1e3')).toBeNull();
    expect([65432, 90000, 120500, 30001].map(secondsText)).toEqual(['65.432', '90', '120.5', '30.001']);
  });

  it('splits lines whose quotes are not doubled, using the header count to decide', () => {
    expect(splitRelaxed('a,""Ops, London" <4420>",b', ',', 3)).toEqual(['a', '"Ops, London" <4420>', 'b']);
    expect(splitRelaxed('a,"Ops" <4420>,b,"x,y"', ',', 4)).toEqual(['a', '"Ops" <4420>', 'b', 'x,y']);
    expect(splitRelaxed('1\t2\t"q"', '\t')).toEqual(['1', '2', 'q']);
  });

  it('reads INSERT lines and acc log lines; says what is wrong with a broken one', () => {
    expect(parseSqlInsert('INSERT INTO cdr VALUES ("a","b \\"x\\"", NULL, 12, \'it\'\'s\');')).toEqual({ ok: true, values: ['a', 'b "x"', '', '12', "it's"] });
    expect(parseSqlInsert('COMMIT;')).toBeNull();
    expect(parseSqlInsert('UPDATE cdr SET x=1;')).toEqual({ ok: false, problem: expect.stringMatching(/not an INSERT INTO/) });
    expect(parseAccLine('Nov  3 sbc kamailio[1]: NOTICE: acc [acc_cdr.c:1]: log_write_cdr(): start_time=1.5; end_time=3.0; duration=1.500; callid=x@y')).toEqual({
      ok: true, values: ['1.5', '3.0', '1.500', 'x@y'], named: { start_time: '1.5', end_time: '3.0', duration: '1.500', callid: 'x@y' },
    });
    expect(parseAccLine('Nov  3 sbc kamailio[1]: INFO: <core> listening on udp:10.0.0.1:5060')).toBeNull();
    expect(parseAccLine('Nov 3 host kamailio[1]: NOTICE: acc_json: {"duration":"2.5","callid":"c"}')).toMatchObject({ ok: true, named: { duration: '2.5', callid: 'c' } });
    expect(parseAccLine('{"duration": 2.5,')).toEqual({ ok: false, problem: expect.stringMatching(/not valid JSON/) });
  });

  it('a mapping file is checked key by key', () => {
    expect(checkMappingSpec({ fields: { called: 'dst' } })).toEqual({ ok: false, reason: expect.stringMatching(/fields.called is not a field/) });
    expect(checkMappingSpec({ delimiter: ';;' })).toEqual({ ok: false, reason: expect.stringMatching(/delimiter must be one character/) });
    expect(checkMappingSpec({ durationUnit: 'min' })).toEqual({ ok: false, reason: 'durationUnit must be "s" or "ms"' });
    expect(checkMappingSpec({ colums: [] })).toEqual({ ok: false, reason: expect.stringMatching(/unknown mapping key\(s\) colums/) });
    expect(checkMappingSpec({ format: 'yate', fields: { called_number: [6, 'called'] }, timeFormat: 'epoch' })).toEqual({ ok: true, spec: { fields: { called_number: [6, 'called'] }, timeFormat: 'epoch' } });
  });

  it('a mapped row: positions, the first filled of several columns, answer from start + total - billed, and the columns that are not CDR fields passed through', () => {
    const r = canonicalRow(['1793714400.000', '', 'sip/1'], { time: '1793714400.000', called: '', alt: '4420', dstchannel: 'SIP/tav-1' }, {
      fields: { call_start: 1, called_number: ['called', 'alt'], total_duration: 'tot', duration: 'bill' }, timeFormat: 'epoch',
    });
    expect(r).toEqual({ ok: true, row: { time: '1793714400.000', called: '', alt: '4420', dstchannel: 'SIP/tav-1', called_number: '4420', calldate: '2026-11-03T14:00:00.000Z' } });
    expect(canonicalRow(['x'], { at: 'x' }, { fields: { answer_time: 'at' }, timeFormat: 'epoch' })).toEqual({ ok: false, reason: 'answer_time "x" is not a time in the format epoch' });
  });

  it("Master.csv's 16 to 21 columns: uniqueid, userfield and newcdrcolumns each optional", () => {
    const base = ['acme', '1', '4420', 'ctx', 'clid', 'SIP/a-1', 'SIP/b-2', 'Dial', 'x', '2026-11-03 09:00:00', '2026-11-03 09:00:05', '2026-11-03 09:01:05', '65', '60', 'ANSWERED', 'DOCUMENTATION'];
    expect(asteriskMasterColumns(base)?.slice(16)).toEqual([]);
    expect(asteriskMasterColumns([...base, '1793714525.1'])?.slice(16)).toEqual(['uniqueid']);
    expect(asteriskMasterColumns([...base, 'vip'])?.slice(16)).toEqual(['userfield']);
    expect(asteriskMasterColumns([...base, '', '1793714525.1', '7'])?.slice(16)).toEqual(['peeraccount', 'linkedid', 'sequence']);
    expect(asteriskMasterColumns([...base, '1793714525.1', '', '1793714525.1', '7'])?.slice(16)).toEqual(['uniqueid', 'peeraccount', 'linkedid', 'sequence']);
    expect(asteriskMasterColumns([...base.slice(0, 15)])).toBeNull();
    for (const extra of [[], ['1793714525.1'], ['', '1', '7'], ['1793714525.1', '', '1', '7'], ['1793714525.1', '', '', '1', '7']]) {
      expect(detectLayout([...base, ...extra], 'asterisk')).toMatchObject({ ok: true, layout: { format: 'asterisk' } });
      expect(detectLayout([...base, ...extra])).toMatchObject({ ok: true, layout: { format: 'asterisk', description: expect.stringMatching(/detected/) } });
    }
  });
});
