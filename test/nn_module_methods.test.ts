// Module's name iterators (prefix, recurse, removeDuplicate), lookups by dotted path, apply,
// addModule and requiresGrad_ against real PyTorch (scripts/reference/nn_module_names.py
// builds the same Net and prints what PyTorch returns).
import { beforeAll, describe, expect, it } from 'vitest';

import { nn, torch } from '../lib/index';
import { runReference } from './parity/fixtures';

class Net extends nn.Module {
  a: nn.Sequential;
  b: nn.Linear;
  scale = new nn.Parameter(torch.ones([1]));
  constructor() {
    super();
    const shared = new nn.Linear(2, 2);
    this.a = new nn.Sequential(shared, new nn.BatchNorm1d(2));
    this.b = shared;
    this.registerBuffer('step', torch.zeros([1]));
  }
  forward(x: torch.Tensor): torch.Tensor {
    return this.b.forward(this.a.forward(x)).mul(this.scale);
  }
}

const names = (pairs: [string, unknown][]): string[] => pairs.map(([n]) => n);
const message = (fn: () => unknown): string | null => {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  return null;
};

let ref: Record<string, unknown>;
beforeAll(() => {
  ref = JSON.parse(runReference('nn_module_names.py', [])) as Record<string, unknown>;
}, 60_000);

describe('Module methods match PyTorch', () => {
  it('namedModules, namedChildren, namedParameters, namedBuffers with prefix/recurse/removeDuplicate', () => {
    const net = new Net();
    expect(names(net.namedModules())).toEqual(ref.modules);
    expect(names(net.namedModules(null, 'net', false))).toEqual(ref.modules_prefix_dup);
    expect(names(net.namedModules({ prefix: 'net', removeDuplicate: false }))).toEqual(ref.modules_prefix_dup);
    expect(names(net.namedChildren())).toEqual(ref.children);
    expect(names(net.namedParameters())).toEqual(ref.params);
    expect(names(net.namedParameters('p', false))).toEqual(ref.params_prefix_no_recurse);
    expect(names(net.namedParameters({ removeDuplicate: false }))).toEqual(ref.params_dup);
    expect(names(net.namedBuffers())).toEqual(ref.buffers);
    expect(names(net.namedBuffers('x', true, false))).toEqual(ref.buffers_prefix_dup);
    expect(() => net.namedParameters({ remove_duplicate: false } as never)).toThrow(/did you mean removeDuplicate\?/);
  });

  it('getSubmodule, getParameter, getBuffer and their errors', () => {
    const net = new Net();
    expect(net.getSubmodule('a.1').constructor.name).toBe(ref.submodule);
    expect(net.getSubmodule('')).toBe(net);
    expect([...net.getParameter('a.0.weight').shape]).toEqual(ref.parameter_shape);
    expect(net.getParameter('a.0.weight')).toBe((net.a.at(0) as nn.Linear).weight);
    expect([...net.getBuffer('a.1.running_mean').shape]).toEqual(ref.buffer_shape);
    expect([
      message(() => net.getSubmodule('a.5')),
      message(() => net.getParameter('a.1.running_mean')),
      message(() => net.getBuffer('a.0.weight')),
      message(() => net.getParameter('a.0.nothing')),
    ]).toEqual(ref.errors);
  });

  it('apply visits children first, each module once', () => {
    const visited: string[] = [];
    new Net().apply((m) => {
      visited.push(m.constructor.name);
    });
    expect(visited).toEqual(ref.apply);
  });
});

describe('Module methods', () => {
  it('addModule registers a child under its name; requiresGrad_ reaches every parameter', () => {
    const net = new Net();
    net.addModule('head', new nn.Linear(2, 3));
    expect(names(net.namedChildren())).toEqual(['a', 'b', 'head']);
    expect(Object.keys(net.stateDict())).toContain('head.weight');
    expect(net.requiresGrad_(false)).toBe(net);
    expect(net.parameters().every((p) => !p.requiresGrad)).toBe(true);
    net.requiresGrad_();
    expect(net.parameters().every((p) => p.requiresGrad)).toBe(true);
    expect(() => net.addModule('x.y', new nn.ReLU())).toThrow(TypeError);
  });

  it('zeroGrad(setToNone) after a backward pass', () => {
    const net = new Net();
    net
      .forward(torch.randn([4, 2]))
      .sum()
      .backward();
    expect(net.parameters().every((p) => p.grad !== null)).toBe(true);
    net.zeroGrad(false);
    expect(net.parameters().every((p) => p.grad !== null && (p.grad.abs().sum().item() as number) === 0)).toBe(true);
    net.zeroGrad();
    expect(net.parameters().every((p) => p.grad === null)).toBe(true);
  });
});
