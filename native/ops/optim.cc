// Optimizer updates, each one native call over all parameters of a group (`optimStep`), the
// generic plumbing they share, SGD and Adam/AdamW, and the pieces of L-BFGS that run between
// closure calls. The algorithms mirror torch.optim's (torch/optim/*.py) op for op: the
// per-parameter ("single tensor") loop, the multi-tensor (_foreach_*) form and the fused
// kernels, so that results equal PyTorch's on the same libtorch.
#include "optim.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <algorithm>
#include <cmath>

#include "args.h"

namespace torchts {

TensorVec& OptimArgs::List(const char* key) {
  for (auto& [k, v] : state)
    if (k == key) return v;
  TORCH_CHECK(false, "optimizer state list '", key, "' was not passed");
}
double OptimArgs::Num(const char* key) const {
  for (auto& [k, v] : nums)
    if (k == key) return v;
  TORCH_CHECK(false, "optimizer hyper-parameter '", key, "' was not passed as a number");
}
bool OptimArgs::Flag(const char* key) const {
  for (auto& [k, v] : flags)
    if (k == key) return v;
  TORCH_CHECK(false, "optimizer hyper-parameter '", key, "' was not passed as a boolean");
}

std::vector<std::pair<OptimArgs, std::vector<size_t>>> SplitByDeviceAndDtype(const OptimArgs& a) {
  std::vector<std::pair<std::pair<at::Device, at::ScalarType>, std::vector<size_t>>> keys;
  for (size_t i = 0; i < a.params.size(); ++i) {
    auto key = std::make_pair(a.params[i].device(), a.params[i].scalar_type());
    auto it = std::find_if(keys.begin(), keys.end(), [&](auto& g) { return g.first == key; });
    if (it == keys.end())
      keys.push_back({key, {i}});
    else
      it->second.push_back(i);
  }
  std::vector<std::pair<OptimArgs, std::vector<size_t>>> out;
  for (auto& [key, idx] : keys) {
    OptimArgs sub;
    sub.nums = a.nums;
    sub.flags = a.flags;
    for (size_t i : idx) {
      sub.params.push_back(a.params[i]);
      sub.grads.push_back(a.grads[i]);
    }
    for (auto& [name, list] : a.state) {
      TensorVec l;
      for (size_t i : idx) l.push_back(list[i]);
      sub.state.emplace_back(name, std::move(l));
    }
    out.emplace_back(std::move(sub), idx);
  }
  return out;
}

TensorVec ForeachGrads(OptimArgs& a, bool maximize, double weightDecay) {
  TensorVec g = a.grads;
  if (maximize) g = at::_foreach_neg(g);
  if (weightDecay != 0) {
    if (maximize)
      at::_foreach_add_(g, a.params, weightDecay);
    else
      g = at::_foreach_add(g, a.params, weightDecay);
  }
  return g;
}

// ---- SGD (torch/optim/sgd.py) ----------------------------------------------------------------

void SgdUpdate(OptimArgs& a, OptimMode mode) {
  double lr = a.Num("lr"), momentum = a.Num("momentum"), dampening = a.Num("dampening"), wd = a.Num("weightDecay");
  bool nesterov = a.Flag("nesterov"), maximize = a.Flag("maximize");
  TensorVec& P = a.params;
  TensorVec& bufs = a.List("momentum_buffer");
  if (mode == OptimMode::Fused) {
    // First steps (new buffers) and later ones need separate kernel calls (is_first_step).
    std::vector<size_t> first, later;
    for (size_t i = 0; i < P.size(); ++i) {
      if (momentum != 0 && !bufs[i].defined()) {
        bufs[i] = at::empty_like(a.grads[i]);
        first.push_back(i);
      } else {
        later.push_back(i);
      }
    }
    for (bool isFirst : {true, false}) {
      const auto& idx = isFirst ? first : later;
      if (idx.empty()) continue;
      TensorVec p, g, b;
      for (size_t i : idx) {
        p.push_back(P[i]);
        g.push_back(a.grads[i]);
        if (momentum != 0) b.push_back(bufs[i]);
      }
      at::_fused_sgd_(p, g, b, wd, momentum, lr, dampening, nesterov, maximize, isFirst);
    }
    return;
  }
  if (mode == OptimMode::Single) {
    for (size_t i = 0; i < P.size(); ++i) {
      at::Tensor grad = maximize ? -a.grads[i] : a.grads[i];
      if (wd != 0) grad = grad.add(P[i], wd);
      if (momentum != 0) {
        if (!bufs[i].defined())
          bufs[i] = grad.detach().clone();
        else
          bufs[i].mul_(momentum).add_(grad, 1 - dampening);
        grad = nesterov ? grad.add(bufs[i], momentum) : bufs[i];
      }
      P[i].add_(grad, -lr);
    }
    return;
  }
  TensorVec G = ForeachGrads(a, maximize, wd);
  if (momentum != 0) {
    if (std::all_of(bufs.begin(), bufs.end(), [](const at::Tensor& b) { return b.defined(); })) {
      at::_foreach_mul_(bufs, momentum);
      at::_foreach_add_(bufs, G, 1 - dampening);
    } else {
      for (size_t i = 0; i < P.size(); ++i) {
        if (!bufs[i].defined())
          bufs[i] = G[i].detach().clone();
        else
          bufs[i].mul_(momentum).add_(G[i], 1 - dampening);
      }
    }
    // In place, as PyTorch does (on the gradients themselves when there was no copy).
    if (nesterov)
      at::_foreach_add_(G, bufs, momentum);
    else
      G = bufs;
  }
  at::_foreach_add_(P, G, -lr);
}

// ---- Adam / AdamW (torch/optim/adam.py; AdamW is Adam with decoupled weight decay) ---------

void AdamUpdate(OptimArgs& a, OptimMode mode) {
  double lr = a.Num("lr"), beta1 = a.Num("beta1"), beta2 = a.Num("beta2"), eps = a.Num("eps");
  double wd = a.Num("weightDecay");
  bool amsgrad = a.Flag("amsgrad"), maximize = a.Flag("maximize"), decoupled = a.Flag("decoupledWeightDecay");
  TensorVec& P = a.params;
  TensorVec &M = a.List("exp_avg"), &V = a.List("exp_avg_sq"), &S = a.List("step");
  TensorVec& Vmax = a.List("max_exp_avg_sq");
  if (mode == OptimMode::Fused) {
    TensorVec vmax = amsgrad ? Vmax : TensorVec{};
    at::_foreach_add_(S, 1);
    if (decoupled)
      at::_fused_adamw_(P, a.grads, M, V, vmax, S, lr, beta1, beta2, wd, eps, amsgrad, maximize);
    else
      at::_fused_adam_(P, a.grads, M, V, vmax, S, lr, beta1, beta2, wd, eps, amsgrad, maximize);
    return;
  }
  if (mode == OptimMode::Single) {
    for (size_t i = 0; i < P.size(); ++i) {
      at::Tensor& p = P[i];
      at::Tensor grad = maximize ? -a.grads[i] : a.grads[i];
      S[i].add_(1);
      if (wd != 0) {
        if (decoupled)
          p.mul_(1 - lr * wd);
        else
          grad = grad.add(p, wd);
      }
      M[i].lerp_(grad, 1 - beta1);
      V[i].mul_(beta2).addcmul_(grad, grad, 1 - beta2);
      double step = Value(S[i]);
      double bc1 = 1 - std::pow(beta1, step);
      double bc2 = 1 - std::pow(beta2, step);
      double stepSize = lr / bc1;
      double bc2Sqrt = std::pow(bc2, 0.5);  // Python's bias_correction2**0.5
      at::Tensor denom;
      if (amsgrad) {
        at::maximum_out(Vmax[i], Vmax[i], V[i]);
        denom = (Vmax[i].sqrt() / bc2Sqrt).add_(eps);
      } else {
        denom = (V[i].sqrt() / bc2Sqrt).add_(eps);
      }
      p.addcdiv_(M[i], denom, -stepSize);
    }
    return;
  }
  TensorVec G = maximize ? at::_foreach_neg(a.grads) : a.grads;
  at::_foreach_add_(S, 1);
  if (wd != 0) {
    if (decoupled)
      at::_foreach_mul_(P, 1 - lr * wd);
    else if (maximize)
      at::_foreach_add_(G, P, wd);
    else
      G = at::_foreach_add(G, P, wd);
  }
  at::_foreach_lerp_(M, G, 1 - beta1);
  at::_foreach_mul_(V, beta2);
  at::_foreach_addcmul_(V, G, G, 1 - beta2);
  std::vector<at::Scalar> stepSize, bc2Sqrt;
  for (auto& s : S) {
    double step = Value(s);
    stepSize.emplace_back((lr / (1 - std::pow(beta1, step))) * -1);
    bc2Sqrt.emplace_back(std::pow(1 - std::pow(beta2, step), 0.5));
  }
  TensorVec denom;
  if (amsgrad) {
    at::_foreach_maximum_(Vmax, V);
    denom = at::_foreach_sqrt(Vmax);
  } else {
    denom = at::_foreach_sqrt(V);
  }
  at::_foreach_div_(denom, bc2Sqrt);
  at::_foreach_add_(denom, eps);
  at::_foreach_addcdiv_(P, M, denom, stepSize);
}

// ---- the generic entry point -------------------------------------------------------------------

using UpdateFn = void (*)(OptimArgs&, OptimMode);

static UpdateFn Algorithm(const std::string& name) {
  static const std::pair<const char*, UpdateFn> table[] = {
      {"sgd", SgdUpdate},         {"adam", AdamUpdate},     {"rmsprop", RmspropUpdate}, {"adadelta", AdadeltaUpdate},
      {"adagrad", AdagradUpdate}, {"adamax", AdamaxUpdate}, {"nadam", NadamUpdate},     {"radam", RadamUpdate},
      {"asgd", AsgdUpdate},       {"rprop", RpropUpdate},
  };
  for (auto& [k, f] : table)
    if (name == k) return f;
  TORCH_CHECK(false, "unknown optimizer algorithm '", name, "'");
}

static OptimArgs ReadArgs(const Info& info) {
  Napi::Env env = info.Env();
  OptimArgs a;
  a.params = TensorList(info, 1);
  for (auto& p : a.params) {
    TORCH_CHECK(p.grad().defined(), "optimizer step: a parameter without a gradient was passed");
    a.grads.push_back(p.grad());
  }
  Napi::Object state = info[2].As<Napi::Object>();
  Napi::Array keys = state.GetPropertyNames();
  for (uint32_t k = 0; k < keys.Length(); ++k) {
    std::string name = keys.Get(k).As<Napi::String>().Utf8Value();
    Napi::Array handles = state.Get(name).As<Napi::Array>();
    TORCH_CHECK(handles.Length() == a.params.size(), "optimizer state mismatch: ", a.params.size(), " parameters but ",
                handles.Length(), " entries of ", name);
    TensorVec list(handles.Length());
    for (uint32_t i = 0; i < handles.Length(); ++i) {
      int32_t h = handles.Get(i).As<Napi::Number>().Int32Value();
      if (h >= 0) list[i] = Table().Get(env, h);
    }
    a.state.emplace_back(std::move(name), std::move(list));
  }
  // State loaded from elsewhere, or changed by hand, must fit: the kernels (fused ones above
  // all) index state as if it were shaped like the parameter.
  static const char* scalars[] = {"step", "mu_product", "eta", "mu"};
  for (auto& [name, list] : a.state) {
    if (std::any_of(std::begin(scalars), std::end(scalars), [&](const char* s) { return name == s; })) {
      for (auto& t : list)
        TORCH_CHECK(!t.defined() || t.numel() == 1, "optimizer state ", name, " must have one element, not ",
                    t.sizes());
      continue;
    }
    for (size_t i = 0; i < list.size(); ++i) {
      const at::Tensor& t = list[i];
      const at::Tensor& p = a.params[i];
      if (!t.defined()) continue;
      TORCH_CHECK(t.sizes() == p.sizes() && t.device() == p.device() && t.scalar_type() == p.scalar_type(),
                  "optimizer state ", name, " of a parameter of shape ", p.sizes(), " (", p.scalar_type(), " on ",
                  p.device(), ") is ", t.sizes(), " (", t.scalar_type(), " on ", t.device(), ")");
    }
  }
  Napi::Object hyper = info[3].As<Napi::Object>();
  Napi::Array hkeys = hyper.GetPropertyNames();
  for (uint32_t k = 0; k < hkeys.Length(); ++k) {
    std::string name = hkeys.Get(k).As<Napi::String>().Utf8Value();
    Napi::Value v = hyper.Get(name);
    if (v.IsNumber())
      a.nums.emplace_back(name, v.As<Napi::Number>().DoubleValue());
    else if (v.IsBoolean())
      a.flags.emplace_back(name, v.As<Napi::Boolean>().Value());
  }
  return a;
}

// ---- L-BFGS: the parts of torch/optim/lbfgs.py between closure calls -------------------------

// _gather_flat_grad: every gradient flattened into one vector (zeros where there is none).
static at::Tensor FlatGrad(const TensorVec& params) {
  TensorVec views;
  for (auto& p : params) {
    const at::Tensor& g = p.grad();
    views.push_back(g.defined() ? g.view(-1) : p.new_empty({p.numel()}).zero_());
  }
  return at::cat(views, 0);
}

void RegisterOptim(Napi::Env env, Napi::Object exports) {
  // (algorithm, params[] (all with gradients), state {name: handles[] (-1 = none)}, hyper {name:
  // number | boolean}, mode 'single' | 'foreach' | 'fused') -> {name: handles[]} for the state
  // entries the update created (-1 elsewhere; only lists with new entries are listed).
  TORCHTS_DEF("optimStep", {
    c10::NoGradGuard no_grad;
    UpdateFn update = Algorithm(info[0].As<Napi::String>().Utf8Value());
    OptimArgs a = ReadArgs(info);
    std::string modeName = info[4].As<Napi::String>().Utf8Value();
    OptimMode mode = modeName == "fused"     ? OptimMode::Fused
                     : modeName == "foreach" ? OptimMode::Foreach
                                             : OptimMode::Single;
    std::vector<std::vector<bool>> had;
    for (auto& [name, list] : a.state) {
      std::vector<bool> h;
      for (auto& t : list) h.push_back(t.defined());
      had.push_back(std::move(h));
    }
    if (!a.params.empty()) {
      if (mode == OptimMode::Single) {
        update(a, mode);
      } else {
        for (auto& [sub, idx] : SplitByDeviceAndDtype(a)) {
          update(sub, mode);
          for (size_t l = 0; l < a.state.size(); ++l)
            for (size_t j = 0; j < idx.size(); ++j) a.state[l].second[idx[j]] = sub.state[l].second[j];
        }
      }
    }
    Napi::Object out = Napi::Object::New(info.Env());
    for (size_t l = 0; l < a.state.size(); ++l) {
      auto& [name, list] = a.state[l];
      bool any = false;
      Napi::Array handles = Napi::Array::New(info.Env(), list.size());
      for (uint32_t i = 0; i < list.size(); ++i) {
        bool created = !had[l][i] && list[i].defined();
        handles.Set(i, created ? Table().Add(info.Env(), list[i]) : -1);
        any = any || created;
      }
      if (any) out.Set(name, handles);
    }
    return out;
  });
  // (params[]) -> the flat gradient (L-BFGS's _gather_flat_grad).
  TORCHTS_DEF("lbfgsFlatGrad", {
    c10::NoGradGuard no_grad;
    return Ret(info, FlatGrad(TensorList(info, 0)));
  });
  // (params[], stepSize, update): p += stepSize * update[slice of p] (L-BFGS's _add_grad).
  TORCHTS_DEF("lbfgsAddGrad", {
    c10::NoGradGuard no_grad;
    TensorVec params = TensorList(info, 0);
    at::Scalar stepSize(Dbl(info, 1));
    const at::Tensor& update = Tns(info, 2);
    int64_t offset = 0;
    for (auto& p : params) {
      int64_t n = p.numel();
      TORCH_CHECK(offset + n <= update.numel(), "L-BFGS: the update has fewer elements than the parameters");
      p.add_(update.slice(0, offset, offset + n).view_as(p), stepSize);
      offset += n;
    }
    TORCH_CHECK(offset == update.numel(), "L-BFGS: the update has more elements than the parameters");
    return info.Env().Undefined();
  });
  // (params[]) -> contiguous copies of the parameters (L-BFGS's _clone_param).
  TORCHTS_DEF("lbfgsCloneParams", {
    c10::NoGradGuard no_grad;
    TensorVec out;
    for (auto& p : TensorList(info, 0)) out.push_back(p.clone(at::MemoryFormat::Contiguous));
    return RetList(info, out);
  });
  // (params[], copies[]): p.copy_(copy) (L-BFGS's _set_param).
  TORCHTS_DEF("lbfgsSetParams", {
    c10::NoGradGuard no_grad;
    TensorVec params = TensorList(info, 0), copies = TensorList(info, 1);
    TORCH_CHECK(params.size() == copies.size(), "L-BFGS: ", params.size(), " parameters but ", copies.size(),
                " copies");
    for (size_t i = 0; i < params.size(); ++i) params[i].copy_(copies[i]);
    return info.Env().Undefined();
  });
  // (flatGrad, oldDirs[], oldStps[], ro[], hDiag handle (-1 when it is a number), hDiag number)
  // -> [d, al_0, ..., al_{n-1}]: the two-loop recursion of L-BFGS's step, op for op.
  TORCHTS_DEF("lbfgsDirection", {
    c10::NoGradGuard no_grad;
    const at::Tensor& flatGrad = Tns(info, 0);
    TensorVec dirs = TensorList(info, 1), stps = TensorList(info, 2), ro = TensorList(info, 3);
    size_t n = dirs.size();
    TORCH_CHECK(stps.size() == n && ro.size() == n, "L-BFGS: history lists of different lengths");
    TensorVec al(n);
    at::Tensor q = flatGrad.neg();
    for (size_t k = n; k-- > 0;) {
      al[k] = stps[k].dot(q) * ro[k];
      q.add_(dirs[k], (-al[k]).item());
    }
    int32_t h = info[4].As<Napi::Number>().Int32Value();
    at::Tensor r = h < 0 ? at::mul(q, at::Scalar(Dbl(info, 5))) : at::mul(q, Table().Get(info.Env(), h));
    for (size_t k = 0; k < n; ++k) {
      at::Tensor be = dirs[k].dot(r) * ro[k];
      r.add_(stps[k], (al[k] - be).item());
    }
    TensorVec out{r};
    out.insert(out.end(), al.begin(), al.end());
    return RetList(info, out);
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
