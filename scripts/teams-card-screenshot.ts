// Renders a sample request as the Teams plugin's Adaptive Card with the `adaptivecards` renderer
// (markdown by markdown-it, as Teams processes its subset) in headless Chromium and saves the
// picture the plugin README shows:
//   node --import tsx scripts/teams-card-screenshot.ts [out.png]   (default plugins/teams/card.png)
// Needs Debian's `chromium`; reads nothing from the network.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { renderCard } from '../plugins/teams/card.js';
import type { Card } from '../src/plugin-sdk/index.js';

const root = resolve(import.meta.dirname, '..');
const out = resolve(process.argv[2] ?? join(root, 'plugins/teams/card.png'));
const now = Date.parse('2026-11-29T21:00:00Z');
const card: Card = {
  requestId: '3f2c9a1e-7b4d-4c1a-9e55-0c8a2f61b7d4',
  version: 3,
  state: 'PENDING',
  requester: { name: 'rita', email: 'rita@example.com' },
  roles: ['prod-db'],
  resources: [],
  reason: 'Investigating the failed nightly migration on the orders database (INC-4211).',
  suggestedReviewers: ['alice'],
  annotations: {},
  reviews: [
    {
      author: 'bob',
      submittedBy: 'bob',
      decision: 'APPROVED',
      reason: 'on call this week, fine',
      roles: ['prod-db'],
      created: new Date(now - 120_000).toISOString(),
    },
  ],
  // prod-db takes three approvals; bob's is in.
  stillNeeded: { approvals: 2, denials: 1 },
  created: new Date(now - 600_000).toISOString(),
  requestExpires: new Date(now + 3_600_000).toISOString(),
  accessExpires: new Date(now + 8 * 3_600_000).toISOString(),
  actions: ['approve', 'deny'],
  cliHint: 'accessbot request review --approve|--deny 3f2c9a1e-7b4d-4c1a-9e55-0c8a2f61b7d4',
  links: [],
};
const json = renderCard(card, { reasonMaxLength: 500, denyReasonRequired: true, reviewReasonMax: 1000 });
const lib = (path: string) => readFileSync(join(root, 'node_modules', path), 'utf8');
const html = `<!doctype html><html><head><meta charset="utf-8"><style>
${lib('adaptivecards/dist/adaptivecards.css')}
body { margin: 0; padding: 16px; background: #f5f5f5; font-family: 'Segoe UI', 'DejaVu Sans', sans-serif; }
#card { width: 520px; background: #fff; border-radius: 6px; box-shadow: 0 1px 4px rgba(0,0,0,.2); }
</style></head><body><div id="card"></div>
<script>${lib('markdown-it/dist/markdown-it.min.js')}</script>
<script>${lib('adaptivecards/dist/adaptivecards.min.js')}</script>
<script>
const md = window.markdownit();
AdaptiveCards.AdaptiveCard.onProcessMarkdown = (text, result) => { result.outputHtml = md.render(text); result.didProcess = true; };
const adaptive = new AdaptiveCards.AdaptiveCard();
adaptive.parse(${JSON.stringify(json)});
document.getElementById('card').appendChild(adaptive.render());
</script></body></html>`;
const dir = mkdtempSync(join(tmpdir(), 'teams-card-'));
try {
  const page = join(dir, 'card.html');
  writeFileSync(page, html);
  execFileSync(
    'chromium',
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      `--user-data-dir=${join(dir, 'profile')}`,
      '--hide-scrollbars',
      '--window-size=552,500',
      `--screenshot=${out}`,
      `file://${page}`,
    ],
    { stdio: 'ignore', timeout: 60_000 },
  );
  console.log(`wrote ${out}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
