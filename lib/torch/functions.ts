/** Functions of several tensors that PyTorch offers as `torch.<fn>`. */
import { N } from '../native';
import { checkBool, checkInt, checkNumber, checkOptions, optionKeys, typeError } from './errors';
import { _tensorArg as tensorArg, _wrap as wrap, Tensor } from './tensor';

function handles(tensors: unknown, argument: string): number[] {
  if (!Array.isArray(tensors) || tensors.length === 0)
    throw typeError('a non-empty array of Tensors', argument, tensors);
  return tensors.map((t, i) => tensorArg(t, `${argument}[${i}]`).handle);
}

/** Concatenates tensors along an existing dimension. */
export function cat(tensors: Tensor[], dim?: number): Tensor;
export function cat(tensors: Tensor[], options: { dim?: number }): Tensor;
export function cat(tensors: Tensor[], dim: number | { dim?: number } = 0): Tensor {
  return wrap(N.cat(handles(tensors, 'tensors'), checkInt(dimArg(dim, 'cat options'), 'dim')));
}

const DIM_KEYS = optionKeys<{ dim?: number }>({ dim: 1 });
/** `dim` given positionally or as `{ dim }`, as Python takes it. */
function dimArg(dim: unknown, where: string): unknown {
  if (dim === null || typeof dim !== 'object' || Array.isArray(dim)) return dim;
  return checkOptions<{ dim: number }>(dim, where, DIM_KEYS).dim ?? 0;
}

/** Stacks tensors along a new dimension. */
export function stack(tensors: Tensor[], dim?: number): Tensor;
export function stack(tensors: Tensor[], options: { dim?: number }): Tensor;
export function stack(tensors: Tensor[], dim: number | { dim?: number } = 0): Tensor {
  return wrap(N.stack(handles(tensors, 'tensors'), checkInt(dimArg(dim, 'stack options'), 'dim')));
}

/** Elements of `input` where `condition` is true, else of `other`. */
export function where(condition: Tensor, input: Tensor, other: Tensor): Tensor {
  return wrap(
    N.where(
      tensorArg(condition, 'condition').handle,
      tensorArg(input, 'input').handle,
      tensorArg(other, 'other').handle,
    ),
  );
}

export function matmul(input: Tensor, other: Tensor): Tensor {
  return tensorArg(input, 'input').matmul(other);
}

/** Options of `allclose`. */
export interface AllcloseOptions {
  rtol?: number;
  atol?: number;
  equalNan?: boolean;
}
const ALLCLOSE_KEYS = optionKeys<AllcloseOptions>({ rtol: 1, atol: 1, equalNan: 1 });

/** Whether all elements are close: |a - b| <= atol + rtol * |b|. */
export function allclose(a: Tensor, b: Tensor, options: AllcloseOptions = {}): boolean {
  const o = checkOptions<AllcloseOptions>(options, 'allclose options', ALLCLOSE_KEYS);
  return N.allclose(
    tensorArg(a, 'input').handle,
    tensorArg(b, 'other').handle,
    checkNumber(o.rtol ?? 1e-5, 'rtol'),
    checkNumber(o.atol ?? 1e-8, 'atol'),
    checkBool(o.equalNan ?? false, 'equalNan'),
  );
}

/** Whether two tensors have the same shape and elements. */
export function equal(a: Tensor, b: Tensor): boolean {
  return N.equal(tensorArg(a, 'input').handle, tensorArg(b, 'other').handle);
}

export function isTensor(x: unknown): x is Tensor {
  return x instanceof Tensor;
}

/** The number of elements of `input`. */
export function numel(input: Tensor): number {
  return tensorArg(input, 'input').numel();
}

/** The dtype floating-point tensors get by default: always float32 in torchts. */
export function getDefaultDtype(): 'float32' {
  return 'float32';
}
