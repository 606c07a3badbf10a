// Browser helpers shared by the end-to-end tests: Debian's Chromium through playwright-core (never
// a downloaded browser), sign-in, the module form, the status dialog, screenshots.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';
import { ROOT, WEB_ROOT, startSlipway } from './slipway.mjs';

export const SHOTS = join(ROOT, 'e2e', 'screenshots');
mkdirSync(SHOTS, { recursive: true });

export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * What most browser tests share: `slipway start` with its demo applications and local runner
 * (SLIPWAY_E2E_SERVER_DIR reuses a server folder) and Chromium, started before the calling file's
 * tests and stopped after them. `signIn(viewport)` opens a signed-in page on it.
 */
export function demoSlipway() {
  let server = null;
  let browser = null;
  before(async () => {
    assert.ok(existsSync(join(WEB_ROOT, 'index.html')), `no web build in ${WEB_ROOT}: run node e2e/run.mjs (or npm run build)`);
    server = await startSlipway(process.env.SLIPWAY_E2E_SERVER_DIR ? { serverDir: process.env.SLIPWAY_E2E_SERVER_DIR } : {});
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    if (server && process.exitCode) console.log(server.output().slice(-4000));
    await server?.stop();
  });
  return {
    get server() {
      return server;
    },
    signIn: (viewport) => signedInPage(browser, server.url, server.admin, viewport),
  };
}

let current = null;
const received = new WeakMap();
/** Content-Security-Policy violations the page reported: the served policy must not break the app. */
let cspViolations = [];

/** Every `deployment.status-updated` event the page's socket received, in order (from the frames). */
export function deploymentEvents(page) {
  return received.get(page) ?? [];
}

function recordEvents(page) {
  const list = [];
  received.set(page, list);
  page.on('websocket', (ws) =>
    ws.on('framereceived', ({ payload }) => {
      try {
        const msg = JSON.parse(String(payload));
        if (msg.event === 'deployment.status-updated') list.push(JSON.parse(msg.data));
      } catch {
        /* not a Pusher JSON frame */
      }
    }),
  );
}

/** A test that leaves a screenshot (e2e/screenshots/failure-*.tmp.png, not committed) when it fails. */
export function e2e(name, fn) {
  test(name, async () => {
    cspViolations = [];
    try {
      await fn();
      assert.deepEqual(cspViolations, [], 'the page broke its own Content-Security-Policy');
    } catch (err) {
      await current?.screenshot({ path: join(SHOTS, `failure-${name.slice(0, 30).replace(/\W+/g, '-')}.tmp.png`) }).catch(() => {});
      throw err;
    } finally {
      await current?.context().close().catch(() => {});
      current = null;
    }
  });
}

/** A new page, signed in through the sign-in form, with the live connection up. */
export async function signedInPage(browser, base, admin, viewport = { width: 1280, height: 860 }) {
  const context = await browser.newContext({ viewport });
  const page = (current = await context.newPage());
  recordEvents(page);
  page.on('pageerror', (e) => console.log('# page error:', e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  await page.goto(`${base}/`);
  await page.waitForURL(/\/sign-in/);
  await page.getByLabel('Email').fill(admin.email);
  await page.getByLabel('Password', { exact: true }).fill(admin.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/modules/);
  await page.locator('[data-testid=connection-state][data-state=connected]').waitFor();
  return page;
}

/** Fills the module form (fields: { name, type, relation? }[]); does not submit. */
export async function fillModule(page, { name, fields, apps }) {
  await page.getByTestId('new-module').click();
  await page.waitForURL(/\/modules\/new/);
  await page.getByTestId('module-name').fill(name);
  for (let i = 0; i < fields.length; i++) {
    if (i > 0) await page.getByTestId('add-field').click();
    await page.getByTestId(`field-name-${i}`).fill(fields[i].name);
    if (fields[i].type !== 'string') {
      await page.getByTestId(`field-type-${i}`).click();
      await page.getByRole('option', { name: fields[i].type, exact: true }).click();
    }
    if (fields[i].relation) await page.locator(`[data-field="${i}"]`).getByLabel('Points to module (slug)').fill(fields[i].relation);
  }
  for (const a of apps) await page.getByTestId(`app-${a}`).locator('input').check();
}

export const dialog = (page) => page.getByRole('dialog');

export const statusOf = (page) => dialog(page).getByTestId('deployment-status').locator('[data-status]').getAttribute('data-status');

export async function waitStatus(page, status, timeout = 15_000) {
  await dialog(page).locator(`[data-testid=deployment-status] [data-status=${status}]`).waitFor({ timeout });
}

export async function shot(page, name) {
  await page.waitForTimeout(250); // let the progress bar and chips finish their transition
  await page.screenshot({ path: join(SHOTS, name) });
}

/** Waits until the dialog shows an end state; returns the statuses it rendered on the way. */
export async function followToEnd(page, timeoutMs = 120_000) {
  const seen = [];
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const s = await statusOf(page).catch(() => null);
    if (s && seen.at(-1) !== s) seen.push(s);
    if (s === 'success' || s === 'failed' || s === 'cancelled') return seen;
    await page.waitForTimeout(40);
  }
  throw new Error(`no end within ${timeoutMs} ms; statuses seen: ${seen.join(' → ')}`);
}
