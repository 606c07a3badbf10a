/**
 * Which members are subscribed to which channel. Knows nothing of sockets: members are whatever
 * the server puts in (connections), so it is tested with plain objects.
 */
export class ChannelRegistry<M> {
  private readonly byChannel = new Map<string, Set<M>>();

  /** True when the member was not already there. */
  add(channel: string, member: M): boolean {
    let set = this.byChannel.get(channel);
    if (!set) this.byChannel.set(channel, (set = new Set()));
    if (set.has(member)) return false;
    set.add(member);
    return true;
  }

  remove(channel: string, member: M): boolean {
    const set = this.byChannel.get(channel);
    if (!set?.delete(member)) return false;
    // An empty channel is forgotten, so the map only holds occupied channels.
    if (set.size === 0) this.byChannel.delete(channel);
    return true;
  }

  members(channel: string): ReadonlySet<M> | undefined {
    return this.byChannel.get(channel);
  }

  count(channel: string): number {
    return this.byChannel.get(channel)?.size ?? 0;
  }

  /** Occupied channels and their subscriber counts, optionally those starting with `prefix`. */
  *occupied(prefix = ''): IterableIterator<[string, number]> {
    for (const [name, set] of this.byChannel) if (name.startsWith(prefix)) yield [name, set.size];
  }

  get size(): number {
    return this.byChannel.size;
  }
}
