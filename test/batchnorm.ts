// Batch norm with non-trivial statistics and affine parameters, so that a folded or fused
// batch norm shows in the outputs (fresh layers are the identity, and many models' fresh
// outputs are then vanishingly small).
import { nn, type Tensor, torch } from '../lib/index';

export function randomiseBatchNorm(model: nn.Module): void {
  torch.noGrad(() => {
    for (const m of model.modules()) {
      if (!(m instanceof nn.BatchNorm2d)) continue;
      const bn = m as unknown as Record<'running_mean' | 'running_var' | 'weight' | 'bias', Tensor>;
      bn.running_mean.copy_(torch.randn(bn.running_mean.shape).mul(0.1));
      bn.running_var.copy_(torch.rand(bn.running_var.shape).add(0.5));
      bn.weight.copy_(torch.rand(bn.weight.shape).add(0.5));
      bn.bias.copy_(torch.randn(bn.bias.shape).mul(0.1));
    }
  });
}
