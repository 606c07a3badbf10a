/**
 * Realtime names the web app's first page load needs, in a file without zod: the web app imports
 * it through the `@slipway/contracts/realtime` path alias, so its initial bundle stays small.
 */

/**
 * Sent on a channel when events for it may have been lost (the instance's Redis bus reconnected):
 * the page fetches the current state of what it shows. Its data says why (`{"reason": …}`).
 */
export const RESYNC_EVENT_NAME = 'slipway.resync';
