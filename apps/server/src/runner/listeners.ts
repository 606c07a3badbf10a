import { readFileSync } from 'node:fs';

/**
 * The local addresses listening on TCP `port` on this host, from /proc/net/tcp and tcp6 (Linux):
 * `127.0.0.1`, `0.0.0.0`, `::`, `::1`, … An empty list where /proc is not there.
 */
export function listeningAddresses(port: number): string[] {
  const out: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 4 || f[3] !== '0A') continue; // 0A: LISTEN
      const [hex, p] = f[1]!.split(':');
      if (!hex || !p || parseInt(p, 16) !== port) continue;
      out.push(hex.length === 8 ? ipv4(hex) : ipv6(hex));
    }
  }
  return [...new Set(out)];
}

/** Addresses reachable from outside the host (not loopback). */
export function publicAddresses(port: number): string[] {
  return listeningAddresses(port).filter((a) => !a.startsWith('127.') && a !== '::1' && a !== '::ffff:127.0.0.1');
}

function ipv4(hex: string): string {
  return hex.match(/../g)!.reverse().map((h) => parseInt(h, 16)).join('.');
}

function ipv6(hex: string): string {
  // Four little-endian 32-bit words.
  const words = hex.match(/.{8}/g)!.map((w) => w.match(/../g)!.reverse().join(''));
  const groups = words.join('').match(/.{4}/g)!.map((g) => parseInt(g, 16));
  if (groups.every((g) => g === 0)) return '::';
  if (groups.slice(0, 7).every((g) => g === 0) && groups[7] === 1) return '::1';
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return `::ffff:${groups[6]! >> 8}.${groups[6]! & 255}.${groups[7]! >> 8}.${groups[7]! & 255}`;
  return groups.map((g) => g.toString(16)).join(':');
}
