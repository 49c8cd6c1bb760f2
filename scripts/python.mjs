// Runs a Python script with the torch torchts builds against: $TORCHTS_PYTHON (default python3),
// with the project's .deps/python on PYTHONPATH when it exists. usage: node scripts/python.mjs script.py [args]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const deps = join(root, '.deps', 'python');
const env = { ...process.env };
if (existsSync(deps)) env.PYTHONPATH = env.PYTHONPATH ? `${deps}${delimiter}${env.PYTHONPATH}` : deps;
const [script, ...args] = process.argv.slice(2);
const r = spawnSync(process.env.TORCHTS_PYTHON || 'python3', [join(root, script), ...args], { env, stdio: 'inherit' });
if (r.error) {
  console.error(`could not run Python: ${r.error.message} (set TORCHTS_PYTHON to a Python with torch)`);
  process.exit(1);
}
process.exit(r.status ?? 1);
