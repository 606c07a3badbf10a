/**
 * Turns a configured remote into what git needs to reach it without the credential ever being
 * in argv or in a URL: a clean URL, config entries for the environment (an `http.<url>.extraHeader`
 * scoped to that remote), and the list of secrets the scrubber must mask. Pure.
 */
export interface GitRemote {
  /** https://…, ssh://… or user@host:path, file://… or a local path. */
  url: string;
  /** Token for https remotes, sent as HTTP Basic password (any host: GitHub, GitLab, Gitea, Slipway). */
  token?: string;
  /** Basic username to pair with the token; `x-access-token` works for GitHub and is ignored by Slipway. */
  username?: string;
  /** Private key for ssh remotes. */
  sshKeyPath?: string;
}

export interface RemoteAccess {
  /** The URL with any userinfo removed: safe for argv, config and logs. */
  url: string;
  kind: 'http' | 'ssh' | 'local';
  config: [string, string][];
  env: Record<string, string>;
  secrets: string[];
}

export function remoteAccess(remote: GitRemote): RemoteAccess {
  const secrets: string[] = [];
  let url = remote.url.trim();
  let token = remote.token;
  let username = remote.username;
  const kind = /^https?:\/\//i.test(url) ? 'http' : /^(ssh:\/\/|[^/\\:]+@[^/\\:]+:)/i.test(url) ? 'ssh' : 'local';

  if (kind === 'http') {
    // A token typed into the URL is moved out of it: the URL ends up in argv and in config.
    const u = new URL(url);
    if (u.username || u.password) {
      const user = decodeURIComponent(u.username);
      const pass = decodeURIComponent(u.password);
      secrets.push(user, pass, u.username, u.password);
      token ??= pass || user;
      if (pass) username ??= user;
      u.username = '';
      u.password = '';
      url = u.toString();
    }
  }
  if (token) secrets.push(token);

  const config: [string, string][] = [];
  const env: Record<string, string> = {};
  if (kind === 'http' && token) {
    const basic = Buffer.from(`${username || 'x-access-token'}:${token}`).toString('base64');
    secrets.push(basic);
    // Scoped to this remote, so a redirect to another host never carries it.
    config.push([`http.${url}.extraHeader`, `Authorization: Basic ${basic}`]);
  }
  if (kind === 'ssh') {
    const opts = ['-o BatchMode=yes', '-o StrictHostKeyChecking=accept-new', '-o ConnectTimeout=15'];
    if (remote.sshKeyPath) opts.unshift(`-i ${shellQuote(remote.sshKeyPath)}`, '-o IdentitiesOnly=yes');
    env.GIT_SSH_COMMAND = `ssh ${opts.join(' ')}`;
  }
  return { url, kind, config, env, secrets };
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
