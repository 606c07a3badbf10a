export interface SignedWebhook {
  body: string;
  signature: string;
}

/** A Pusher HTTP API request, signed in the global setup (path with its query, and body). */
export interface SignedRequest {
  path: string;
  body: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The Slipway server started by slipway-server.global-setup.ts. */
    slipway: { url: string; email: string; password: string; webhooks: SignedWebhook[]; resyncHint: SignedRequest; second: { email: string; password: string } };
  }
}
