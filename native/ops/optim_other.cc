// ASGD and Rprop as torch/optim/asgd.py and rprop.py compute them, per parameter
// (`_single_tensor_*`) and multi-tensor (`_multi_tensor_*`), op for op.
#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>

#include "optim.h"

namespace torchts {

// ---- ASGD --------------------------------------------------------------------------------------

// Python's `1 / max(1, step - t0)`.
static double AsgdMu(double step, double t0) { return 1 / std::max(1.0, step - t0); }

void AsgdUpdate(OptimArgs& a, OptimMode mode) {
  double lr = a.Num("lr"), lambd = a.Num("lambd"), alpha = a.Num("alpha"), t0 = a.Num("t0");
  double wd = a.Num("weightDecay");
  bool maximize = a.Flag("maximize");
  TensorVec& P = a.params;
  TensorVec &ax = a.List("ax"), &eta = a.List("eta"), &mu = a.List("mu"), &S = a.List("step");
  if (mode == OptimMode::Single) {
    for (size_t i = 0; i < P.size(); ++i) {
      at::Tensor grad = maximize ? -a.grads[i] : a.grads[i];
      S[i].add_(1);
      if (wd != 0) grad = grad.add(P[i], wd);
      double etaValue = Value(eta[i]);
      P[i].mul_(1 - lambd * etaValue);
      P[i].add_(grad, -etaValue);
      if (Value(mu[i]) != 1)
        ax[i].add_(P[i].sub(ax[i]).mul_(mu[i]));
      else
        ax[i].copy_(P[i]);
      // Here PyTorch computes in Python floats (torch.as_tensor of a float is float64).
      double step = Value(S[i]);
      eta[i].copy_(at::scalar_tensor(lr / std::pow(1 + lambd * lr * step, alpha), at::kDouble));
      mu[i].copy_(at::scalar_tensor(AsgdMu(step, t0), at::kDouble));
    }
    return;
  }
  TensorVec G = maximize ? at::_foreach_neg(a.grads) : a.grads;
  at::_foreach_add_(S, 1);
  TensorVec intermediate;
  if (wd != 0) {
    if (maximize) {
      at::_foreach_add_(G, P, wd);
      intermediate = G;
    } else {
      intermediate = at::_foreach_add(G, P, wd);
    }
    at::_foreach_add_(intermediate, P, lambd);
  } else {
    intermediate = at::_foreach_add(G, P, lambd);
  }
  at::_foreach_addcmul_(P, intermediate, eta, -1);
  intermediate = at::_foreach_sub(P, ax);
  at::_foreach_addcmul_(ax, intermediate, mu);
  TensorVec newEta, newMu;
  for (auto& s : S) {
    // `lr / ((1 + lambd * lr * step) ** alpha)` with `step` a tensor: tensor arithmetic, and
    // Python's `float / tensor` is `tensor.reciprocal() * float`.
    at::Tensor t = at::pow(at::add(at::mul(s, lambd * lr), 1), alpha);
    newEta.push_back(at::mul(at::reciprocal(t), lr));
    newMu.push_back(at::scalar_tensor(AsgdMu(Value(s), t0), at::TensorOptions(at::kDouble).device(s.device())));
  }
  at::_foreach_copy_(eta, newEta);
  at::_foreach_copy_(mu, newMu);
}

// ---- Rprop -------------------------------------------------------------------------------------

// The step-size factors from the signs of grad * prev (`sign[sign.gt(0)] = etaplus` ...).
static void SignsToFactors(at::Tensor& sign, double etaminus, double etaplus) {
  sign.masked_fill_(sign.gt(0), etaplus);
  sign.masked_fill_(sign.lt(0), etaminus);
  sign.masked_fill_(sign.eq(0), 1);
}

void RpropUpdate(OptimArgs& a, OptimMode mode) {
  double etaminus = a.Num("etaminus"), etaplus = a.Num("etaplus");
  double minStep = a.Num("stepSizeMin"), maxStep = a.Num("stepSizeMax");
  bool maximize = a.Flag("maximize");
  TensorVec& P = a.params;
  TensorVec &prev = a.List("prev"), &sizes = a.List("step_size"), &S = a.List("step");
  if (mode == OptimMode::Single) {
    for (size_t i = 0; i < P.size(); ++i) {
      at::Tensor grad = maximize ? -a.grads[i] : a.grads[i];
      S[i].add_(1);
      at::Tensor sign = grad.mul(prev[i]).sign();
      SignsToFactors(sign, etaminus, etaplus);
      sizes[i].mul_(sign).clamp_(minStep, maxStep);
      grad = grad.clone(at::MemoryFormat::Preserve);
      grad.masked_fill_(sign.eq(etaminus), 0);
      P[i].addcmul_(grad.sign(), sizes[i], -1);
      prev[i].copy_(grad);
    }
    return;
  }
  at::_foreach_add_(S, 1);
  TensorVec signs = at::_foreach_mul(a.grads, prev);
  if (maximize) at::_foreach_neg_(signs);
  // prev now holds this step's (possibly negated) gradients, updated in place below.
  at::_foreach_copy_(prev, a.grads);
  if (maximize) at::_foreach_neg_(prev);
  at::_foreach_sign_(signs);
  for (auto& sign : signs) SignsToFactors(sign, etaminus, etaplus);
  at::_foreach_mul_(sizes, signs);
  for (auto& s : sizes) s.clamp_(minStep, maxStep);
  for (size_t i = 0; i < prev.size(); ++i) prev[i].copy_(at::where(signs[i].eq(etaminus), 0, prev[i]));
  TensorVec gradSigns;
  for (auto& g : prev) gradSigns.push_back(g.sign());
  at::_foreach_addcmul_(P, gradSigns, sizes, -1);
}

}  // namespace torchts
