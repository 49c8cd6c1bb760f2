// How many of PyTorch's nn module classes torchts has: the names torch/nn/modules/__init__.py
// exports (its __all__, read from the .deps python's torch 2.13), the Lazy* ones left out,
// against the Module classes lib/nn exports under the same names. Prints what is missing.
import { expect, it } from 'vitest';

import { nn } from '../lib/index';
import { runReference } from './parity/fixtures';

it("has at least 70% of PyTorch's non-lazy nn module classes, each a Module subclass", () => {
  const ref = JSON.parse(runReference('nn_modules_all.py', [])) as {
    version: string;
    modules: string[];
    lazy: string[];
    other: string[];
  };
  expect(ref.version).toMatch(/^2\.13\./);
  const exported = nn as unknown as Record<string, unknown>;
  const isModuleClass = (v: unknown): boolean =>
    typeof v === 'function' && (v === nn.Module || (v as { prototype: unknown }).prototype instanceof nn.Module);
  const have = ref.modules.filter((name) => isModuleClass(exported[name]));
  const missing = ref.modules.filter((name) => !isModuleClass(exported[name]));
  // Every name we export that PyTorch has is a Module class (not a function or an alias of something else).
  for (const name of ref.modules) if (name in exported) expect(isModuleClass(exported[name]), name).toBe(true);
  const share = have.length / ref.modules.length;
  console.log(
    `nn coverage: ${have.length} of ${ref.modules.length} module classes of torch ${ref.version} (${(100 * share).toFixed(1)}%); ` +
      `left out: ${ref.lazy.length} lazy; not modules: ${ref.other.join(', ')}\nmissing: ${missing.join(', ')}`,
  );
  expect(share).toBeGreaterThanOrEqual(0.7);
}, 60_000);
