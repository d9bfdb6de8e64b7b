// alerting/render/url-policy.ts: outgoing URLs as a table — allow-list matching, schemes,
// literal addresses in every private/loopback spelling (IPv4, IPv6, IPv4-mapped, 6to4,
// NAT64, the WHATWG parser's hex/decimal forms), and names whose resolution includes a
// private address (DNS rebinding). The resolver is a fake that records its calls.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkOutgoingUrl, checkOutgoingUrlStatically, classifyAddress, hostAllowed, parseIPv6, type OutgoingUrlPolicy, type Resolver } from '../../alerting/render/url-policy.js';

const DNS: Record<string, string[]> = {
  'hooks.example.com': ['93.184.216.34'],
  'a.b.example.com': ['93.184.216.35'],
  'example.com': ['93.184.216.36'],
  'evil-example.com': ['93.184.216.37'],
  'v6.example.com': ['2606:4700::1111', '93.184.216.38'],
  'rebind.example.com': ['93.184.216.39', '127.0.0.1'],
  'internal.example.com': ['10.0.0.7'],
  'linklocal.example.com': ['fe80::1%eth0'],
  'metadata.example.com': ['169.254.169.254'],
  'empty.example.com': [],
  'garbage.example.com': ['not-an-ip'],
  'xn--bcher-kva.example': ['93.184.216.40'],
  'localhost': ['127.0.0.1', '::1'],
};

function fakeResolver(): { resolve: Resolver; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    resolve: async (host) => {
      calls.push(host);
      if (host === 'fail.example.com') throw new Error('getaddrinfo ENOTFOUND fail.example.com');
      const answer = DNS[host];
      if (answer === undefined) throw new Error(`no fake DNS entry for ${host}`);
      return answer;
    },
  };
}

const ANY: OutgoingUrlPolicy = { allowedHosts: ['*'], allowPrivate: false };
const ANY_PRIVATE: OutgoingUrlPolicy = { allowedHosts: ['*'], allowPrivate: true };

interface Case {
  name: string;
  url: string;
  policy?: OutgoingUrlPolicy;
  /** 'ok:<address>' or the refusal code. */
  expect: string;
  resolved?: boolean;
}

const CASES: Case[] = [
  // allow-list
  { name: 'exact host on the list', url: 'https://hooks.example.com/x', policy: { allowedHosts: ['hooks.example.com'], allowPrivate: false }, expect: 'ok:93.184.216.34' },
  { name: 'host names are case-insensitive', url: 'https://HOOKS.Example.COM/x', policy: { allowedHosts: ['Hooks.Example.com'], allowPrivate: false }, expect: 'ok:93.184.216.34' },
  { name: 'trailing dot is the same host', url: 'https://hooks.example.com./x', policy: { allowedHosts: ['hooks.example.com'], allowPrivate: false }, expect: 'ok:93.184.216.34' },
  { name: 'host not on the list', url: 'https://example.com/', policy: { allowedHosts: ['hooks.example.com'], allowPrivate: false }, expect: 'host_not_allowed', resolved: false },
  { name: 'empty list allows nothing', url: 'https://hooks.example.com/', policy: { allowedHosts: [], allowPrivate: true }, expect: 'host_not_allowed', resolved: false },
  { name: 'wildcard matches a deep subdomain', url: 'https://a.b.example.com/', policy: { allowedHosts: ['*.example.com'], allowPrivate: false }, expect: 'ok:93.184.216.35' },
  { name: 'wildcard does not match the apex', url: 'https://example.com/', policy: { allowedHosts: ['*.example.com'], allowPrivate: false }, expect: 'host_not_allowed' },
  { name: 'wildcard does not match a look-alike', url: 'https://evil-example.com/', policy: { allowedHosts: ['*.example.com'], allowPrivate: false }, expect: 'host_not_allowed' },
  { name: 'wildcard never matches an IP', url: 'https://1.2.3.4/', policy: { allowedHosts: ['*.4'], allowPrivate: false }, expect: 'host_not_allowed' },
  { name: 'an IP can be listed exactly', url: 'https://8.8.8.8/', policy: { allowedHosts: ['8.8.8.8'], allowPrivate: false }, expect: 'ok:8.8.8.8', resolved: false },
  { name: 'IDN entry matches its punycode host', url: 'https://bücher.example/', policy: { allowedHosts: ['bücher.example'], allowPrivate: false }, expect: 'ok:93.184.216.40' },
  // schemes and URL shape
  { name: 'not a URL', url: 'hooks.example.com/x', expect: 'invalid_url' },
  { name: 'ftp', url: 'ftp://hooks.example.com/x', expect: 'scheme_not_allowed' },
  { name: 'file', url: 'file:///etc/passwd', expect: 'scheme_not_allowed' },
  { name: 'javascript', url: 'javascript:alert(1)', expect: 'scheme_not_allowed' },
  { name: 'credentials in the URL', url: 'https://user:pass@hooks.example.com/', expect: 'credentials_in_url' },
  { name: 'http to a public host', url: 'http://hooks.example.com/', expect: 'insecure_scheme', resolved: false },
  { name: 'http to a public host even when private is allowed', url: 'http://hooks.example.com/', policy: ANY_PRIVATE, expect: 'insecure_scheme' },
  { name: 'http to a private host when private is allowed', url: 'http://internal.example.com:8080/', policy: ANY_PRIVATE, expect: 'ok:10.0.0.7' },
  { name: 'http to loopback when private is allowed', url: 'http://127.0.0.1:9000/', policy: ANY_PRIVATE, expect: 'ok:127.0.0.1' },
  // literal addresses, refused by default
  { name: '10/8', url: 'https://10.1.2.3/', expect: 'address_not_allowed', resolved: false },
  { name: '172.16/12 low end', url: 'https://172.16.0.1/', expect: 'address_not_allowed' },
  { name: '172.16/12 high end', url: 'https://172.31.255.255/', expect: 'address_not_allowed' },
  { name: 'just outside 172.16/12', url: 'https://172.32.0.1/', expect: 'ok:172.32.0.1' },
  { name: '192.168/16', url: 'https://192.168.1.1/', expect: 'address_not_allowed' },
  { name: 'cloud metadata 169.254.169.254', url: 'https://169.254.169.254/latest/meta-data/', expect: 'address_not_allowed' },
  { name: '127.0.0.1', url: 'https://127.0.0.1/', expect: 'address_not_allowed' },
  { name: 'end of 127/8', url: 'https://127.255.255.254/', expect: 'address_not_allowed' },
  { name: '0.0.0.0', url: 'https://0.0.0.0/', expect: 'address_not_allowed' },
  { name: 'hex IPv4 spelling (WHATWG: 127.0.0.1)', url: 'https://0x7f.1/', expect: 'address_not_allowed' },
  { name: 'decimal IPv4 spelling (WHATWG: 127.0.0.1)', url: 'https://2130706433/', expect: 'address_not_allowed' },
  { name: 'octal IPv4 spelling (WHATWG: 10.0.0.1)', url: 'https://012.0.0.1/', expect: 'address_not_allowed' },
  { name: 'carrier-grade NAT 100.64/10', url: 'https://100.64.0.1/', expect: 'address_not_allowed' },
  { name: 'multicast', url: 'https://224.0.0.1/', expect: 'address_not_allowed' },
  { name: 'broadcast', url: 'https://255.255.255.255/', expect: 'address_not_allowed' },
  { name: 'IPv6 loopback', url: 'https://[::1]/', expect: 'address_not_allowed' },
  { name: 'IPv6 unspecified', url: 'https://[::]/', expect: 'address_not_allowed' },
  { name: 'IPv6 unique local fc00::/7 (fc)', url: 'https://[fc00::1]/', expect: 'address_not_allowed' },
  { name: 'IPv6 unique local fc00::/7 (fd, e.g. AWS metadata fd00:ec2::254)', url: 'https://[fd00:ec2::254]/', expect: 'address_not_allowed' },
  { name: 'IPv6 link-local', url: 'https://[fe80::1]/', expect: 'address_not_allowed' },
  { name: 'IPv6 link-local upper end', url: 'https://[febf:ffff::1]/', expect: 'address_not_allowed' },
  { name: 'IPv6 multicast', url: 'https://[ff02::1]/', expect: 'address_not_allowed' },
  { name: 'IPv4-mapped loopback', url: 'https://[::ffff:127.0.0.1]/', expect: 'address_not_allowed' },
  { name: 'IPv4-mapped private, hex form', url: 'https://[::ffff:a00:1]/', expect: 'address_not_allowed' },
  { name: 'IPv4-mapped metadata', url: 'https://[::ffff:169.254.169.254]/', expect: 'address_not_allowed' },
  { name: 'IPv4-mapped public', url: 'https://[::ffff:8.8.8.8]/', expect: 'ok:::ffff:808:808' },
  { name: 'NAT64 of a private address', url: 'https://[64:ff9b::10.0.0.1]/', expect: 'address_not_allowed' },
  { name: '6to4 of loopback', url: 'https://[2002:7f00:1::]/', expect: 'address_not_allowed' },
  { name: 'public IPv6', url: 'https://[2606:4700::1111]:8443/', expect: 'ok:2606:4700::1111' },
  { name: 'public IPv4', url: 'https://8.8.8.8/', expect: 'ok:8.8.8.8' },
  // literal addresses with private allowed
  { name: 'loopback allowed', url: 'https://127.0.0.1/', policy: ANY_PRIVATE, expect: 'ok:127.0.0.1' },
  { name: 'IPv6 ULA allowed', url: 'https://[fd12:3456::1]/', policy: ANY_PRIVATE, expect: 'ok:fd12:3456::1' },
  // names
  { name: 'a name resolving to public addresses only', url: 'https://v6.example.com/', expect: 'ok:2606:4700::1111' },
  { name: 'DNS rebinding: one private answer among public ones', url: 'https://rebind.example.com/', expect: 'address_not_allowed' },
  { name: 'a name resolving to a private address', url: 'https://internal.example.com/', expect: 'address_not_allowed' },
  { name: 'localhost', url: 'https://localhost/', expect: 'address_not_allowed' },
  { name: 'link-local answer with a zone id', url: 'https://linklocal.example.com/', expect: 'address_not_allowed' },
  { name: 'a name pointing at the metadata service', url: 'https://metadata.example.com/', expect: 'address_not_allowed' },
  { name: 'a private name when private is allowed', url: 'https://internal.example.com/', policy: ANY_PRIVATE, expect: 'ok:10.0.0.7' },
  { name: 'resolver error', url: 'https://fail.example.com/', expect: 'resolution_failed' },
  { name: 'no answers', url: 'https://empty.example.com/', expect: 'resolution_failed' },
  { name: 'an answer that is not an address', url: 'https://garbage.example.com/', expect: 'resolution_failed' },
];

for (const c of CASES) {
  test(`checkOutgoingUrl: ${c.name}`, async () => {
    const { resolve, calls } = fakeResolver();
    const result = await checkOutgoingUrl(c.url, c.policy ?? ANY, resolve);
    assert.equal(result.ok ? `ok:${result.address}` : result.code, c.expect, result.ok ? undefined : result.reason);
    if (c.resolved !== undefined) assert.equal(calls.length > 0, c.resolved, `resolver called: ${calls.join(', ')}`);
  });
}

test('an accepted URL says where to connect and what to call the host', async () => {
  const { resolve } = fakeResolver();
  const cases: Array<{ url: string; expected: Record<string, unknown> }> = [
    {
      url: 'https://hooks.example.com/x?y=1',
      expected: { ok: true, url: 'https://hooks.example.com/x?y=1', hostname: 'hooks.example.com', port: 443, address: '93.184.216.34', family: 4, addressClass: 'public' },
    },
    {
      url: 'https://[2606:4700::1111]:8443/p',
      expected: { ok: true, url: 'https://[2606:4700::1111]:8443/p', hostname: '2606:4700::1111', port: 8443, address: '2606:4700::1111', family: 6, addressClass: 'public' },
    },
    {
      url: 'http://internal.example.com/',
      expected: { ok: true, url: 'http://internal.example.com/', hostname: 'internal.example.com', port: 80, address: '10.0.0.7', family: 4, addressClass: 'private' },
    },
  ];
  for (const c of cases) assert.deepEqual(await checkOutgoingUrl(c.url, ANY_PRIVATE, resolve), c.expected);
});

const CLASSES: Array<{ address: string; expected: string | null }> = [
  { address: '8.8.8.8', expected: '4 public' },
  { address: '10.255.255.255', expected: '4 private' },
  { address: '100.127.255.255', expected: '4 shared' },
  { address: '100.128.0.0', expected: '4 public' },
  { address: '169.254.0.1', expected: '4 link-local' },
  { address: '0.1.2.3', expected: '4 unspecified' },
  { address: '240.0.0.1', expected: '4 reserved' },
  { address: '::1', expected: '6 loopback' },
  { address: '::', expected: '6 unspecified' },
  { address: '::ffff:192.168.0.1', expected: '6 private' },
  { address: '::192.168.0.1', expected: '6 private' },
  { address: '64:ff9b::8.8.8.8', expected: '6 public' },
  { address: '64:ff9b:1::1', expected: '6 private' },
  { address: '2002:0808:0808::1', expected: '6 public' },
  { address: '2002:c0a8:0101::1', expected: '6 private' },
  { address: '100::1', expected: '6 reserved' },
  { address: 'fec0::1', expected: '6 private' },
  { address: 'fe80::1%25eth0', expected: '6 link-local' },
  { address: '2001:db8::1', expected: '6 public' },
  { address: 'example.com', expected: null },
  { address: '1.2.3', expected: null },
  { address: '1:2:3:4:5:6:7:8:9', expected: null },
];

for (const c of CLASSES) {
  test(`classifyAddress ${c.address}`, () => {
    const result = classifyAddress(c.address);
    assert.equal(result === null ? null : `${result.family} ${result.addressClass}`, c.expected);
  });
}

test('parseIPv6 expands every spelling to 16 bytes', () => {
  const hex = (address: string) => parseIPv6(address)?.map((b) => b.toString(16).padStart(2, '0')).join('') ?? null;
  assert.equal(hex('::1'), `${'00'.repeat(15)}01`);
  assert.equal(hex('2001:db8::8:800:200c:417a'), '20010db8000000000008080020' + '0c417a');
  assert.equal(hex('::ffff:1.2.3.4'), `${'00'.repeat(10)}ffff01020304`);
  assert.equal(hex('1:2:3:4:5:6:7:8'), '00010002000300040005000600070008');
  assert.equal(hex('fe80::1%eth0'), `fe80${'00'.repeat(13)}01`);
  assert.equal(hex('1::2::3'), null);
  assert.equal(hex('1.2.3.4'), null);
});

test('hostAllowed', () => {
  const cases: Array<{ host: string; list: string[]; allowed: boolean }> = [
    { host: 'a.example.com', list: ['*.example.com'], allowed: true },
    { host: 'example.com', list: ['*.example.com', 'example.com'], allowed: true },
    { host: 'aexample.com', list: ['*.example.com'], allowed: false },
    { host: 'example.com.evil.net', list: ['example.com'], allowed: false },
    { host: '[::1]', list: ['::1'], allowed: true },
    { host: 'anything.at.all', list: ['*'], allowed: true },
    { host: 'x', list: [], allowed: false },
  ];
  for (const c of cases) assert.equal(hostAllowed(c.host, c.list), c.allowed, `${c.host} in ${c.list.join(',')}`);
});

test('checkOutgoingUrlStatically: what can be refused when a definition is saved, without DNS', async (t) => {
  const open: OutgoingUrlPolicy = { allowedHosts: ['*'], allowPrivate: false };
  const listed: OutgoingUrlPolicy = { allowedHosts: ['hooks.example.com', '*.corp.example'], allowPrivate: false };
  const privateOk: OutgoingUrlPolicy = { allowedHosts: ['*'], allowPrivate: true };
  const rows: Array<{ url: string; policy: OutgoingUrlPolicy; expected: 'ok' | string }> = [
    { url: 'https://hooks.example.com/x', policy: open, expected: 'ok' },
    { url: 'https://a.corp.example/x', policy: listed, expected: 'ok' },
    { url: 'https://evil.example.org/x', policy: listed, expected: 'host_not_allowed' },
    { url: 'http://hooks.example.com/x', policy: open, expected: 'insecure_scheme' },
    { url: 'https://10.0.0.5/x', policy: open, expected: 'address_not_allowed' },
    { url: 'https://[::1]/x', policy: open, expected: 'address_not_allowed' },
    { url: 'https://user:pw@hooks.example.com/x', policy: open, expected: 'credentials_in_url' },
    { url: 'ftp://hooks.example.com/x', policy: open, expected: 'scheme_not_allowed' },
    { url: 'not a url', policy: open, expected: 'invalid_url' },
    { url: 'http://127.0.0.1:9/x', policy: privateOk, expected: 'ok' },
    // A name is resolved (and checked) before every request, not when saved.
    { url: 'http://intranet.corp/x', policy: privateOk, expected: 'ok' },
    { url: 'https://name-that-does-not-resolve.invalid/x', policy: open, expected: 'ok' },
  ];
  for (const row of rows) {
    await t.test(`${row.url} (${JSON.stringify(row.policy)})`, async () => {
      const check = await checkOutgoingUrlStatically(row.url, row.policy);
      assert.equal(check.ok ? 'ok' : check.code, row.expected);
    });
  }
});
