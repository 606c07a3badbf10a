import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../auth/auth.service.ts';
import { fuzzRuns } from '../test-support/fuzz.ts';
import { ensureBareRepo } from './local-repos.ts';
import { FLUSH_PKT, pktLine } from './pkt-line.ts';
import { git, startGitServer, tempDir } from './test-helpers.ts';

/**
 * A deployer's hand-made push bodies: random bytes, and pkt-lines mixing real-looking commands
 * (on `main`, another member's module branch, odd hex case, stray NULs and specials) with noise.
 * Never a 5xx, the server stays up, and the protected refs never move.
 */

const ADMIN_TOKEN = 'slp_fuzzadminfuzzadminfuzzadminfuzzadminfuzz1';
const DEPLOYER_TOKEN = 'slp_fuzzdeployerfuzzdeployerfuzzdeployerfuz1';
const DEPLOYER: User = { id: 7, email: 'dee@example.com', role: 'member' };
const tmp = tempDir('receive-pack-fuzz');
const reposDir = join(tmp.dir, 'repos');
const bare = join(reposDir, 'backend.git');
let server: Awaited<ReturnType<typeof startGitServer>>;
let protectedRefs: string;
let main: string;

const refsNow = () => git(bare, ['for-each-ref', '--format=%(objectname) %(refname)', 'refs/heads/main', 'refs/heads/module/orders', 'refs/tags']);

beforeAll(async () => {
  await ensureBareRepo(reposDir, 'backend', { initialFiles: [{ path: 'README.md', content: '# backend\n' }] });
  main = git(bare, ['rev-parse', 'main']);
  git(bare, ['branch', 'module/orders', 'main']);
  server = await startGitServer(reposDir, ADMIN_TOKEN, {
    users: { [DEPLOYER_TOKEN]: DEPLOYER },
    rules: { backend: { baseBranch: 'main', deployers: [DEPLOYER.email] } },
    moduleOwners: { orders: 99 },
  });
  protectedRefs = refsNow();
});
afterAll(async () => {
  await server.app.close();
  tmp.cleanup();
});

const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-fA-F]{${n}}$`));
// Shas that exist (main's tip, in either case) or mean create/delete, so a command can really apply.
const sha = fc.oneof(fc.constant(() => main), fc.constant(() => main.toUpperCase()), fc.constant(() => '0'.repeat(40)), hex(40).map((h) => () => h));
const realSha = fc.constantFrom(() => main, () => main.toUpperCase(), () => '0'.repeat(40));
const ref = fc.constantFrom('refs/heads/main', 'refs/heads/module/orders', 'refs/tags/v1', 'refs/heads/MAIN', 'refs/heads/main\0report-status', 'HEAD', 'refs/heads/ma in');
const protectedRef = fc.constantFrom('refs/heads/main', 'refs/heads/module/orders', 'refs/tags/v1');
const tail = fc.constantFrom('', '\n', '\0report-status side-band-64k\n', '\0report-status', '\0report-status\n');
const command = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(realSha, realSha, protectedRef, tail).map(([a, b, r, t]) => pktLine(`${a()} ${b()} ${r}${t}`)) },
  { weight: 1, arbitrary: fc.tuple(sha, sha, ref, tail).map(([a, b, r, t]) => pktLine(`${a()} ${b()} ${r}${t}`)) },
);
const line = fc.oneof(
  { weight: 4, arbitrary: command },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 80 }).map((b) => pktLine(Buffer.from(b))) },
  { weight: 1, arbitrary: fc.constantFrom(Buffer.from('0001'), Buffer.from('0002'), Buffer.from('0003'), Buffer.from('zzzz'), pktLine(`shallow ${'a'.repeat(40)}\n`)) },
);
const body = fc.oneof(
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b)) },
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.array(line, { minLength: 1, maxLength: 4 }), fc.boolean(), fc.uint8Array({ maxLength: 64 }))
      .map(([lines, rest, junk]) => Buffer.concat([...lines, FLUSH_PKT, rest ? Buffer.from(junk) : Buffer.alloc(0)])),
  },
);

describe('git-receive-pack bodies from a deployer (fuzz)', () => {
  it('answer below 500, and never move main, another member’s module branch or a tag', async () => {
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const res = await fetch(`${server.url}/git/backend.git/git-receive-pack`, {
          method: 'POST',
          headers: { authorization: `Bearer ${DEPLOYER_TOKEN}`, 'content-type': 'application/x-git-receive-pack-request' },
          body: b,
        });
        await res.arrayBuffer();
        expect(res.status).toBeLessThan(500);
      }),
      { numRuns: fuzzRuns(150) },
    );
    expect(refsNow()).toBe(protectedRefs);
    // Still serving.
    const alive = await fetch(`${server.url}/git/backend.git/info/refs?service=git-upload-pack`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(alive.status).toBe(200);
    expect(await alive.text()).toContain('# service=git-upload-pack');
  });
});
