import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ZERO_SHA = '0000000000000000000000000000000000000000';

export interface RefUpdate {
  ref: string;
  /** ZERO_SHA when the ref was created. */
  before: string;
  /** ZERO_SHA when the ref was deleted. */
  after: string;
}

/**
 * Refs of a hosted repository that a person moved over HTTP (Slipway's own publisher queues its
 * builds with the push's record instead: modules/, BuildTrigger).
 */
export interface PushEvent {
  app: string;
  updates: RefUpdate[];
}

export type PushListener = (event: PushEvent) => void;

/** Where the HTTP routes announce accepted pushes; the local runner queues their builds. */
export class PushEvents {
  private readonly listeners = new Set<PushListener>();

  on(listener: PushListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit = (event: PushEvent): void => {
    if (event.updates.length === 0) return;
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // A failing listener must not break the push that was already accepted, nor the others.
      }
    }
  };
}

/** `<reposDir>/<app>.git` (as a path or file:// URL) → app; anything else → null. */
export function hostedAppOf(reposDir: string, url: string): string | null {
  let path: string;
  try {
    path = url.startsWith('file://') ? fileURLToPath(url) : /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? '' : resolve(url);
  } catch {
    return null;
  }
  if (!path) return null;
  const m = /^(.*)\/([a-z][a-z0-9-]{0,62})\.git\/?$/.exec(path);
  return m && resolve(m[1] ?? '/') === resolve(reposDir) ? (m[2] ?? null) : null;
}
