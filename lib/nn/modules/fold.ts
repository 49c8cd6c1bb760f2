/** torch/nn/modules/fold.py: Fold (col2im) and Unfold (im2col). */
import { bindArgs, type WithOptions } from '../../torch/args';
import type { Tensor } from '../../torch/tensor';
import * as F from '../functional';
import { Module } from '../module';
import { ntuple, pyTuple } from './utils';

type Size = number | readonly number[];
type FoldOptions = { dilation?: Size; padding?: Size; stride?: Size };
type FoldArgs = WithOptions<[dilation: Size, padding: Size, stride: Size], FoldOptions>;

/** A size as Python prints what was passed. */
function pySize(v: Size): string {
  return typeof v === 'number' ? String(v) : pyTuple(v);
}
function size2(v: unknown, argument: string, min: number): Size {
  ntuple(v, 2, argument, min);
  return v as Size;
}

/** Extracts sliding local blocks of a batched (N, C, H, W) input. */
export class Unfold extends Module {
  readonly kernelSize: Size;
  readonly dilation: Size;
  readonly padding: Size;
  readonly stride: Size;
  constructor(kernelSize: Size, ...args: FoldArgs) {
    super();
    const o = bindArgs<FoldOptions>(args, ['dilation', 'padding', 'stride'], 'Unfold');
    this.kernelSize = size2(kernelSize, 'kernelSize', 1);
    this.dilation = size2(o.dilation ?? 1, 'dilation', 1);
    this.padding = size2(o.padding ?? 0, 'padding', 0);
    this.stride = size2(o.stride ?? 1, 'stride', 1);
  }
  forward(input: Tensor): Tensor {
    return F.unfold(input, this.kernelSize, { dilation: this.dilation, padding: this.padding, stride: this.stride });
  }
  override extraRepr(): string {
    return `kernel_size=${pySize(this.kernelSize)}, dilation=${pySize(this.dilation)}, padding=${pySize(this.padding)}, stride=${pySize(this.stride)}`;
  }
}

/** Sums sliding local blocks back into a (N, C, *outputSize) tensor. */
export class Fold extends Module {
  readonly outputSize: Size;
  readonly kernelSize: Size;
  readonly dilation: Size;
  readonly padding: Size;
  readonly stride: Size;
  constructor(outputSize: Size, kernelSize: Size, ...args: FoldArgs) {
    super();
    const o = bindArgs<FoldOptions>(args, ['dilation', 'padding', 'stride'], 'Fold');
    this.outputSize = size2(outputSize, 'outputSize', 1);
    this.kernelSize = size2(kernelSize, 'kernelSize', 1);
    this.dilation = size2(o.dilation ?? 1, 'dilation', 1);
    this.padding = size2(o.padding ?? 0, 'padding', 0);
    this.stride = size2(o.stride ?? 1, 'stride', 1);
  }
  forward(input: Tensor): Tensor {
    return F.fold(input, this.outputSize, this.kernelSize, {
      dilation: this.dilation,
      padding: this.padding,
      stride: this.stride,
    });
  }
  override extraRepr(): string {
    return `output_size=${pySize(this.outputSize)}, kernel_size=${pySize(this.kernelSize)}, dilation=${pySize(this.dilation)}, padding=${pySize(this.padding)}, stride=${pySize(this.stride)}`;
  }
}
