/**
 * Pusher protocol 7 error codes (https://pusher.com/docs/channels/library_auth_reference/pusher-websockets-protocol/#error-codes).
 * The range tells the client what to do: 4000–4099 do not reconnect, 4100–4199 reconnect after a
 * back-off, 4200–4299 reconnect at once, 4300–4399 other (pusher-js does not reconnect).
 */
export const PusherError = {
  /** The app only accepts TLS connections. */
  SslOnly: 4000,
  AppNotFound: 4001,
  AppDisabled: 4003,
  OverConnectionQuota: 4004,
  PathNotFound: 4005,
  InvalidVersionFormat: 4006,
  UnsupportedProtocol: 4007,
  NoProtocolVersion: 4008,
  Unauthorized: 4009,
  OverCapacity: 4100,
  GenericReconnect: 4200,
  PongNotReceived: 4201,
  ClosedAfterInactivity: 4202,
  /** Client event or message rejected by a rate limit. */
  RateLimited: 4301,
} as const;
export type PusherErrorCode = (typeof PusherError)[keyof typeof PusherError];
