import { describe, expect, it } from 'vitest';
import { remoteAccess } from './credentials.ts';

describe('remoteAccess', () => {
  it('sends an https token as a Basic header scoped to the remote, in config, not in the URL', () => {
    const a = remoteAccess({ url: 'https://github.com/acme/backend.git', token: 'ghp_secret_token_value' });
    expect(a.kind).toBe('http');
    expect(a.url).toBe('https://github.com/acme/backend.git');
    const basic = Buffer.from('x-access-token:ghp_secret_token_value').toString('base64');
    expect(a.config).toEqual([['http.https://github.com/acme/backend.git.extraHeader', `Authorization: Basic ${basic}`]]);
    expect(a.secrets).toEqual(expect.arrayContaining(['ghp_secret_token_value', basic]));
  });

  it('moves a token typed into the URL out of it', () => {
    const a = remoteAccess({ url: 'https://oauth2:glpat%2Fsecret@gitlab.example.com/g/r.git' });
    expect(a.url).toBe('https://gitlab.example.com/g/r.git');
    expect(a.config[0]?.[1]).toBe(`Authorization: Basic ${Buffer.from('oauth2:glpat/secret').toString('base64')}`);
    expect(a.secrets).toEqual(expect.arrayContaining(['glpat/secret', 'glpat%2Fsecret']));
    // A token alone as the username, as GitHub documents it.
    expect(remoteAccess({ url: 'https://ghp_tokenonly1234@github.com/a/b.git' }).config[0]?.[1]).toBe(
      `Authorization: Basic ${Buffer.from('x-access-token:ghp_tokenonly1234').toString('base64')}`,
    );
  });

  it('ssh gets a batch-mode ssh command with the key; local paths need nothing', () => {
    const ssh = remoteAccess({ url: 'git@github.com:acme/backend.git', sshKeyPath: "/keys/it's" });
    expect(ssh.kind).toBe('ssh');
    expect(ssh.env.GIT_SSH_COMMAND).toBe("ssh -i '/keys/it'\\''s' -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=accept-new -o ConnectTimeout=15");
    expect(remoteAccess({ url: 'ssh://git@host:2222/r.git' }).kind).toBe('ssh');
    const local = remoteAccess({ url: '/srv/repos/backend.git' });
    expect(local).toMatchObject({ kind: 'local', config: [], env: {}, secrets: [] });
    expect(remoteAccess({ url: 'file:///srv/repos/backend.git' }).kind).toBe('local');
  });
});
