import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerCiCommands } from './ci.command.ts';

let dir: string;
let printed: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-ci-cmd-'));
  await mkdir(join(dir, '.git'));
  await writeFile(join(dir, 'Dockerfile'), 'FROM scratch\n');
  printed = '';
});
afterEach(() => rm(dir, { recursive: true, force: true }));

function program() {
  const p = new Command('slipway').exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} });
  registerCiCommands(p, { out: (t) => void (printed += t) });
  return p;
}

describe('slipway ci init', () => {
  it('writes the files and ends with the secrets table', async () => {
    await program().parseAsync(['node', 'slipway', 'ci', 'init', '--app', 'frontend', '--dir', dir, '--server', 'https://slipway.example.com']);
    expect(await readFile(join(dir, '.github/workflows/ci.yaml'), 'utf8')).toContain('SLIPWAY_APP_ID: frontend');
    expect(await readFile(join(dir, '.slipway/notify.mjs'), 'utf8')).toContain('export function buildPayload');
    expect(printed).toMatch(/^created {3}\.github\/workflows\/ci\.yaml\ncreated {3}\.slipway\/notify\.mjs\n/);
    expect(printed).toContain('| `BACKEND_DEPLOYMENT_WEBHOOK_URL`      | https://slipway.example.com/api/webhooks/dokploy/deployment');
    for (const name of ['DOKPLOY_WEBHOOK_SECRET', 'DOKPLOY_WEBHOOK_URL_FRONTEND', 'DOKPLOY_WEBHOOK_URL_FRONTEND_MODULE']) {
      expect(printed).toContain(`\`${name}\``);
    }
    expect(printed.trimEnd().split('\n').at(-1)).toMatch(/push to the main branch or a module\/\* branch/);
  });

  it('refuses to overwrite a different workflow unless --force', async () => {
    await mkdir(join(dir, '.github/workflows'), { recursive: true });
    await writeFile(join(dir, '.github/workflows/ci.yaml'), 'name: mine\n');
    await expect(program().parseAsync(['node', 'slipway', 'ci', 'init', '--app', 'backend', '--dir', dir])).rejects.toMatchObject({
      name: 'CiInitError',
      expected: true,
      message: expect.stringContaining('--force'),
    });
    await program().parseAsync(['node', 'slipway', 'ci', 'init', '--app', 'backend', '--dir', dir, '--force']);
    expect(printed).toMatch(/^updated {3}\.github\/workflows\/ci\.yaml/);
  });

  it('requires --app', async () => {
    await expect(program().parseAsync(['node', 'slipway', 'ci', 'init', '--dir', dir])).rejects.toMatchObject({
      code: 'commander.missingMandatoryOptionValue',
    });
  });
});

describe('slipway secret', () => {
  it('prints a fresh 64-hex-character secret, nothing else', async () => {
    await program().parseAsync(['node', 'slipway', 'secret']);
    const first = printed;
    printed = '';
    await program().parseAsync(['node', 'slipway', 'secret']);
    expect(first).toMatch(/^[0-9a-f]{64}\n$/);
    expect(printed).toMatch(/^[0-9a-f]{64}\n$/);
    expect(printed).not.toBe(first);
  });

  it('prints a whsec_ secret with --format whsec, as Standard Webhooks libraries read it by default', async () => {
    await program().parseAsync(['node', 'slipway', 'secret', '--format', 'whsec']);
    expect(printed).toMatch(/^whsec_[A-Za-z0-9+/]{43}=\n$/);
    expect(new Webhook(printed.trim()).sign('msg_1', new Date(), '{}')).toMatch(/^v1,/);
    await expect(program().parseAsync(['node', 'slipway', 'secret', '--format', 'base32'])).rejects.toMatchObject({ code: 'commander.invalidArgument' });
  });
});
