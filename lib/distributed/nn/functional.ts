/**
 * `torch.distributed.nn.functional`: collectives that autograd differentiates. Their
 * backward runs the matching collective on the gradient, so a loss computed from reduced
 * values sends each rank the gradient of the sum of all ranks' losses.
 */
import { N } from '../../native';
import { TorchError, typeError } from '../../torch/errors';
import { _wrap, Tensor } from '../../torch/tensor';

/**
 * Sums `tensor` over all ranks of the default group into a new tensor (the input is left
 * as it is), as `torch.distributed.nn.functional.all_reduce(tensor)`; the backward sums the
 * gradient over all ranks. Only 'sum' is differentiable this way, as in PyTorch.
 */
export function allReduce(tensor: Tensor, op: 'sum' = 'sum'): Tensor {
  if (!(tensor instanceof Tensor)) throw typeError('a Tensor', 'tensor', tensor);
  if (op !== 'sum') throw typeError("'sum' (the one differentiable reduction)", 'op', op);
  if (typeof N.distInit !== 'function' || !(N.distIsInitialized() as boolean)) {
    throw new TorchError(
      'distributed.nn.functional.allReduce: the default process group is not initialized; call distributed.initProcessGroup() first',
    );
  }
  return _wrap(N.distAllReduceDifferentiable(tensor.handle) as number);
}
