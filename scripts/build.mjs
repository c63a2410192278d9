// Compiles the server (src/) to plain JavaScript in dist/, so it runs as `node dist/cli/main.js`
// without compiling TypeScript in-process (tsx costs ~35 MB of RSS and start-up time).
// dist/ mirrors src/ one level deep, so paths the code resolves from its own location
// (../package.json, ../../../web/dist/) land on the same files; files under src/ that are not
// TypeScript (SQL migrations) are copied next to the compiled modules.
// Skips the work when dist/ is newer than every source; `--force` rebuilds from scratch.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const src = join(root, 'src');
const dist = join(root, 'dist');
const stamp = join(dist, '.build-stamp');
const force = process.argv.includes('--force');

function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

const sources = files(src);
const inputs = [...sources, join(root, 'tsconfig.json'), join(root, 'tsconfig.build.json'), join(root, 'package.json')];
const newest = Math.max(...inputs.map((f) => statSync(f).mtimeMs));
if (!force && existsSync(stamp) && statSync(stamp).mtimeMs >= newest) process.exit(0);

process.stderr.write('compiling the server (dist/)…\n');
if (force) rmSync(dist, { recursive: true, force: true });
try {
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
} catch {
  process.stderr.write('build failed: see the TypeScript errors above\n');
  process.exit(1);
}
for (const f of sources) {
  if (f.endsWith('.ts')) continue;
  const to = join(dist, relative(src, f));
  mkdirSync(dirname(to), { recursive: true });
  cpSync(f, to);
}
writeFileSync(stamp, `${new Date().toISOString()}\n`);
