/**
 * `nn.utils`: gradient clipping and parameter/vector conversion, ported from
 * torch/nn/utils/clip_grad.py and convert_parameters.py with the same op sequence, so the
 * results are PyTorch's bit for bit on the same libtorch.
 */
import { N } from '../native';
import { bindArgs, type WithOptions } from '../torch/args';
import { noGrad } from '../torch/autograd';
import type { Device } from '../torch/device';
import { tensor as makeTensor } from '../torch/creation';
import { checkBool, checkNumber, TorchError, typeError } from '../torch/errors';
import { cat, stack } from '../torch/functions';
import * as G from '../torch/generated/functions';
import { tidy } from '../torch/memory';
import { Tensor } from '../torch/tensor';

/** What the functions here accept for `parameters`: one tensor or an iterable of them. */
export type Parameters = Tensor | Iterable<Tensor>;

function tensorList(parameters: Parameters, argument: string): Tensor[] {
  if (parameters instanceof Tensor) return [parameters];
  if (parameters === null || typeof (parameters as Iterable<Tensor>)?.[Symbol.iterator] !== 'function')
    throw typeError('a Tensor or an iterable of Tensors', argument, parameters);
  const list = [...parameters];
  list.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw typeError('a Tensor', `${argument}[${i}]`, p);
  });
  return list;
}

/** PyTorch's `_group_tensors_by_device_and_dtype`: groups in first-seen order. */
function groupByDeviceAndDtype(tensors: Tensor[]): [string, Tensor[]][] {
  const groups = new Map<string, Tensor[]>();
  for (const t of tensors) {
    const key = `${t.device}/${t.dtype}`;
    const g = groups.get(key);
    if (g) g.push(t);
    else groups.set(key, [t]);
  }
  return [...groups].map(([k, g]) => [k.split('/')[0], g]);
}

/** PyTorch's `_device_has_foreach_support`: CPU and CUDA. */
function foreachDevice(device: string): boolean {
  return device === 'cpu' || device.startsWith('cuda');
}

function normType(v: unknown): number {
  if (v === 'inf') return Number.POSITIVE_INFINITY;
  if (v === '-inf') return Number.NEGATIVE_INFINITY;
  return checkNumber(v, 'normType');
}

function foreachArg(v: unknown): boolean | null {
  return v === undefined || v === null ? null : checkBool(v, 'foreach');
}

/** The gradients of `parameters` that exist (fresh handles: dispose them, or read them in a tidy). */
function gradsOf(parameters: Tensor[]): Tensor[] {
  return parameters.map((p) => p.grad).filter((g): g is Tensor => g !== null);
}

export interface ClipGradNormOptions {
  /** The p of the p-norm; `Infinity` (or 'inf') for the max norm. Default 2. */
  normType?: number | 'inf' | '-inf';
  /** Throw if the total norm is NaN or infinite. Default false. */
  errorIfNonfinite?: boolean;
  /** Use the multi-tensor kernels; null (the default) uses them where the device has them. */
  foreach?: boolean | null;
}
const CLIP_NORM_NAMES = ['normType', 'errorIfNonfinite', 'foreach'] as const;

/**
 * The norm of all the `tensors` together, as if concatenated into one vector
 * (`torch.nn.utils.get_total_norm`).
 */
export function getTotalNorm(
  tensors: Parameters,
  ...args: WithOptions<
    [normType: number | 'inf' | '-inf', errorIfNonfinite: boolean, foreach: boolean | null],
    ClipGradNormOptions
  >
): Tensor {
  const o = bindArgs<ClipGradNormOptions>(args, CLIP_NORM_NAMES, 'getTotalNorm');
  return totalNorm(tensorList(tensors, 'tensors'), o);
}

function totalNorm(tensors: Tensor[], o: ClipGradNormOptions): Tensor {
  const p = normType(o.normType ?? 2);
  const errorIfNonfinite = checkBool(o.errorIfNonfinite ?? false, 'errorIfNonfinite');
  const foreach = foreachArg(o.foreach);
  if (tensors.length === 0) return makeTensor(0);
  return tidy(() =>
    noGrad(() => {
      const firstDevice = tensors[0].device;
      const norms: Tensor[] = [];
      for (const [device, group] of groupByDeviceAndDtype(tensors)) {
        if (foreach !== false && foreachDevice(device)) norms.push(...G._foreachNorm(group, p));
        else if (foreach)
          throw new TorchError(`foreach=True was passed, but can't use the foreach API on ${device} tensors`);
        else norms.push(...group.map((g) => G.linalg.vectorNorm(g, p)));
      }
      const total = G.linalg.vectorNorm(stack(norms.map((n) => n.to(firstDevice))), p);
      if (errorIfNonfinite && (total.isnan().logicalOr(total.isinf()).item() as boolean)) {
        throw new TorchError(
          `The total norm of order ${pyNum(p)} for gradients from \`parameters\` is non-finite, so it cannot be clipped. To disable this error and scale the gradients by the non-finite norm anyway, set \`error_if_nonfinite=False\``,
        );
      }
      return total;
    }),
  );
}

function pyNum(x: number): string {
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  return Number.isInteger(x) ? `${x}.0` : String(x);
}

/**
 * Scales the gradients of `parameters` by `min(maxNorm / (totalNorm + 1e-6), 1)`
 * (`torch.nn.utils.clip_grads_with_norm_`).
 */
export function clipGradsWithNorm_(
  parameters: Parameters,
  maxNorm: number,
  totalNorm: Tensor,
  ...args: WithOptions<[foreach: boolean | null], { foreach?: boolean | null }>
): void {
  const o = bindArgs<{ foreach: boolean | null }>(args, ['foreach'], 'clipGradsWithNorm_');
  if (!(totalNorm instanceof Tensor)) throw typeError('a Tensor', 'totalNorm', totalNorm);
  clipWithNorm(tensorList(parameters, 'parameters'), checkNumber(maxNorm, 'maxNorm'), totalNorm, foreachArg(o.foreach));
}

function clipWithNorm(parameters: Tensor[], maxNorm: number, total: Tensor, foreach: boolean | null): void {
  tidy(() =>
    noGrad(() => {
      const grads = gradsOf(parameters);
      if (grads.length === 0) return;
      // Python's `max_norm / (total_norm + 1e-6)` is Tensor.__rtruediv__: reciprocal() * max_norm.
      const coef = total.add(1e-6).reciprocal().mul(maxNorm).clamp(null, 1.0);
      for (const [device, group] of groupByDeviceAndDtype(grads)) {
        const c = coef.to(device as Device);
        if (foreach !== false && foreachDevice(device)) G._foreachMul_(group, c);
        else if (foreach)
          throw new TorchError(`foreach=True was passed, but can't use the foreach API on ${device} tensors`);
        else for (const g of group) g.mul_(c);
      }
    }),
  );
}

/**
 * Clips the gradient norm of `parameters` in place, as if all gradients were one vector, and
 * returns the total norm before clipping (`torch.nn.utils.clip_grad_norm_`):
 * `nn.utils.clipGradNorm_(model.parameters(), 1.0)`.
 */
export function clipGradNorm_(
  parameters: Parameters,
  maxNorm: number,
  ...args: WithOptions<
    [normType: number | 'inf' | '-inf', errorIfNonfinite: boolean, foreach: boolean | null],
    ClipGradNormOptions
  >
): Tensor {
  const o = bindArgs<ClipGradNormOptions>(args, CLIP_NORM_NAMES, 'clipGradNorm_');
  const params = tensorList(parameters, 'parameters');
  const max = checkNumber(maxNorm, 'maxNorm');
  const grads = gradsOf(params);
  let total: Tensor;
  try {
    total = totalNorm(grads, o);
  } finally {
    for (const g of grads) g.dispose();
  }
  clipWithNorm(params, max, total, foreachArg(o.foreach));
  return total;
}

/**
 * Clamps the gradients of `parameters` to [-clipValue, clipValue] in place
 * (`torch.nn.utils.clip_grad_value_`).
 */
export function clipGradValue_(
  parameters: Parameters,
  clipValue: number,
  ...args: WithOptions<[foreach: boolean | null], { foreach?: boolean | null }>
): void {
  const o = bindArgs<{ foreach: boolean | null }>(args, ['foreach'], 'clipGradValue_');
  const params = tensorList(parameters, 'parameters');
  const v = checkNumber(clipValue, 'clipValue');
  const foreach = foreachArg(o.foreach);
  tidy(() =>
    noGrad(() => {
      for (const [device, group] of groupByDeviceAndDtype(gradsOf(params))) {
        if (foreach !== false && foreachDevice(device)) {
          G._foreachClampMin_(group, -v);
          G._foreachClampMax_(group, v);
        } else if (foreach) {
          throw new TorchError(`foreach=True was passed, but can't use the foreach API on ${device} tensors`);
        } else {
          for (const g of group) g.clamp_(-v, v);
        }
      }
    }),
  );
}

function checkSameDevice(params: Tensor[]): void {
  const first = params[0]?.device;
  for (const p of params) {
    if (p.device !== first)
      throw new TypeError('Found two parameters on different devices, this is currently not supported.');
  }
}

/** The parameters flattened and concatenated into one vector (`torch.nn.utils.parameters_to_vector`). */
export function parametersToVector(parameters: Iterable<Tensor>): Tensor {
  const params = tensorList(parameters, 'parameters');
  checkSameDevice(params);
  return tidy(() => cat(params.map((p) => p.view(-1))));
}

/**
 * Makes each parameter's data the next slice of `vec` (`torch.nn.utils.vector_to_parameters`;
 * as in PyTorch the parameters then share `vec`'s storage).
 */
export function vectorToParameters(vec: Tensor, parameters: Iterable<Tensor>): void {
  if (!(vec instanceof Tensor)) throw new TypeError(`expected torch.Tensor, but got: ${typeof vec}`);
  const params = tensorList(parameters, 'parameters');
  checkSameDevice(params);
  const total = params.reduce((s, p) => s + p.numel(), 0);
  if (vec.dim() !== 1 || vec.numel() < total)
    throw new TorchError(
      `Expected a 1-d vector of at least ${total} elements for vec but received shape [${vec.shape}]`,
    );
  let pointer = 0;
  tidy(() =>
    noGrad(() => {
      for (const p of params) {
        const n = p.numel();
        const slice = vec.detach().narrow(0, pointer, n).viewAs(p);
        N.setData(p.handle, slice.handle);
        p._resetMeta();
        pointer += n;
      }
    }),
  );
}
