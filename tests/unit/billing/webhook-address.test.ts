// Issue 20 (low–medium): the webhook filter accepted IPv6 forms that reach loopback or are not
// public: [::ffff:0:127.0.0.1] (IPv4-translated), [2002:7f00:1::] (6to4 of 127.0.0.1) and
// [2001:db8::1] (documentation). It now judges the parsed address in every form.
import { isPublicAddress, webhookUrlProblem } from '../../../billing-subgraph/src/domain';

describe('webhook addresses in every IPv6 form', () => {
  it.each([
    '::ffff:0:127.0.0.1',
    '::ffff:0:7f00:1',
    '0:0:0:0:0:ffff:0:a00:1',
    '2002:7f00:1::',
    '2002:a9fe:a9fe::1',
    '2002:c0a8:0101::',
    '2001:db8::1',
    '2001:0db8:85a3::8a2e:370:7334',
    '2001:0:4136:e378:8000:63bf:3fff:fdd2',
    '3fff::1',
    '64:ff9b:1::a00:1',
    '100::1',
    '::ffff:7f00:1',
    '::1',
    '::',
    '0::0:1',
    'fe80::1%eth0',
    'ff02::1',
    'fd12:3456::1',
  ])('%s is not public', (ip) => {
    expect(isPublicAddress(ip)).toBe(false);
  });

  it.each(['2001:4860:4860::8888', '2606:4700:4700::1111', '2002:0808:0808::1', '::ffff:8.8.8.8', '64:ff9b::808:808', '2a00:1450:4001::200e'])('%s is public', (ip) => {
    expect(isPublicAddress(ip)).toBe(true);
  });

  it.each(['http://[::ffff:0:127.0.0.1]/hook', 'http://[2002:7f00:1::]/hook', 'https://[2001:db8::1]/hook'])('refuses the URL %s', (url) => {
    expect(webhookUrlProblem(new URL(url), false)).toMatch(/public address/);
  });
});
