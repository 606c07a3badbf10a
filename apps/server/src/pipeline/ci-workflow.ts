import { Document } from 'yaml';
import { MAIN_BRANCH } from '@slipway/contracts';

/**
 * The GitHub Actions workflow `slipway ci init` writes (the spec's `.github/workflows/ci.yaml`):
 * push on main and module/*, build and push to GHCR with the tags of docs/contracts.md, call the Dokploy
 * webhook of the branch and application, and report running/done/error to Slipway through the
 * notifier copied beside it. Pure: options in, YAML text out.
 */

export const WORKFLOW_PATH = '.github/workflows/ci.yaml';
export const NOTIFY_SCRIPT_PATH = '.slipway/notify.mjs';
export const MODULE_BRANCHES = 'module/*';

export interface CiWorkflowOptions {
  /** Slipway application id (`backend`, `frontend`, …): sent as applicationId, picks the Dokploy secrets. */
  appId: string;
  /** Branch deployed as production and tagged `latest` (default `main`). */
  mainBranch?: string;
  /** Dockerfile path, relative to the repository (default `Dockerfile`). */
  dockerfile?: string;
  /** Docker build context (default `.`). */
  context?: string;
}

const APP_ID = /^[a-z][a-z0-9-]{0,62}$/;
// Conservative on purpose: these values end up inside YAML, shell and GitHub expressions.
const SAFE_BRANCH = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;
const SAFE_PATH = /^(?!\/)(?!.*(^|\/)\.\.(\/|$))[A-Za-z0-9._/-]+$/;

export class CiWorkflowError extends Error {
  override name = 'CiWorkflowError';
}

/**
 * The spec's Dokploy secret names for an application: `backend` has the unsuffixed names (the
 * spec's "déjà configuré" ones), `frontend` the `_FRONTEND` ones; any other id follows the same
 * pattern with its own upper-cased suffix (`billing-api` → `DOKPLOY_WEBHOOK_URL_BILLING_API`).
 */
export function dokploySecretNames(appId: string): { main: string; module: string } {
  const suffix = appId === 'backend' ? '' : `_${appId.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}`;
  return { main: `DOKPLOY_WEBHOOK_URL${suffix}`, module: `DOKPLOY_WEBHOOK_URL${suffix}_MODULE` };
}

export interface CiSecret {
  name: string;
  value: string;
  required: boolean;
}

/** The spec's secrets table, narrowed to what this application's workflow reads. */
export function ciSecrets(appId: string, opts: { serverUrl?: string; mainBranch?: string } = {}): CiSecret[] {
  const dokploy = dokploySecretNames(appId);
  const server = opts.serverUrl?.replace(/\/+$/, '') ?? 'https://<slipway-host>';
  const main = opts.mainBranch ?? MAIN_BRANCH;
  return [
    { name: 'BACKEND_DEPLOYMENT_WEBHOOK_URL', value: `${server}/api/webhooks/dokploy/deployment`, required: true },
    { name: 'DOKPLOY_WEBHOOK_SECRET', value: "the server's DOKPLOY_WEBHOOK_SECRET (make one: slipway secret)", required: true },
    { name: dokploy.main, value: `Dokploy deploy webhook of '${appId}' (${main})`, required: true },
    { name: dokploy.module, value: `Dokploy deploy webhook of '${appId}' (module branches); unset: modules are built, not deployed`, required: false },
  ];
}

function validate(opts: CiWorkflowOptions): Required<CiWorkflowOptions> {
  const o = { mainBranch: MAIN_BRANCH, dockerfile: 'Dockerfile', context: '.', ...opts };
  if (!APP_ID.test(o.appId)) throw new CiWorkflowError(`--app must be lower-case letters, digits and dashes (got ${JSON.stringify(o.appId)})`);
  if (!SAFE_BRANCH.test(o.mainBranch) || o.mainBranch.startsWith('module/')) {
    throw new CiWorkflowError(`main branch ${JSON.stringify(o.mainBranch)} is not a plain branch name`);
  }
  for (const [flag, value] of [['--dockerfile', o.dockerfile], ['--context', o.context]] as const) {
    if (!SAFE_PATH.test(value)) throw new CiWorkflowError(`${flag} must be a relative path inside the repository (got ${JSON.stringify(value)})`);
  }
  return o;
}

/** Environment of every notifier step: the two secrets it reads (see packages/notify). */
const notifyEnv = {
  BACKEND_DEPLOYMENT_WEBHOOK_URL: '${{ secrets.BACKEND_DEPLOYMENT_WEBHOOK_URL }}',
  DOKPLOY_WEBHOOK_SECRET: '${{ secrets.DOKPLOY_WEBHOOK_SECRET }}',
};

/**
 * Node script (no single quote: it sits in one) printing the deploy webhook's body: the commit and
 * the paths changed since the previous push's head (PUSH_BEFORE, when in the history), else since
 * the branch left the main branch, else since its parent, else its whole tree — as the local runner
 * sends (apps/server/src/dokploy/pushed-commit.ts). Needs the checkout's full history.
 */
const PUSH_BODY_SCRIPT = `
const { execFileSync } = require("child_process");
const git = (...a) => { try { return execFileSync("git", a, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], maxBuffer: 1 << 28 }); } catch { return null; } };
const sha = process.env.GITHUB_SHA, body = { ref: process.env.GITHUB_REF, after: sha };
if (git("cat-file", "-e", sha + "^{commit}") !== null) {
  const before = process.env.PUSH_BEFORE || "";
  let base = "";
  if (/^[0-9a-f]{40,64}$/.test(before) && !/^0+$/.test(before) && before !== sha && git("merge-base", "--is-ancestor", before, sha) !== null) base = before;
  if (!base && process.env.GITHUB_REF_NAME !== process.env.MAIN_BRANCH) {
    const mb = (git("merge-base", sha, "refs/remotes/origin/" + process.env.MAIN_BRANCH) || "").trim();
    if (mb !== sha) base = mb;
  }
  if (!base) base = (git("rev-parse", "--verify", "--quiet", sha + "^1") || "").trim();
  const out = (base ? git("diff-tree", "-r", "-z", "--no-renames", "--name-status", base, sha) : git("diff-tree", "-r", "-z", "--no-renames", "--name-status", "--root", "--no-commit-id", sha)) || "";
  const changes = { added: [], modified: [], removed: [] }, parts = out.split("\\0");
  for (let i = 0, n = 0; i + 1 < parts.length && n < 3000; i += 2, n++) {
    if (parts[i] && parts[i + 1]) changes[parts[i][0] === "A" ? "added" : parts[i][0] === "D" ? "removed" : "modified"].push(parts[i + 1]);
  }
  const message = (git("log", "-1", "--format=%B", sha) || "").trim() || "Deploy " + sha.slice(0, 7);
  body.head_commit = { id: sha, message };
  body.commits = [{ id: sha, message, ...changes }];
}
process.stdout.write(JSON.stringify(body));
`;

/** Calls the Dokploy webhook chosen by branch; explains each of Dokploy's answers (docs/contracts.md, section 9). */
function deployScript(mainBranch: string, secrets: { main: string; module: string }): string {
  return `log="$RUNNER_TEMP/slipway-deploy.log"
fail() { echo "::error title=Dokploy::$1"; echo "$1" >> "$log"; echo "error=$1" >> "$GITHUB_OUTPUT"; exit 1; }
if [ "$GITHUB_REF_NAME" = "${mainBranch}" ]; then
  url="$DOKPLOY_URL_MAIN"; secret_name="${secrets.main}"
else
  url="$DOKPLOY_URL_MODULE"; secret_name="${secrets.module}"
fi
if [ -z "$url" ]; then
  note="Image pushed; not deployed: the $secret_name secret is not set."
  echo "::warning title=Dokploy::$note"
  echo "$note" >> "$log"
  echo "note=$note" >> "$GITHUB_OUTPUT"
  exit 0
fi
# GitHub's push event, as Dokploy reads it: the branch (git-sourced apps deploy only their own),
# head_commit (its title and hash) and commits[] with the changed paths (its watch paths).
body=$(node -e '${PUSH_BODY_SCRIPT}')
echo "Calling the Dokploy webhook ($secret_name) for $GITHUB_REF" | tee -a "$log"
set +e
code=$(curl -sS -o "$RUNNER_TEMP/dokploy-response.txt" -w '%{http_code}' \\
  --connect-timeout 10 --max-time 60 --retry 3 --retry-delay 5 --retry-connrefused \\
  -X POST -H 'Content-Type: application/json' -H 'X-GitHub-Event: push' \\
  --data "$body" "$url" 2>> "$log")
set -e
echo "Dokploy answered HTTP $code: $(head -c 2000 "$RUNNER_TEMP/dokploy-response.txt" 2> /dev/null)" | tee -a "$log"
# Dokploy's own reason ("Watch Paths Not Match", "Branch Not Match", an image mismatch) is what to fix.
reason() { node -e 'try { const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).message; if (typeof m === "string" && m) { process.stdout.write(m.slice(0, 300)); process.exit(0); } } catch {} process.stdout.write("the Dokploy application'"'"'s branch or image does not match")' "$RUNNER_TEMP/dokploy-response.txt"; }
case "$code" in
  2??) echo "Dokploy queued the deployment." | tee -a "$log" ;;
  301) fail "Dokploy ignored the call (HTTP 301): $(reason) ($GITHUB_REF_NAME, $secret_name)." ;;
  404) fail "Dokploy does not know this webhook (HTTP 404): check the $secret_name secret." ;;
  400) fail "Dokploy refused to deploy (HTTP 400): auto-deploy may be off for the application, or Dokploy failed." ;;
  000) fail "Dokploy could not be reached (see curl's error above)." ;;
  *) fail "Dokploy answered HTTP $code." ;;
esac
`;
}

/** The workflow as YAML text. Throws CiWorkflowError on options it cannot safely write. */
export function renderCiWorkflow(options: CiWorkflowOptions): string {
  const o = validate(options);
  const secrets = dokploySecretNames(o.appId);
  const notify = `node ${NOTIFY_SCRIPT_PATH}`;
  const hasNotifier = `hashFiles('${NOTIFY_SCRIPT_PATH}') != ''`;

  const workflow = {
    name: 'CI',
    on: { push: { branches: [o.mainBranch, MODULE_BRANCHES] } },
    // One run at a time per branch, so an older build never pushes over a newer image.
    concurrency: { group: 'ci-${{ github.ref }}', 'cancel-in-progress': false },
    permissions: { contents: 'read', packages: 'write' },
    env: { REGISTRY: 'ghcr.io', SLIPWAY_APP_ID: o.appId },
    jobs: {
      'build-and-deploy': {
        'runs-on': 'ubuntu-latest',
        'timeout-minutes': 30,
        steps: [
          // The whole history: the Dokploy step lists the paths changed since the previous push.
          { name: 'Checkout', uses: 'actions/checkout@v4', with: { 'fetch-depth': 0 } },
          {
            name: 'Notify Slipway (building)',
            env: notifyEnv,
            run: `${notify} --status running --stage build --soft`,
          },
          { name: 'Set up Docker Buildx', uses: 'docker/setup-buildx-action@v3' },
          {
            name: 'Log in to GHCR',
            uses: 'docker/login-action@v3',
            with: { registry: '${{ env.REGISTRY }}', username: '${{ github.actor }}', password: '${{ secrets.GITHUB_TOKEN }}' },
          },
          {
            // Tags of docs/contracts.md (packages/contracts/src/image-tags.ts computes the same):
            // main → latest, sha-<7>, main; module/products → sha-<7>, module-products.
            name: 'Docker metadata',
            id: 'meta',
            uses: 'docker/metadata-action@v5',
            with: {
              images: '${{ env.REGISTRY }}/${{ github.repository }}',
              tags: [
                `type=raw,value=latest,enable=\${{ github.ref == 'refs/heads/${o.mainBranch}' }}`,
                'type=sha,format=short,prefix=sha-',
                'type=ref,event=branch',
              ].join('\n') + '\n',
              flavor: 'latest=false\n',
            },
          },
          {
            name: 'Build and push',
            id: 'build',
            uses: 'docker/build-push-action@v6',
            with: {
              context: o.context,
              file: o.dockerfile,
              push: true,
              tags: '${{ steps.meta.outputs.tags }}',
              labels: '${{ steps.meta.outputs.labels }}',
              'cache-from': 'type=gha',
              'cache-to': 'type=gha,mode=max',
            },
          },
          {
            name: 'Notify Slipway (deploying)',
            env: notifyEnv,
            run: `${notify} --status running --stage deploy --soft`,
          },
          {
            name: 'Trigger Dokploy deployment',
            id: 'deploy',
            env: {
              PUSH_BEFORE: '${{ github.event.before }}',
              MAIN_BRANCH: o.mainBranch,
              DOKPLOY_URL_MAIN: `\${{ secrets.${secrets.main} }}`,
              DOKPLOY_URL_MODULE: `\${{ secrets.${secrets.module} }}`,
            },
            run: deployScript(o.mainBranch, secrets),
          },
          {
            name: 'Notify Slipway (done)',
            // The deploy step's note (a module branch without its Dokploy webhook) replaces the
            // default "deployed successfully" message. Passed through env: it is data, not script.
            env: { ...notifyEnv, DEPLOY_NOTE: '${{ steps.deploy.outputs.note }}' },
            run: `if [ -n "$DEPLOY_NOTE" ]; then
  ${notify} --status done --message "$DEPLOY_NOTE" --soft
else
  ${notify} --status done --soft
fi
`,
          },
          {
            name: 'Notify Slipway (error)',
            if: `failure() && ${hasNotifier}`,
            // The deploy step's reason (Dokploy's own words) becomes the target's message.
            env: { ...notifyEnv, FAILED_STAGE: "${{ steps.deploy.outcome == 'failure' && 'deploy' || 'build' }}", DEPLOY_ERROR: '${{ steps.deploy.outputs.error }}' },
            run: `args=(--status error --stage "$FAILED_STAGE" --soft)
if [ -n "$DEPLOY_ERROR" ]; then args+=(--message "$DEPLOY_ERROR"); fi
if [ -s "$RUNNER_TEMP/slipway-deploy.log" ]; then args+=(--log-file "$RUNNER_TEMP/slipway-deploy.log"); fi
${notify} "\${args[@]}"
`,
          },
          {
            name: 'Notify Slipway (cancelled)',
            if: `cancelled() && ${hasNotifier}`,
            env: notifyEnv,
            run: `${notify} --status cancelled --soft`,
          },
        ],
      },
    },
  };

  // No anchors: the notifier env repeats, and GitHub wants plain mappings there.
  const doc = new Document(workflow, { aliasDuplicateObjects: false });
  doc.commentBefore = [
    ` Generated by \`slipway ci init --app ${o.appId}\`. Re-run it to update (--force replaces local edits).`,
    ` Pushes on ${o.mainBranch} and ${MODULE_BRANCHES} build the image, push it to GHCR, call the Dokploy webhook`,
    ` and report running/done/error to Slipway (${NOTIFY_SCRIPT_PATH}). Secrets: see \`slipway ci init\`'s output.`,
  ].join('\n');
  return doc.toString({ lineWidth: 0 });
}
