// Optimizer updates, each one native call over all parameters. The arithmetic mirrors
// PyTorch's single-tensor implementations (torch/optim/sgd.py, adam.py), so results match
// PyTorch on the CPU to rounding.
#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <algorithm>
#include <cmath>

#include "args.h"

namespace torchts {

// Handles in a JS array; -1 entries become undefined tensors.
static std::vector<at::Tensor> OptTensorList(const Info& info, size_t i) {
  Napi::Array a = info[i].As<Napi::Array>();
  std::vector<at::Tensor> out(a.Length());
  for (uint32_t k = 0; k < a.Length(); ++k) {
    int32_t h = a.Get(k).As<Napi::Number>().Int32Value();
    if (h >= 0) out[k] = Table().Get(info.Env(), h);
  }
  return out;
}

static void CheckSame(size_t a, size_t b, const char* what) {
  TORCH_CHECK(a == b, "optimizer state mismatch: ", a, " parameters but ", b, " ", what);
}

// Indices of `ts` grouped by (device, dtype), in first-seen order: fused kernels take one
// device and dtype per call, as torch.optim's _group_tensors_by_device_and_dtype arranges.
static std::vector<std::vector<size_t>> ByDeviceAndDtype(const std::vector<at::Tensor>& ts,
                                                         const std::vector<size_t>& idx) {
  std::vector<std::pair<std::pair<at::Device, at::ScalarType>, std::vector<size_t>>> groups;
  for (size_t i : idx) {
    auto key = std::make_pair(ts[i].device(), ts[i].scalar_type());
    auto it = std::find_if(groups.begin(), groups.end(), [&](auto& g) { return g.first == key; });
    if (it == groups.end())
      groups.push_back({key, {i}});
    else
      it->second.push_back(i);
  }
  std::vector<std::vector<size_t>> out;
  for (auto& g : groups) out.push_back(std::move(g.second));
  return out;
}
template <typename F>
static std::vector<at::Tensor> Pick(const std::vector<size_t>& idx, F get) {
  std::vector<at::Tensor> out;
  out.reserve(idx.size());
  for (size_t i : idx) out.push_back(get(i));
  return out;
}

// SGD through libtorch's fused kernel (torch.optim.SGD(fused=True)): one kernel per device
// and dtype. Returns the momentum buffer handles like the single-tensor path.
static Napi::Value FusedSgd(const Info& info, std::vector<at::Tensor>& params, Napi::Array bufHandles, double lr,
                            double momentum, double dampening, double wd, bool nesterov, bool maximize) {
  Napi::Env env = info.Env();
  Napi::Array out = Napi::Array::New(env, params.size());
  std::vector<at::Tensor> bufs(params.size());
  std::vector<size_t> first, later;
  for (uint32_t i = 0; i < params.size(); ++i) {
    int32_t bh = bufHandles.Get(i).As<Napi::Number>().Int32Value();
    out.Set(i, bh);
    if (!params[i].grad().defined()) continue;
    if (momentum == 0) {
      later.push_back(i);
    } else if (bh < 0) {
      bufs[i] = at::empty_like(params[i].grad());
      out.Set(i, Table().Add(env, bufs[i]));
      first.push_back(i);
    } else {
      bufs[i] = Table().Get(env, bh);
      later.push_back(i);
    }
  }
  for (bool isFirst : {true, false}) {
    for (auto& idx : ByDeviceAndDtype(params, isFirst ? first : later)) {
      auto p = Pick(idx, [&](size_t i) { return params[i]; });
      auto g = Pick(idx, [&](size_t i) { return params[i].grad(); });
      std::vector<at::Tensor> b;
      if (momentum != 0) b = Pick(idx, [&](size_t i) { return bufs[i]; });
      at::_fused_sgd_(p, g, b, wd, momentum, lr, dampening, nesterov, maximize, isFirst);
    }
  }
  return out;
}

void RegisterOptim(Napi::Env env, Napi::Object exports) {
  // (params[], momentumBuffers[] (-1 = none), lr, momentum, dampening, weightDecay, nesterov, maximize,
  //  fused) -> momentum buffer handles: the same handle when updated in place, a new one when created.
  TORCHTS_DEF("sgdStep", {
    c10::NoGradGuard no_grad;
    std::vector<at::Tensor> params = TensorList(info, 0);
    Napi::Array bufHandles = info[1].As<Napi::Array>();
    CheckSame(params.size(), bufHandles.Length(), "momentum buffers");
    double lr = Dbl(info, 2), momentum = Dbl(info, 3), dampening = Dbl(info, 4), wd = Dbl(info, 5);
    bool nesterov = Bool(info, 6), maximize = Bool(info, 7);
    if (Bool(info, 8)) return FusedSgd(info, params, bufHandles, lr, momentum, dampening, wd, nesterov, maximize);
    Napi::Array out = Napi::Array::New(info.Env(), params.size());
    for (uint32_t i = 0; i < params.size(); ++i) {
      at::Tensor& p = params[i];
      int32_t bh = bufHandles.Get(i).As<Napi::Number>().Int32Value();
      out.Set(i, bh);
      const at::Tensor& g0 = p.grad();
      if (!g0.defined()) continue;
      at::Tensor grad = maximize ? -g0 : g0;
      if (wd != 0) grad = grad.add(p, wd);
      if (momentum != 0) {
        at::Tensor buf;
        if (bh < 0) {
          buf = grad.clone().detach();
          out.Set(i, Table().Add(info.Env(), buf));
        } else {
          buf = Table().Get(info.Env(), bh);
          buf.mul_(momentum).add_(grad, 1 - dampening);
        }
        grad = nesterov ? grad.add(buf, momentum) : buf;
      }
      p.add_(grad, -lr);
    }
    return out;
  });
  // (params[], expAvg[], expAvgSq[], maxExpAvgSq[] (-1 when not amsgrad), steps, lr, beta1,
  //  beta2, eps, weightDecay, amsgrad, maximize, decoupledWeightDecay, fused). steps: the counts
  // after this step's increment (numbers); with fused, one float32 step tensor per parameter,
  // incremented here on the parameter's device, as torch.optim.Adam(fused=True) keeps them,
  // so that a captured CUDA graph advances them on every replay.
  TORCHTS_DEF("adamStep", {
    c10::NoGradGuard no_grad;
    std::vector<at::Tensor> params = TensorList(info, 0);
    std::vector<at::Tensor> expAvg = TensorList(info, 1), expAvgSq = TensorList(info, 2);
    std::vector<at::Tensor> maxSq = OptTensorList(info, 3);
    bool fused = Bool(info, 13);
    std::vector<int64_t> steps;
    std::vector<at::Tensor> stepTensors;
    if (fused)
      stepTensors = TensorList(info, 4);
    else
      steps = IntList(info, 4);
    CheckSame(params.size(), expAvg.size(), "exp_avg tensors");
    CheckSame(params.size(), expAvgSq.size(), "exp_avg_sq tensors");
    CheckSame(params.size(), maxSq.size(), "max_exp_avg_sq entries");
    CheckSame(params.size(), fused ? stepTensors.size() : steps.size(), "steps");
    double lr = Dbl(info, 5), beta1 = Dbl(info, 6), beta2 = Dbl(info, 7), eps = Dbl(info, 8), wd = Dbl(info, 9);
    bool amsgrad = Bool(info, 10), maximize = Bool(info, 11), decoupled = Bool(info, 12);
    if (fused) {
      std::vector<size_t> all;
      for (size_t i = 0; i < params.size(); ++i)
        if (params[i].grad().defined()) all.push_back(i);
      for (auto& idx : ByDeviceAndDtype(params, all)) {
        auto p = Pick(idx, [&](size_t i) { return params[i]; });
        auto g = Pick(idx, [&](size_t i) { return params[i].grad(); });
        auto m = Pick(idx, [&](size_t i) { return expAvg[i]; });
        auto v = Pick(idx, [&](size_t i) { return expAvgSq[i]; });
        std::vector<at::Tensor> vmax;
        if (amsgrad) vmax = Pick(idx, [&](size_t i) { return maxSq[i]; });
        auto st = Pick(idx, [&](size_t i) { return stepTensors[i]; });
        at::_foreach_add_(st, 1);
        if (decoupled)
          at::_fused_adamw_(p, g, m, v, vmax, st, lr, beta1, beta2, wd, eps, amsgrad, maximize);
        else
          at::_fused_adam_(p, g, m, v, vmax, st, lr, beta1, beta2, wd, eps, amsgrad, maximize);
      }
      return info.Env().Undefined();
    }
    for (size_t i = 0; i < params.size(); ++i) {
      at::Tensor& p = params[i];
      const at::Tensor& g0 = p.grad();
      if (!g0.defined()) continue;
      at::Tensor grad = maximize ? -g0 : g0;
      if (wd != 0) {
        if (decoupled)
          p.mul_(1 - lr * wd);
        else
          grad = grad.add(p, wd);
      }
      expAvg[i].lerp_(grad, 1 - beta1);
      expAvgSq[i].mul_(beta2).addcmul_(grad, grad, 1 - beta2);
      double step = static_cast<double>(steps[i]);
      double bc1 = 1 - std::pow(beta1, step);
      double bc2 = 1 - std::pow(beta2, step);
      double stepSize = lr / bc1;
      double bc2Sqrt = std::pow(bc2, 0.5);  // Python's bias_correction2**0.5
      at::Tensor denom;
      if (amsgrad) {
        TORCH_CHECK(maxSq[i].defined(), "amsgrad needs max_exp_avg_sq state");
        at::maximum_out(maxSq[i], maxSq[i], expAvgSq[i]);
        denom = (maxSq[i].sqrt() / bc2Sqrt).add_(eps);
      } else {
        denom = (expAvgSq[i].sqrt() / bc2Sqrt).add_(eps);
      }
      p.addcdiv_(expAvg[i], denom, -stepSize);
    }
    return info.Env().Undefined();
  });
  // (params[], setToNone): clears .grad of every parameter in one call.
  TORCHTS_DEF("zeroGrad", {
    std::vector<at::Tensor> params = TensorList(info, 0);
    bool setToNone = Bool(info, 1);
    for (auto& p : params) {
      at::Tensor& g = p.mutable_grad();
      if (!g.defined()) continue;
      if (setToNone) {
        g.reset();
      } else {
        if (g.grad_fn())
          g = g.detach();
        else
          g.requires_grad_(false);
        g.zero_();
      }
    }
    return info.Env().Undefined();
  });
}

}  // namespace torchts
