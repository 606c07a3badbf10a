export interface SignedWebhook {
  body: string;
  signature: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The Slipway server started by slipway-server.global-setup.ts. */
    slipway: { url: string; email: string; password: string; webhooks: SignedWebhook[] };
  }
}
