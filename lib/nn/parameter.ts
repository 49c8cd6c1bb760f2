/** nn.Parameter: a Tensor that a Module registers as a learnable parameter. */
import { N } from '../native';
import { checkBool, typeError } from '../torch/errors';
import { keep } from '../torch/memory';
import { _MAKE, Tensor } from '../torch/tensor';

export class Parameter extends Tensor {
  /**
   * Wraps `data` (sharing its storage) as a leaf that requires grad by default. Parameters
   * are never freed by a `tidy` scope; `Module.dispose()` frees them.
   */
  constructor(data: Tensor, requiresGrad = true) {
    if (!(data instanceof Tensor)) throw typeError('a Tensor', 'data', data);
    super(_MAKE, N.detach(data.handle));
    keep(this);
    if (checkBool(requiresGrad, 'requiresGrad')) N.setRequiresGrad(this.handle, true);
  }

  override toString(): string {
    return `Parameter containing:\n${super.toString()}`;
  }
}
