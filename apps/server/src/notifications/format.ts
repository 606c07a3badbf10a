import type { NotificationEvent } from '@slipway/contracts';

/** What a notification says about one deployment (built from its row and targets). */
export interface DeploymentNews {
  event: NotificationEvent;
  deployment_id: string;
  module_slug: string | null;
  status: string;
  message: string | null;
  url: string | null;
  commit_sha: string | null;
  rollback_of: string | null;
  finished_at: string | null;
  targets: { application_id: string; status: string; commit_sha: string | null; url: string | null; message: string | null }[];
}

const TITLES: Record<NotificationEvent, string> = {
  'deployment.succeeded': 'deployed',
  'deployment.failed': 'failed to deploy',
  'deployment.stuck': 'is stuck: the watchdog failed its deployment',
  'deployment.rolled_back': 'rolled back',
};

/** One line for people: "Module 'boats' rolled back (deployment 12, to deployment 7)". */
export function headline(n: DeploymentNews): string {
  const what = n.module_slug ? `Module '${n.module_slug}'` : 'A deployment';
  const extra = n.rollback_of ? `, to deployment ${n.rollback_of}` : '';
  return `${what} ${TITLES[n.event]} (deployment ${n.deployment_id}${extra})`;
}

function details(n: DeploymentNews): string[] {
  const lines = n.message ? [n.message] : [];
  for (const t of n.targets) lines.push(`${t.application_id}: ${t.status}${t.commit_sha ? ` at ${t.commit_sha.slice(0, 7)}` : ''}${t.message && t.status !== 'success' ? ` (${t.message})` : ''}`);
  if (n.url) lines.push(n.url);
  return lines;
}

/** The Standard Webhooks body: `{ type, timestamp, data }`. */
export function webhookBody(n: DeploymentNews, timestamp: Date): string {
  const { event, ...data } = n;
  return JSON.stringify({ type: event, timestamp: timestamp.toISOString(), data });
}

/** Slack's incoming webhook: `text` (mrkdwn), shown in the notification and the channel. */
export function slackBody(n: DeploymentNews): string {
  return JSON.stringify({ text: [`*${escapeSlack(headline(n))}*`, ...details(n).map(escapeSlack)].join('\n') });
}

/** Discord's webhook (execute): `content` and one embed; no mentions are ever parsed. */
export function discordBody(n: DeploymentNews): string {
  const color = n.event === 'deployment.succeeded' || n.event === 'deployment.rolled_back' ? 0x2e7d32 : 0xc62828;
  return JSON.stringify({
    username: 'Slipway',
    content: headline(n).slice(0, 2000),
    embeds: [{ title: headline(n).slice(0, 256), description: details(n).join('\n').slice(0, 4000), color, ...(n.url ? { url: n.url } : {}) }],
    allowed_mentions: { parse: [] },
  });
}

export function emailMessage(n: DeploymentNews): { subject: string; text: string } {
  return { subject: `[Slipway] ${headline(n)}`, text: `${headline(n)}\n\n${details(n).join('\n')}\n` };
}

/** Slack's three control characters in text (&, <, >), escaped as its docs ask. */
function escapeSlack(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
