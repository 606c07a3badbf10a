import { createHmac, randomBytes } from 'node:crypto';
import { createTransport } from 'nodemailer';
import { discordBody, emailMessage, slackBody, webhookBody, type DeploymentNews } from './format.ts';

/** A channel's settings and secret, as stored (JSON columns). */
export interface ChannelSettings {
  /** email */
  host?: string;
  port?: number;
  secure?: boolean;
  username?: string;
  from?: string;
  to?: string[];
}
export interface ChannelSecret {
  /** webhook, slack, discord */
  url?: string;
  /** webhook: `whsec_<base64>` */
  secret?: string;
  /** email */
  password?: string;
}

export interface SendInput {
  kind: 'webhook' | 'slack' | 'discord' | 'email';
  settings: ChannelSettings;
  secret: ChannelSecret;
  news: DeploymentNews;
  /** `webhook-id`: the same for every attempt of one delivery, so a receiver can drop repeats. */
  messageId: string;
  now: Date;
  timeoutMs: number;
}

/** What the receiver said. `status`: its HTTP status or SMTP reply code. */
export interface SendResult {
  ok: boolean;
  status: number | null;
  error?: string;
}

/** A new Standard Webhooks secret: `whsec_` and 32 random bytes in base64. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * Standard Webhooks signature (https://www.standardwebhooks.com): base64 HMAC-SHA256, keyed with the
 * secret's decoded bytes (`whsec_<base64>`), of `<webhook-id>.<webhook-timestamp>.<body>`; the header
 * is `v1,<signature>`. Verified in the tests with the `standardwebhooks` package.
 */
export function standardWebhookHeaders(secret: string, messageId: string, now: Date, body: string): Record<string, string> {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
  const timestamp = Math.floor(now.getTime() / 1000).toString();
  const signature = createHmac('sha256', key).update(`${messageId}.${timestamp}.${body}`).digest('base64');
  return { 'webhook-id': messageId, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` };
}

export async function send(i: SendInput): Promise<SendResult> {
  if (i.kind === 'email') return sendEmail(i);
  const url = i.secret.url;
  if (!url) return { ok: false, status: null, error: 'the channel has no URL' };
  let body: string;
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'Slipway-Notifications/1' };
  if (i.kind === 'webhook') {
    body = webhookBody(i.news, i.now);
    Object.assign(headers, standardWebhookHeaders(i.secret.secret ?? '', i.messageId, i.now, body));
  } else {
    body = i.kind === 'slack' ? slackBody(i.news) : discordBody(i.news);
  }
  let res: Response;
  try {
    // No redirects: a receiver cannot bounce a signed delivery to another address.
    res = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(i.timeoutMs) });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    const why = e.name === 'TimeoutError' ? `no answer within ${i.timeoutMs} ms` : (e.cause?.code ?? e.message);
    // The host only: a Slack or Discord URL's path is its secret.
    return { ok: false, status: null, error: `could not reach ${hostOf(url)}: ${why}` };
  }
  await res.body?.cancel().catch(() => undefined);
  if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status };
  return { ok: false, status: res.status, error: `${hostOf(url)} answered HTTP ${res.status}` };
}

async function sendEmail(i: SendInput): Promise<SendResult> {
  const s = i.settings;
  if (!s.host || !s.from || !s.to?.length) return { ok: false, status: null, error: 'the channel has no SMTP host, sender or recipients' };
  const transport = createTransport({
    host: s.host,
    port: s.port ?? 587,
    secure: s.secure ?? false,
    auth: s.username ? { user: s.username, pass: i.secret.password ?? '' } : undefined,
    connectionTimeout: i.timeoutMs,
    greetingTimeout: i.timeoutMs,
    socketTimeout: i.timeoutMs,
    // Never log: the SMTP conversation would carry the password.
    logger: false,
    debug: false,
  });
  const m = emailMessage(i.news);
  try {
    const info = await transport.sendMail({ from: s.from, to: s.to, subject: m.subject, text: m.text, messageId: `<${i.messageId}@slipway>` });
    const code = Number(/^(\d{3})/.exec(String(info.response ?? ''))?.[1] ?? 250);
    return { ok: true, status: code };
  } catch (err) {
    const e = err as Error & { responseCode?: number; code?: string };
    return { ok: false, status: e.responseCode ?? null, error: `SMTP ${s.host}:${s.port ?? 587}: ${e.code ? `${e.code} ` : ''}${(e.responseCode ? `${e.responseCode} ` : '') + firstLine(e.message)}`.slice(0, 300) };
  } finally {
    transport.close();
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(invalid URL)';
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.slice(0, 200);
}
