import net from 'node:net';
import { MAX_WEBHOOK_URL } from '../contract/resources.js';

/**
 * Addresses a webhook may never reach unless allowed (PARTNER_USAGE_WEBHOOK_ALLOW): unspecified,
 * loopback, private, carrier-grade NAT, link-local (cloud metadata at 169.254.169.254), benchmark,
 * multicast and reserved ranges — whatever would let a partner aim the server at its own network.
 */
const BLOCKED = new net.BlockList();
for (const [prefix, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  BLOCKED.addSubnet(prefix, bits, 'ipv4');
for (const [prefix, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  BLOCKED.addSubnet(prefix, bits, 'ipv6');

/** The IPv4 address an IPv6 one carries (::ffff:a.b.c.d, NAT64 64:ff9b::/96), if any. */
function embeddedIpv4(address: string): string | undefined {
  const words = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (words) {
    const n = (parseInt(words[1]!, 16) << 16) | parseInt(words[2]!, 16);
    return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
  }
  return /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
}

/** What PARTNER_USAGE_WEBHOOK_ALLOW lets through: host names and addresses, and CIDR ranges. */
export interface WebhookAllowList {
  readonly hosts: ReadonlySet<string>;
  readonly ranges: net.BlockList;
}

let parsed: { text: string; list: WebhookAllowList } | undefined;

/**
 * Reads PARTNER_USAGE_WEBHOOK_ALLOW (comma-separated hosts or CIDRs); a malformed CIDR is a
 * RangeError (serve refuses to start with one). Parsed again only when the text changes.
 */
export function webhookAllowList(text = process.env.PARTNER_USAGE_WEBHOOK_ALLOW ?? ''): WebhookAllowList {
  if (parsed?.text !== text) parsed = { text, list: parseAllowList(text) };
  return parsed.list;
}

function parseAllowList(text: string): WebhookAllowList {
  const hosts = new Set<string>();
  const ranges = new net.BlockList();
  for (const entry of text.split(',').map((e) => e.trim().toLowerCase())) {
    if (entry === '') continue;
    const cidr = /^(.+)\/(\d{1,3})$/.exec(entry);
    if (cidr) {
      const family = net.isIP(cidr[1]!);
      const bits = Number(cidr[2]);
      if (family === 0 || bits > (family === 4 ? 32 : 128))
        throw new RangeError(`PARTNER_USAGE_WEBHOOK_ALLOW: ${JSON.stringify(entry)} is not a CIDR range`);
      ranges.addSubnet(cidr[1]!, bits, family === 4 ? 'ipv4' : 'ipv6');
    } else {
      hosts.add(entry.replace(/^\[|\]$/g, ''));
      const family = net.isIP(entry.replace(/^\[|\]$/g, ''));
      if (family !== 0) ranges.addAddress(entry.replace(/^\[|\]$/g, ''), family === 4 ? 'ipv4' : 'ipv6');
    }
  }
  return { hosts, ranges };
}

/** Whether an IP address is one a webhook may not reach (before the allow list). */
export function isPrivateAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 4) return BLOCKED.check(address, 'ipv4');
  if (family !== 6) return true; // not an address: never trusted
  const v4 = embeddedIpv4(address);
  return v4 !== undefined ? BLOCKED.check(v4, 'ipv4') : BLOCKED.check(address, 'ipv6');
}

function allowedAddress(address: string, allow: WebhookAllowList): boolean {
  const family = net.isIP(address);
  return family !== 0 && allow.ranges.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** Whether `address`, which `host` resolved to, may be reached. */
export function mayReach(host: string, address: string, allow: WebhookAllowList): boolean {
  return !isPrivateAddress(address) || allow.hosts.has(host.toLowerCase()) || allowedAddress(address, allow);
}

/** A URL's host without IPv6 brackets, lower-cased (the WHATWG parser has already turned 2130706433 into 127.0.0.1). */
export const hostOf = (url: URL): string => url.hostname.replace(/^\[|\]$/g, '').toLowerCase();

/**
 * The registration rule for a webhook URL: http or https, at most 2,048 characters, no
 * credentials, and a host that is not a private, loopback, link-local or unspecified address
 * (names are resolved and checked again at every send). Returns the parsed URL; a RangeError says why not.
 */
export function checkWebhookUrl(text: string, allow = webhookAllowList()): URL {
  if (text.length > MAX_WEBHOOK_URL) throw new RangeError(`a webhook URL has at most ${MAX_WEBHOOK_URL} characters`);
  const url = URL.canParse(text) ? new URL(text) : undefined;
  if (!url || !['http:', 'https:'].includes(url.protocol)) {
    throw new RangeError(`a webhook URL is http:// or https://, not ${JSON.stringify(text.slice(0, 100))}`);
  }
  if (url.username !== '' || url.password !== '')
    throw new RangeError('a webhook URL carries no user name or password');
  const host = hostOf(url);
  const local = host === 'localhost' || host.endsWith('.localhost');
  if (local && !allow.hosts.has(host)) {
    throw new RangeError(`a webhook URL may not point at ${host}: set PARTNER_USAGE_WEBHOOK_ALLOW to allow it`);
  }
  if (net.isIP(host) !== 0 && !mayReach(host, host, allow)) {
    throw new RangeError(
      `a webhook URL may not point at a private, loopback, link-local or unspecified address (${host}): set PARTNER_USAGE_WEBHOOK_ALLOW to allow it`,
    );
  }
  return url;
}

/** Webhook endpoints a partner may have: every alert is sent to each, so the list is bounded. */
export const MAX_WEBHOOKS_PER_PARTNER = 50;
