// Builds the dashboard into web/dist when it is missing or older than its sources,
// so `npm start` on a fresh clone serves it without a separate step.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const out = join(root, 'web/dist/index.html');
const force = process.argv.includes('--force');

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

const sourcesTime = Math.max(newest(join(root, 'web/src')), statSync(join(root, 'web/index.html')).mtimeMs, statSync(join(root, 'web/vite.config.ts')).mtimeMs);
if (!force && existsSync(out) && statSync(out).mtimeMs >= sourcesTime) process.exit(0);
process.stderr.write('building the dashboard (web/dist)…\n');
execFileSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], {
  cwd: root,
  stdio: 'inherit',
});
