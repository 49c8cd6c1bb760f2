import { describe, expect, it } from 'vitest';
import { nn } from '../lib/index';
import { bindArgs } from '../lib/torch/args';

describe('bindArgs: PyTorch positional-or-named arguments', () => {
  const names = ['stride', 'padding'] as const;
  type O = { stride: number; padding: number; bias: boolean };
  const keys = ['stride', 'padding', 'bias'] as const;

  it('merges positional arguments with a trailing options object', () => {
    expect(bindArgs<O>([2], names, 'f', keys)).toEqual({ stride: 2 });
    expect(bindArgs<O>([2, 1, { bias: false }], names, 'f', keys)).toEqual({ stride: 2, padding: 1, bias: false });
    expect(bindArgs<O>([{ padding: 3 }], names, 'f', keys)).toEqual({ padding: 3 });
    expect(bindArgs<O>([], names, 'f', keys)).toEqual({});
    expect(bindArgs<O>([undefined], names, 'f', keys)).toEqual({});
  });

  it('refuses what Python refuses', () => {
    expect(() => bindArgs<O>([1, 2, 3], names, 'f', keys)).toThrow(/at most 2 optional positional arguments/);
    expect(() => bindArgs<O>([1, { stride: 2 }], names, 'f', keys)).toThrow(/multiple values for argument stride/);
    expect(() => bindArgs<O>([{ strid: 2 }], names, 'f', keys)).toThrow(
      /Unknown option "strid" for f: did you mean stride\?/,
    );
    expect(() => bindArgs<O>([{ stride: 1 }, 2], names, 'f', keys)).toThrow(TypeError);
  });
});

describe('Conv2d takes PyTorch positional arguments', () => {
  it('new nn.Conv2d(1, 32, 3, 1) is stride 1; positional padding and bias', () => {
    const a = new nn.Conv2d(1, 32, 3, 2, 1, 1, 1, false);
    expect(a.stride).toEqual([2, 2]);
    expect(a.padding).toEqual([1, 1]);
    expect(a.bias).toBeNull();
    expect(new nn.Conv2d(1, 32, 3, 1).stride).toEqual([1, 1]);
  });

  it('names the nearest key for a misspelt option', () => {
    // biome-ignore lint/suspicious/noExplicitAny: an options object as JavaScript or **kwargs would pass it
    const opts: any = { padd: 1 };
    expect(() => new nn.Conv2d(1, 1, 3, opts)).toThrow(/did you mean padding\?/);
    expect(() => new nn.Conv2d(1, 1, 3, { padding_mode: 'zeros' } as never)).toThrow(/did you mean paddingMode\?/);
  });
});
