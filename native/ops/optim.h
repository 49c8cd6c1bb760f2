// The arguments of one optimizer update (`optimStep`): the parameters that have gradients,
// their gradients, the per-parameter state lists by PyTorch's names, and the group's
// hyper-parameters. Each algorithm mirrors torch.optim's implementations op for op, so that
// the results equal PyTorch's on the same libtorch: `Single` is the per-parameter loop
// (PyTorch's foreach=False, its default on the CPU), `Foreach` the multi-tensor one
// (_foreach_* kernels, foreach=True, PyTorch's default on CUDA), `Fused` libtorch's fused kernels.
#pragma once
#include <ATen/ATen.h>

#include <string>
#include <utility>
#include <vector>

namespace torchts {

using TensorVec = std::vector<at::Tensor>;

enum class OptimMode { Single, Foreach, Fused };

struct OptimArgs {
  TensorVec params;
  TensorVec grads;
  // State lists, one entry per parameter (undefined where the parameter has none yet).
  std::vector<std::pair<std::string, TensorVec>> state;
  std::vector<std::pair<std::string, double>> nums;
  std::vector<std::pair<std::string, bool>> flags;

  TensorVec& List(const char* key);
  double Num(const char* key) const;
  bool Flag(const char* key) const;
};

// PyTorch's _group_tensors_by_device_and_dtype: one OptimArgs per (device, dtype) of the
// parameters, in first-seen order, and the indices each takes from `a`.
std::vector<std::pair<OptimArgs, std::vector<size_t>>> SplitByDeviceAndDtype(const OptimArgs& a);

// PyTorch's `_get_value(step)`: a 0-dim state tensor's value as a Python float.
inline double Value(const at::Tensor& t) { return t.item<double>(); }

// PyTorch's `_foreach_neg(grads)` under maximize, then weight decay as its foreach
// implementations add it (reusing the negated copies when there are some).
TensorVec ForeachGrads(OptimArgs& a, bool maximize, double weightDecay);

void SgdUpdate(OptimArgs& a, OptimMode mode);
void AdamUpdate(OptimArgs& a, OptimMode mode);
void RmspropUpdate(OptimArgs& a, OptimMode mode);
void AdadeltaUpdate(OptimArgs& a, OptimMode mode);
void AdagradUpdate(OptimArgs& a, OptimMode mode);
void AdamaxUpdate(OptimArgs& a, OptimMode mode);
void NadamUpdate(OptimArgs& a, OptimMode mode);
void RadamUpdate(OptimArgs& a, OptimMode mode);
void AsgdUpdate(OptimArgs& a, OptimMode mode);
void RpropUpdate(OptimArgs& a, OptimMode mode);

}  // namespace torchts
