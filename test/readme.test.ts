// README.md's TypeScript snippets, as a user copies them: every ```ts block is type-checked
// strictly as an ES module importing 'torchts' (this checkout, linked as a dependency), and
// the blocks that stand on their own (no names from the surrounding text) also run. Blocks
// that continue an earlier one (`model`, `trainLoader`, ...) get those names declared with
// the types the text implies; a block that only makes sense on a GPU is type-checked only.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { packageRoot } from '../lib/libtorch';
import { tempDir } from './parity/fixtures';

const root = packageRoot();
const work = tempDir('readme');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** Names README blocks take from the text around them, with the types they have there. */
const CONTEXT: Record<string, string> = {
  trainLoader: 'AsyncIterable<[__t.Tensor, __t.Tensor]>',
  batch: '__t.Tensor',
  model: '__t.nn.Module & { forward(x: __t.Tensor): __t.Tensor }',
  trainSet: '__t.data.Dataset<[__t.Tensor, number], [__t.Tensor, __t.Tensor]>',
  epochs: 'number',
  optimizer: '__t.optim.Optimizer',
  criterion: '__t.nn.CrossEntropyLoss',
  ds: '__t.data.Dataset<[__t.Tensor, number], [__t.Tensor, __t.Tensor]>',
};
const ALL_IMPORTS = "import { data, distributed, nn, optim, torch, vision } from 'torchts';\n";

interface Block {
  line: number;
  code: string;
  /** Names from CONTEXT it uses without declaring them. */
  free: string[];
  cuda: boolean;
}

function blocks(): Block[] {
  const lines = fs.readFileSync(path.join(root, 'README.md'), 'utf8').split('\n');
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== '```ts') continue;
    const start = i + 1;
    while (i + 1 < lines.length && lines[i + 1] !== '```') i++;
    const code = lines.slice(start, i + 1).join('\n');
    const declared = (name: string): boolean =>
      new RegExp(
        `\\b(const|let|var)\\s+(\\[[^\\]]*\\b${name}\\b[^\\]]*\\]|\\{[^}]*\\b${name}\\b[^}]*\\}|${name}\\b)`,
      ).test(code);
    const uncommented = code.replace(/\/\/.*$/gm, '');
    const free = Object.keys(CONTEXT).filter(
      (n) => new RegExp(`(?<![.\\w'])${n}\\b`).test(uncommented) && !declared(n),
    );
    out.push({ line: start, code, free, cuda: /'cuda'/.test(code) });
  }
  return out;
}

const found = blocks();
const file = (b: Block): string => path.join(work, `readme_line${b.line}.mts`);
const standalone = found.filter((b) => b.free.length === 0 && !b.cuda && /from 'torchts'/.test(b.code));

describe("README's TypeScript snippets", () => {
  it('type-check as a strict ES module against this checkout', () => {
    expect(found.length).toBeGreaterThanOrEqual(8);
    fs.mkdirSync(path.join(work, 'node_modules'), { recursive: true });
    fs.symlinkSync(root, path.join(work, 'node_modules', 'torchts'), 'dir');
    for (const b of found) {
      const imports = /from 'torchts'/.test(b.code) ? '' : ALL_IMPORTS;
      const context = b.free.map((n) => `declare const ${n}: ${CONTEXT[n]};\n`).join('');
      const types = b.free.length > 0 ? "import type * as __t from 'torchts';\n" : '';
      fs.writeFileSync(file(b), `${imports}${types}${context}${b.code}\nexport {};\n`);
    }
    const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = spawnSync(
      process.execPath,
      [
        tsc,
        '--strict',
        '--module',
        'nodenext',
        '--moduleResolution',
        'nodenext',
        '--target',
        'es2022',
        '--types',
        'node',
        '--typeRoots',
        path.join(root, 'node_modules', '@types'),
        '--outDir',
        work,
        ...found.map(file),
      ],
      { cwd: work, encoding: 'utf8' },
    );
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 120_000);

  it.each(standalone.map((b) => [b.line, b] as const))('the block at line %i runs as written', (_line, b) => {
    const js = file(b).replace(/\.mts$/, '.mjs');
    expect(fs.existsSync(js), 'compiled by the type-check above').toBe(true);
    const r = spawnSync(process.execPath, [js], {
      cwd: work,
      encoding: 'utf8',
      env: { ...process.env, OMP_NUM_THREADS: '1' },
      timeout: 120_000,
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });
});
