import { isIPv4, isIPv6 } from 'node:net';

/**
 * The unit a per-client limit counts by: an IPv4 address (also when written IPv4-mapped, as a
 * dual-stack socket reports it), or an IPv6 address's /64, since one IPv6 client usually holds a
 * whole /64 and could otherwise take a fresh address per connection. Pure.
 */
export function addressKey(address: string | undefined): string {
  const a = (address ?? '').trim().toLowerCase().replace(/%.*$/, '');
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(a);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]!;
  if (isIPv4(a)) return a;
  if (!isIPv6(a)) return a === '' ? 'unknown' : a.slice(0, 100);
  return `${ipv6Groups(a).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address, as short hex (an IPv4 tail counts as two). */
function ipv6Groups(a: string): string[] {
  const split = (s: string) => {
    if (s === '') return [];
    const parts = s.split(':');
    const last = parts[parts.length - 1]!;
    if (last.includes('.')) {
      const [w, x, y, z] = last.split('.').map(Number) as [number, number, number, number];
      parts.splice(-1, 1, ((w << 8) | x).toString(16), ((y << 8) | z).toString(16));
    }
    return parts;
  };
  const [head, tail] = a.includes('::') ? (a.split('::') as [string, string]) : [a, undefined];
  const h = split(head);
  const t = tail === undefined ? [] : split(tail);
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.map((g) => parseInt(g, 16).toString(16));
}
