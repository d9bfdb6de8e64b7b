/**
 * Whether Driftwatch may send a request to a configured URL (webhooks, retraining
 * triggers), and to which address.
 *
 * A URL passes when its host is on the allow-list and every address it stands for is
 * public, or private addresses are explicitly allowed. https is required; plain http only
 * to private or loopback addresses when `allowPrivate` is set (a pipeline inside the
 * cluster). Literal IPs are checked as written (the WHATWG parser already turned
 * "0x7f.1" and "2130706433" into 127.0.0.1); names are resolved and *all* their addresses
 * checked. The answer names the address to connect to: the sender must connect to that
 * address (keeping the hostname for Host and TLS SNI) rather than resolve again, or a DNS
 * answer that changes between check and connect (DNS rebinding) would get past the check.
 *
 * Pure except for the resolver, which is injected (default: the system resolver).
 */
import { lookup } from 'node:dns/promises';
import { isIPv4, isIPv6 } from 'node:net';
import { domainToASCII } from 'node:url';

export interface OutgoingUrlPolicy {
  /** Exact host names ("hooks.example.com"), "*.example.com" for any subdomain, or "*" for any host. Empty: nothing is allowed. */
  allowedHosts: readonly string[];
  /** Allow private, loopback, link-local and other non-public addresses (and then plain http to them). */
  allowPrivate: boolean;
}

export type Resolver = (hostname: string) => Promise<string[]>;

export type AddressClass =
  | 'public' | 'private' | 'loopback' | 'link-local' | 'unspecified' | 'shared' | 'multicast' | 'reserved';

export type UrlRefusalCode =
  | 'invalid_url' | 'scheme_not_allowed' | 'credentials_in_url' | 'host_not_allowed'
  | 'insecure_scheme' | 'resolution_failed' | 'address_not_allowed';

export type OutgoingUrlCheck =
  | {
      ok: true;
      /** The normalized URL (WHATWG href). */
      url: string;
      /** Host name for the Host header and TLS SNI, without IPv6 brackets. */
      hostname: string;
      port: number;
      /** Connect here, not to a fresh resolution of `hostname`. */
      address: string;
      family: 4 | 6;
      addressClass: AddressClass;
    }
  | { ok: false; code: UrlRefusalCode; reason: string };

export const systemResolver: Resolver = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((entry) => entry.address);

// ---------------------------------------------------------------------------------------
// Addresses

function parseIPv4(text: string): number[] | null {
  if (!isIPv4(text)) return null;
  return text.split('.').map(Number);
}

/** 16 bytes of an IPv6 address (zone id dropped, trailing dotted IPv4 accepted), or null. */
export function parseIPv6(text: string): number[] | null {
  const withoutZone = text.split('%')[0]!;
  if (!isIPv6(withoutZone)) return null;
  let s = withoutZone;
  const lastColon = s.lastIndexOf(':');
  const tail = s.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = parseIPv4(tail);
    if (v4 === null) return null;
    s = `${s.slice(0, lastColon + 1)}${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] === '' ? [] : halves[0]!.split(':');
  const rest = halves.length === 2 && halves[1] !== '' ? halves[1]!.split(':') : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest].map((g) => parseInt(g, 16));
  if (groups.length !== 8 || groups.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff)) return null;
  return groups.flatMap((g) => [g >> 8, g & 0xff]);
}

function inIPv4(bytes: number[], base: [number, number, number, number], prefix: number): boolean {
  const value = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
  const network = ((base[0] << 24) | (base[1] << 16) | (base[2] << 8) | base[3]) >>> 0;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return (value & mask) >>> 0 === (network & mask) >>> 0;
}

const IPV4_RANGES: ReadonlyArray<[[number, number, number, number], number, AddressClass]> = [
  [[0, 0, 0, 0], 8, 'unspecified'], // "this network"; 0.0.0.0 reaches the local host on Linux
  [[10, 0, 0, 0], 8, 'private'],
  [[100, 64, 0, 0], 10, 'shared'], // carrier-grade NAT, often internal in clouds
  [[127, 0, 0, 0], 8, 'loopback'],
  [[169, 254, 0, 0], 16, 'link-local'], // includes the cloud metadata service 169.254.169.254
  [[172, 16, 0, 0], 12, 'private'],
  [[192, 168, 0, 0], 16, 'private'],
  [[224, 0, 0, 0], 4, 'multicast'],
  [[240, 0, 0, 0], 4, 'reserved'], // includes 255.255.255.255
];

function classifyIPv4Bytes(bytes: number[]): AddressClass {
  for (const [base, prefix, cls] of IPV4_RANGES) if (inIPv4(bytes, base, prefix)) return cls;
  return 'public';
}

function bitsEqual(bytes: number[], prefix: number[], bits: number): boolean {
  for (let bit = 0; bit < bits; bit += 1) {
    const i = bit >> 3;
    const m = 0x80 >> (bit & 7);
    if (((bytes[i] ?? 0) & m) !== ((prefix[i] ?? 0) & m)) return false;
  }
  return true;
}

function classifyIPv6Bytes(b: number[]): AddressClass {
  const zeroTo = (n: number) => b.slice(0, n).every((x) => x === 0);
  if (b.every((x) => x === 0)) return 'unspecified';
  if (zeroTo(15) && b[15] === 1) return 'loopback';
  // Forms that carry an IPv4 address: judge the IPv4 address, since that is where packets go.
  if (zeroTo(10) && b[10] === 0xff && b[11] === 0xff) return classifyIPv4Bytes(b.slice(12)); // ::ffff:a.b.c.d mapped
  if (zeroTo(12)) return classifyIPv4Bytes(b.slice(12)); // ::a.b.c.d compatible (deprecated)
  if (bitsEqual(b, [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0], 96)) return classifyIPv4Bytes(b.slice(12)); // 64:ff9b::/96 NAT64
  if (bitsEqual(b, [0x00, 0x64, 0xff, 0x9b, 0x00, 0x01], 48)) return 'private'; // 64:ff9b:1::/48 local-use NAT64
  if (b[0] === 0x20 && b[1] === 0x02) return classifyIPv4Bytes(b.slice(2, 6)); // 2002::/16 6to4
  if (bitsEqual(b, [0x01, 0x00, 0, 0, 0, 0, 0, 0], 64)) return 'reserved'; // 100::/64 discard
  if (bitsEqual(b, [0xfc], 7)) return 'private'; // fc00::/7 unique local
  if (bitsEqual(b, [0xfe, 0x80], 10)) return 'link-local'; // fe80::/10
  if (bitsEqual(b, [0xfe, 0xc0], 10)) return 'private'; // fec0::/10 site-local (deprecated)
  if (b[0] === 0xff) return 'multicast';
  return 'public';
}

/** The class of an IP address literal, or null when it is not one. */
export function classifyAddress(address: string): { family: 4 | 6; addressClass: AddressClass } | null {
  const v4 = parseIPv4(address);
  if (v4 !== null) return { family: 4, addressClass: classifyIPv4Bytes(v4) };
  const v6 = parseIPv6(address);
  if (v6 !== null) return { family: 6, addressClass: classifyIPv6Bytes(v6) };
  return null;
}

// ---------------------------------------------------------------------------------------
// Hosts

function normalizeHost(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h;
}

function asciiHost(host: string): string {
  const h = normalizeHost(host);
  if (isIPv4(h) || isIPv6(h)) return h;
  return domainToASCII(h) || h;
}

/** Whether `hostname` (as the URL parser gives it) matches an allow-list entry. */
export function hostAllowed(hostname: string, allowedHosts: readonly string[]): boolean {
  const host = normalizeHost(hostname);
  const isIp = isIPv4(host) || isIPv6(host);
  for (const entry of allowedHosts) {
    const e = entry.trim().toLowerCase();
    if (e === '*') return true;
    if (e.startsWith('*.')) {
      // "*.example.com" matches a.example.com and a.b.example.com, not example.com itself, never an IP.
      const suffix = `.${asciiHost(e.slice(2))}`;
      if (!isIp && host.length > suffix.length && host.endsWith(suffix)) return true;
    } else if (host === asciiHost(e)) {
      return true;
    }
  }
  return false;
}

// ---------------------------------------------------------------------------------------

function refuse(code: UrlRefusalCode, reason: string): OutgoingUrlCheck {
  return { ok: false, code, reason };
}

export async function checkOutgoingUrl(
  rawUrl: string,
  policy: OutgoingUrlPolicy,
  resolve: Resolver = systemResolver,
): Promise<OutgoingUrlCheck> {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return refuse('invalid_url', 'not an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return refuse('scheme_not_allowed', `scheme ${url.protocol} is not allowed; use https:`);
  }
  // Credentials in a URL end up in logs and UI; configure them as secrets instead.
  if (url.username !== '' || url.password !== '') {
    return refuse('credentials_in_url', 'the URL contains a user name or password; configure credentials as a secret');
  }
  const hostname = normalizeHost(url.hostname);
  if (!hostAllowed(hostname, policy.allowedHosts)) {
    return refuse('host_not_allowed', `host ${hostname} is not on the allow-list`);
  }
  if (url.protocol === 'http:' && !policy.allowPrivate) {
    return refuse('insecure_scheme', 'http is only allowed to private addresses when private addresses are allowed; use https:');
  }

  let addresses: string[];
  if (classifyAddress(hostname) !== null) {
    addresses = [hostname];
  } else {
    try {
      addresses = await resolve(hostname);
    } catch (error) {
      return refuse('resolution_failed', `could not resolve ${hostname}: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (addresses.length === 0) return refuse('resolution_failed', `${hostname} resolved to no address`);
  }

  const classified: Array<{ address: string; family: 4 | 6; addressClass: AddressClass }> = [];
  for (const address of addresses) {
    const c = classifyAddress(address);
    if (c === null) return refuse('resolution_failed', `${hostname} resolved to ${JSON.stringify(address)}, which is not an IP address`);
    classified.push({ address: address.split('%')[0]!, ...c });
  }
  // One non-public answer is enough to refuse: the connection could go to any of them.
  const blocked = classified.find((c) => c.addressClass !== 'public');
  if (blocked && !policy.allowPrivate) {
    return refuse('address_not_allowed', `${hostname} is (or resolves to) ${blocked.address}, a ${blocked.addressClass} address`);
  }
  if (url.protocol === 'http:' && classified.some((c) => c.addressClass === 'public')) {
    return refuse('insecure_scheme', `http to the public address of ${hostname} is not allowed; use https:`);
  }

  const chosen = classified[0]!;
  return {
    ok: true,
    url: url.href,
    hostname,
    port: url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port),
    address: chosen.address,
    family: chosen.family,
    addressClass: chosen.addressClass,
  };
}

const NOT_RESOLVED = new Error('not resolved when saving');

/**
 * The checks that need no DNS answer (scheme, credentials, allow-list, address literals),
 * for a definition being saved: a URL that can never pass is refused then, not at the first
 * alert. Names are resolved and checked again before every request.
 */
export async function checkOutgoingUrlStatically(rawUrl: string, policy: OutgoingUrlPolicy): Promise<{ ok: true } | { ok: false; code: UrlRefusalCode; reason: string }> {
  const check = await checkOutgoingUrl(rawUrl, policy, () => Promise.reject(NOT_RESOLVED));
  if (check.ok || (check.code === 'resolution_failed' && check.reason.endsWith(NOT_RESOLVED.message))) return { ok: true };
  return { ok: false, code: check.code, reason: check.reason };
}
