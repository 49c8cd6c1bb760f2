#!/usr/bin/env node
// One-time set-up, safe to re-run (each step is skipped when already done):
//   1. npm install, when node_modules is missing;
//   2. compile the TypeScript (dist/);
//   3. `torchts setup`: find libtorch (LIBTORCH, a Python torch, or .deps/python); if
//      none, install torch==2.13.0 into .deps/python with pip;
//   4. build the native addon when it is missing or older than its sources.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function run(cmd, args, opts = {}) {
  console.log(`setup: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.status !== 0) {
    console.error(`setup: \`${cmd} ${args.join(' ')}\` failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status || 1);
  }
}

function newest(dir, exts) {
  let t = 0;
  if (!fs.existsSync(dir)) return t;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p, exts));
    else if (exts.some((x) => e.name.endsWith(x))) t = Math.max(t, fs.statSync(p).mtimeMs);
  }
  return t;
}

if (!fs.existsSync(path.join(root, 'node_modules', 'typescript'))) run('npm', ['install', '--no-audit', '--no-fund']);

run(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']);

run(process.execPath, [path.join(root, 'dist', 'cli', 'main.js'), 'setup']);

const binary = path.join(root, 'build', 'Release', 'torchts.node');
const sources = Math.max(
  newest(path.join(root, 'native'), ['.cc', '.h']),
  fs.statSync(path.join(root, 'CMakeLists.txt')).mtimeMs,
);
const built = fs.existsSync(binary) ? fs.statSync(binary).mtimeMs : 0;
if (built < sources || process.argv.includes('--rebuild')) {
  run(process.execPath, [path.join(root, 'dist', 'cli', 'main.js'), 'build']);
} else {
  console.log(`setup: ${path.relative(root, binary)} is up to date`);
}
try {
  execFileSync(process.execPath, ['-e', "require('./dist').torch.zeros(1)"], { cwd: root, stdio: 'pipe' });
  console.log('setup: torchts loads');
} catch (e) {
  console.error(`setup: torchts does not load:\n${e.stderr?.toString() ?? e}`);
  process.exit(1);
}
