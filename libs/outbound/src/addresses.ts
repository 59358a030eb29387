import { isIPv4, isIPv6 } from 'node:net';

/**
 * Which IP addresses an outbound request may reach. Only globally reachable unicast addresses are public; the rest
 * are named after their IANA special-purpose registry entries (RFC 6890 and its updates), so a refusal says why.
 */
export type AddressCategory =
  | 'public'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'shared (carrier-grade NAT)'
  | 'link-local'
  | 'unique-local'
  | 'site-local'
  | 'multicast'
  | 'broadcast'
  | 'documentation'
  | 'benchmarking'
  | 'reserved';

interface Ipv4Range {
  readonly base: number;
  readonly prefix: number;
  readonly category: Exclude<AddressCategory, 'public'>;
}

const ipv4Range = (cidr: string, category: Ipv4Range['category']): Ipv4Range => {
  const [address = '', prefix = ''] = cidr.split('/');
  return { base: ipv4ToNumber(address), prefix: Number(prefix), category };
};

// Most specific first: 255.255.255.255 is broadcast before it is part of 240/4.
const IPV4_RANGES: readonly Ipv4Range[] = [
  ipv4Range('255.255.255.255/32', 'broadcast'),
  ipv4Range('0.0.0.0/8', 'unspecified'),
  ipv4Range('10.0.0.0/8', 'private'),
  ipv4Range('100.64.0.0/10', 'shared (carrier-grade NAT)'),
  ipv4Range('127.0.0.0/8', 'loopback'),
  ipv4Range('169.254.0.0/16', 'link-local'),
  ipv4Range('172.16.0.0/12', 'private'),
  ipv4Range('192.0.0.0/24', 'reserved'),
  ipv4Range('192.0.2.0/24', 'documentation'),
  ipv4Range('192.88.99.0/24', 'reserved'),
  ipv4Range('192.168.0.0/16', 'private'),
  ipv4Range('198.18.0.0/15', 'benchmarking'),
  ipv4Range('198.51.100.0/24', 'documentation'),
  ipv4Range('203.0.113.0/24', 'documentation'),
  ipv4Range('224.0.0.0/4', 'multicast'),
  ipv4Range('240.0.0.0/4', 'reserved'),
];

/** What an address is, and for an IPv6 address that carries an IPv4 one (mapped, NAT64, 6to4), through which form. */
export interface AddressVerdict {
  readonly category: AddressCategory;
  /** e.g. 'IPv4-mapped IPv6', when the category is that of the embedded IPv4 address. */
  readonly via?: string;
  /** A cloud instance-metadata or task-credentials endpoint (itself, or embedded in an IPv6 form). */
  readonly metadata: boolean;
}

// EC2 and most clouds, ECS task credentials and EKS Pod Identity, Alibaba Cloud.
const METADATA_IPV4 = new Set(['169.254.169.254', '169.254.170.2', '169.254.170.23', '100.100.100.200'].map(ipv4ToNumber));
// EC2's IPv6 instance-metadata endpoint and EKS Pod Identity's.
const METADATA_IPV6 = new Set(['fd00:ec2::254', 'fd00:ec2::23'].map((address) => ipv6ToWords(address).join(':')));

/** Classifies an IP address in canonical text form (IPv6 with or without brackets, with or without a zone). */
export function classifyAddress(address: string): AddressVerdict {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (isIPv4(bare)) {
    const value = ipv4ToNumber(bare);
    return { category: classifyIpv4(value), metadata: METADATA_IPV4.has(value) };
  }
  if (isIPv6(bare)) {
    const words = ipv6ToWords(bare);
    const { category, via, embedded } = classifyIpv6(words);
    const metadata = METADATA_IPV6.has(words.join(':')) || (embedded !== undefined && METADATA_IPV4.has(embedded));
    return via ? { category, via, metadata } : { category, metadata };
  }
  throw new TypeError(`not an IP address: ${JSON.stringify(address)}`);
}

/** Every category but 'public' is refused. */
export function isPublicAddress(address: string): boolean {
  return classifyAddress(address).category === 'public';
}

function classifyIpv4(value: number): AddressCategory {
  for (const range of IPV4_RANGES) {
    const mask = range.prefix === 0 ? 0 : (0xffffffff << (32 - range.prefix)) >>> 0;
    if ((value & mask) >>> 0 === range.base) return range.category;
  }
  return 'public';
}

interface Ipv6Verdict {
  readonly category: AddressCategory;
  readonly via?: string;
  /** The IPv4 address the packets really go to, for the forms that carry one. */
  readonly embedded?: number;
}

function classifyIpv6(words: readonly number[]): Ipv6Verdict {
  const w = (index: number): number => words[index] ?? 0;
  const embeddedIpv4 = (high: number, low: number): number => ((w(high) << 16) | w(low)) >>> 0;
  const allZero = (from: number, to: number): boolean => words.slice(from, to).every((word) => word === 0);

  if (allZero(0, 8)) return { category: 'unspecified' };
  if (allZero(0, 7) && w(7) === 1) return { category: 'loopback' };
  // ::ffff:a.b.c.d reaches a.b.c.d itself: judged as that IPv4 address.
  if (allZero(0, 5) && w(5) === 0xffff) return embedding(embeddedIpv4(6, 7), 'IPv4-mapped IPv6');
  // 64:ff9b::/96, the well-known NAT64 prefix (RFC 6052): the gateway connects to the embedded IPv4 address.
  if (w(0) === 0x64 && w(1) === 0xff9b && allZero(2, 6)) return embedding(embeddedIpv4(6, 7), 'NAT64 IPv6');
  // 64:ff9b:1::/48 (RFC 8215) is for NAT64 inside one network.
  if (w(0) === 0x64 && w(1) === 0xff9b && w(2) === 1) return { category: 'private', via: 'local-use NAT64 IPv6' };
  // ::a.b.c.d (IPv4-compatible, deprecated by RFC 4291) and the rest of ::/8.
  if ((w(0) & 0xff00) === 0) return { category: 'reserved' };
  if (w(0) === 0x100 && allZero(1, 4)) return { category: 'reserved' }; // 100::/64, discard-only
  if ((w(0) & 0xfe00) === 0xfc00) return { category: 'unique-local' }; // fc00::/7
  if ((w(0) & 0xffc0) === 0xfe80) return { category: 'link-local' }; // fe80::/10
  if ((w(0) & 0xffc0) === 0xfec0) return { category: 'site-local' }; // fec0::/10
  if ((w(0) & 0xff00) === 0xff00) return { category: 'multicast' }; // ff00::/8
  // Global unicast is 2000::/3; everything else is unassigned.
  if ((w(0) & 0xe000) !== 0x2000) return { category: 'reserved' };
  if (w(0) === 0x2001 && w(1) === 0x0db8) return { category: 'documentation' }; // 2001:db8::/32
  // Teredo (2001::/32) hides its IPv4 server and client addresses (the client one obfuscated): not checkable.
  if (w(0) === 0x2001 && w(1) === 0) return { category: 'reserved' };
  if (w(0) === 0x2001 && (w(1) & 0xfff0) === 0x10) return { category: 'reserved' }; // ORCHID 2001:10::/28
  if (w(0) === 0x2001 && (w(1) & 0xfff0) === 0x20) return { category: 'reserved' }; // ORCHIDv2 2001:20::/28
  // 6to4 (2002::/16) carries an IPv4 address in its next 32 bits.
  if (w(0) === 0x2002) return embedding(embeddedIpv4(1, 2), '6to4 IPv6');
  return { category: 'public' };
}

function embedding(ipv4: number, via: string): Ipv6Verdict {
  const category = classifyIpv4(ipv4);
  return category === 'public' ? { category, embedded: ipv4 } : { category, via, embedded: ipv4 };
}

function ipv4ToNumber(address: string): number {
  return address.split('.').reduce((value, part) => ((value << 8) | Number(part)) >>> 0, 0);
}

/** Eight 16-bit words; the address is known to be valid IPv6 (node:net said so), possibly ending in dotted IPv4. */
function ipv6ToWords(address: string): number[] {
  let text = address.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    const value = ipv4ToNumber(dotted[1]);
    text = `${text.slice(0, -dotted[1].length)}${(value >>> 16).toString(16)}:${(value & 0xffff).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((word) => Number.parseInt(word, 16)));
  const front = parse(head);
  if (tail === undefined) return front;
  const back = parse(tail);
  return [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
}
