import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PublishResult } from './publish.ts';

export const ZERO_SHA = '0000000000000000000000000000000000000000';

export interface RefUpdate {
  ref: string;
  /** ZERO_SHA when the ref was created. */
  before: string;
  /** ZERO_SHA when the ref was deleted. */
  after: string;
}

/** Refs of a hosted repository that moved, whoever moved them (a person over HTTP, the publisher). */
export interface PushEvent {
  app: string;
  updates: RefUpdate[];
}

export type PushListener = (event: PushEvent) => void;

/** One place the local runner subscribes to; the HTTP routes and the publisher both emit here. */
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

/**
 * The push event for a publish that went straight to a hosted repository's path (not over HTTP,
 * so no route saw it); null when the remote is not one of ours or nothing moved.
 */
export function pushEventForPublish(reposDir: string, branch: string, result: Pick<PublishResult, 'url' | 'commit' | 'previous'>): PushEvent | null {
  if (result.commit === result.previous) return null;
  const app = hostedAppOf(reposDir, result.url);
  if (!app) return null;
  return { app, updates: [{ ref: `refs/heads/${branch}`, before: result.previous ?? ZERO_SHA, after: result.commit }] };
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
