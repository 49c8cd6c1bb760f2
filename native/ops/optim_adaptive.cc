// RMSprop, Adadelta, Adagrad, Adamax, NAdam and RAdam: each as torch/optim/<name>.py computes
// it, in its per-parameter form (`_single_tensor_*`) and its multi-tensor form
// (`_multi_tensor_*`), op for op and with the same Python-float scalar arithmetic, so that
// results equal PyTorch's bit for bit on the same libtorch. Step counts are 0-dim tensors,
// incremented here, as PyTorch keeps them.
#include <ATen/ATen.h>

#include <cmath>

#include "optim.h"

namespace torchts {

using Scalars = std::vector<at::Scalar>;

// The foreach forms increment every step tensor up front, as PyTorch's do.
static void IncrementSteps(TensorVec& steps) { at::_foreach_add_(steps, 1); }

// ---- RMSprop -----------------------------------------------------------------------------------

void RmspropUpdate(OptimArgs& a, OptimMode mode) {
  double lr = a.Num("lr"), alpha = a.Num("alpha"), eps = a.Num("eps"), wd = a.Num("weightDecay");
  double momentum = a.Num("momentum");
  bool centered = a.Flag("centered"), maximize = a.Flag("maximize");
  TensorVec& P = a.params;
  TensorVec &sq = a.List("square_avg"), &S = a.List("step");
  TensorVec &bufs = a.List("momentum_buffer"), &gavg = a.List("grad_avg");
  if (mode == OptimMode::Single) {
    for (size_t i = 0; i < P.size(); ++i) {
      at::Tensor grad = maximize ? -a.grads[i] : a.grads[i];
      S[i].add_(1);
      if (wd != 0) grad = grad.add(P[i], wd);
      sq[i].mul_(alpha).addcmul_(grad, grad, 1 - alpha);
      at::Tensor avg;
      if (centered) {
        gavg[i].lerp_(grad, 1 - alpha);
        avg = sq[i].addcmul(gavg[i], gavg[i], -1).sqrt_();
      } else {
        avg = sq[i].sqrt();
      }
      avg = avg.add_(eps);
      if (momentum > 0) {
        bufs[i].mul_(momentum).addcdiv_(grad, avg);
        P[i].add_(bufs[i], -lr);
      } else {
        P[i].addcdiv_(grad, avg, -lr);
      }
    }
    return;
  }
  TensorVec G = maximize ? at::_foreach_neg(a.grads) : a.grads;
  IncrementSteps(S);
  if (wd != 0) {
    if (maximize)
      at::_foreach_add_(G, P, wd);
    else
      G = at::_foreach_add(G, P, wd);
  }
  at::_foreach_mul_(sq, alpha);
  at::_foreach_addcmul_(sq, G, G, 1 - alpha);
  TensorVec avg;
  if (centered) {
    at::_foreach_lerp_(gavg, G, 1 - alpha);
    avg = at::_foreach_addcmul(sq, gavg, gavg, -1);
    at::_foreach_sqrt_(avg);
    at::_foreach_add_(avg, eps);
  } else {
    avg = at::_foreach_sqrt(sq);
    at::_foreach_add_(avg, eps);
  }
  if (momentum > 0) {
    at::_foreach_mul_(bufs, momentum);
    at::_foreach_addcdiv_(bufs, G, avg);
    at::_foreach_add_(P, bufs, -lr);
  } else {
    at::_foreach_addcdiv_(P, G, avg, -lr);
  }
}

// ---- Adadelta ----------------------------------------------------------------------------------

void AdadeltaUpdate(OptimArgs& a, OptimMode mode) {
  double lr = a.Num("lr"), rho = a.Num("rho"), eps = a.Num("eps"), wd = a.Num("weightDecay");
  bool maximize = a.Flag("maximize");
  TensorVec& P = a.params;
  TensorVec &sq = a.List("square_avg"), &acc = a.List("acc_delta"), &S = a.List("step");
  if (mode == OptimMode::Single) {
    for (size_t i = 0; i < P.size(); ++i) {
      S[i].add_(1);
      at::Tensor grad = maximize ? -a.grads[i] : a.grads[i];
      if (wd != 0) grad = grad.add(P[i], wd);
      sq[i].mul_(rho).addcmul_(grad, grad, 1 - rho);
      at::Tensor std = sq[i].add(eps).sqrt_();
      at::Tensor delta = acc[i].add(eps).sqrt_();
      delta.div_(std).mul_(grad);
      acc[i].mul_(rho).addcmul_(delta, delta, 1 - rho);
      P[i].add_(delta, -lr);
    }
    return;
  }
  IncrementSteps(S);
  TensorVec G = ForeachGrads(a, maximize, wd);
  at::_foreach_mul_(sq, rho);
  at::_foreach_addcmul_(sq, G, G, 1 - rho);
  TensorVec std = at::_foreach_add(sq, eps);
  at::_foreach_sqrt_(std);
  TensorVec deltas = at::_foreach_add(acc, eps);
  at::_foreach_sqrt_(deltas);
  at::_foreach_div_(deltas, std);
  at::_foreach_mul_(deltas, G);
  at::_foreach_mul_(acc, rho);
  at::_foreach_addcmul_(acc, deltas, deltas, 1 - rho);
  at::_foreach_add_(P, deltas, -lr);
}

// ---- Adagrad -----------------------------------------------------------------------------------

void AdagradUpdate(OptimArgs& a, OptimMode mode) {
  double lr = a.Num("lr"), lrDecay = a.Num("lrDecay"), eps = a.Num("eps"), wd = a.Num("weightDecay");
  bool maximize = a.Flag("maximize");
  TensorVec& P = a.params;
  TensorVec &sums = a.List("sum"), &S = a.List("step");
  if (mode == OptimMode::Fused) {
    at::_foreach_add_(S, 1);
    at::_fused_adagrad_(P, a.grads, sums, S, lr, lrDecay, wd, eps, maximize);
    return;
  }
  if (mode == OptimMode::Single) {
    for (size_t i = 0; i < P.size(); ++i) {
      S[i].add_(1);
      double step = Value(S[i]);
      at::Tensor grad = maximize ? -a.grads[i] : a.grads[i];
      if (wd != 0) grad = grad.add(P[i], wd);
      double clr = lr / (1 + (step - 1) * lrDecay);
      sums[i].addcmul_(grad, grad, 1);
      at::Tensor std = sums[i].sqrt().add_(eps);
      P[i].addcdiv_(grad, std, -clr);
    }
    return;
  }
  TensorVec G = maximize ? at::_foreach_neg(a.grads) : a.grads;
  IncrementSteps(S);
  if (wd != 0) {
    if (maximize)
      at::_foreach_add_(G, P, wd);
    else
      G = at::_foreach_add(G, P, wd);
  }
  Scalars minusClr;
  for (auto& s : S) minusClr.emplace_back(-lr / (1 + (Value(s) - 1) * lrDecay));
  at::_foreach_addcmul_(sums, G, G, 1);
  TensorVec std = at::_foreach_sqrt(sums);
  at::_foreach_add_(std, eps);
  TensorVec numerator;
  if (wd != 0 || maximize) {
    at::_foreach_mul_(G, minusClr);
    numerator = G;
  } else {
    numerator = at::_foreach_mul(G, minusClr);
  }
  at::_foreach_addcdiv_(P, numerator, std);
}

// ---- Adamax ------------------------------------------------------------------------------------

void AdamaxUpdate(OptimArgs& a, OptimMode mode) {
  double lr = a.Num("lr"), beta1 = a.Num("beta1"), beta2 = a.Num("beta2"), eps = a.Num("eps");
  double wd = a.Num("weightDecay");
  bool maximize = a.Flag("maximize");
  TensorVec& P = a.params;
  TensorVec &M = a.List("exp_avg"), &U = a.List("exp_inf"), &S = a.List("step");
  if (mode == OptimMode::Single) {
    for (size_t i = 0; i < P.size(); ++i) {
      at::Tensor grad = maximize ? -a.grads[i] : a.grads[i];
      S[i].add_(1);
      if (wd != 0) grad = grad.add(P[i], wd);
      M[i].lerp_(grad, 1 - beta1);
      at::maximum_out(U[i], U[i].mul_(beta2), grad.abs().add_(eps));
      double clr = lr / (1 - std::pow(beta1, Value(S[i])));
      P[i].addcdiv_(M[i], U[i], -clr);
    }
    return;
  }
  TensorVec G = maximize ? at::_foreach_neg(a.grads) : a.grads;
  IncrementSteps(S);
  if (wd != 0) {
    if (maximize)
      at::_foreach_add_(G, P, wd);
    else
      G = at::_foreach_add(G, P, wd);
  }
  at::_foreach_lerp_(M, G, 1 - beta1);
  at::_foreach_mul_(U, beta2);
  if (!maximize && wd == 0)
    G = at::_foreach_abs(G);
  else
    at::_foreach_abs_(G);
  at::_foreach_add_(G, eps);
  at::_foreach_maximum_(U, G);
  Scalars stepSize;
  for (auto& s : S) stepSize.emplace_back((lr / (1 - std::pow(beta1, Value(s)))) * -1);
  at::_foreach_addcdiv_(P, M, U, stepSize);
}

// ---- NAdam -------------------------------------------------------------------------------------

void NadamUpdate(OptimArgs& a, OptimMode mode) {
  double lr = a.Num("lr"), beta1 = a.Num("beta1"), beta2 = a.Num("beta2"), eps = a.Num("eps");
  double wd = a.Num("weightDecay"), md = a.Num("momentumDecay");
  bool decoupled = a.Flag("decoupledWeightDecay"), maximize = a.Flag("maximize");
  TensorVec& P = a.params;
  TensorVec &M = a.List("exp_avg"), &V = a.List("exp_avg_sq"), &mp = a.List("mu_product"), &S = a.List("step");
  auto muAt = [&](double step) { return beta1 * (1.0 - 0.5 * std::pow(0.96, step * md)); };
  if (mode == OptimMode::Single) {
    for (size_t i = 0; i < P.size(); ++i) {
      at::Tensor grad = maximize ? -a.grads[i] : a.grads[i];
      S[i].add_(1);
      double step = Value(S[i]);
      double bc2 = 1 - std::pow(beta2, step);
      if (wd != 0) {
        if (decoupled)
          P[i].mul_(1 - lr * wd);
        else
          grad = grad.add(P[i], wd);
      }
      double mu = muAt(step), muNext = muAt(step + 1);
      mp[i].mul_(mu);
      M[i].lerp_(grad, 1 - beta1);
      V[i].mul_(beta2).addcmul_(grad, grad, 1 - beta2);
      at::Tensor denom = V[i].div(bc2).sqrt();
      double muProduct = Value(mp[i]);
      double muProductNext = muProduct * muNext;
      denom.add_(eps);
      P[i].addcdiv_(grad, denom, -lr * (1.0 - mu) / (1.0 - muProduct));
      P[i].addcdiv_(M[i], denom, (-lr * muNext) / (1.0 - muProductNext));
    }
    return;
  }
  TensorVec G = maximize ? at::_foreach_neg(a.grads) : a.grads;
  IncrementSteps(S);
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
  TensorVec denom = at::_foreach_sqrt(V);
  Scalars bcSqrt, mus, muNexts;
  for (auto& s : S) {
    double step = Value(s);
    bcSqrt.emplace_back(std::pow(1 - std::pow(beta2, step), 0.5));
    mus.emplace_back(muAt(step));
    muNexts.emplace_back(muAt(step + 1));
  }
  at::_foreach_mul_(mp, mus);
  at::_foreach_div_(denom, bcSqrt);
  at::_foreach_add_(denom, eps);
  Scalars sizeGrads, sizeExpAvg;
  for (size_t i = 0; i < P.size(); ++i) {
    double muProduct = Value(mp[i]);
    double mu = mus[i].toDouble(), muNext = muNexts[i].toDouble();
    sizeGrads.emplace_back((lr * (1.0 - mu) / (1.0 - muProduct)) * -1);
    sizeExpAvg.emplace_back((lr * muNext / (1.0 - muProduct * muNext)) * -1);
  }
  at::_foreach_addcdiv_(P, G, denom, sizeGrads);
  at::_foreach_addcdiv_(P, M, denom, sizeExpAvg);
}

// ---- RAdam -------------------------------------------------------------------------------------

void RadamUpdate(OptimArgs& a, OptimMode mode) {
  double lr = a.Num("lr"), beta1 = a.Num("beta1"), beta2 = a.Num("beta2"), eps = a.Num("eps");
  double wd = a.Num("weightDecay");
  bool decoupled = a.Flag("decoupledWeightDecay"), maximize = a.Flag("maximize");
  TensorVec& P = a.params;
  TensorVec &M = a.List("exp_avg"), &V = a.List("exp_avg_sq"), &S = a.List("step");
  double rhoInf = 2 / (1 - beta2) - 1;
  auto rect = [&](double rhoT) {
    return std::pow((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT), 0.5);
  };
  if (mode == OptimMode::Single) {
    for (size_t i = 0; i < P.size(); ++i) {
      at::Tensor grad = maximize ? -a.grads[i] : a.grads[i];
      S[i].add_(1);
      double step = Value(S[i]);
      if (wd != 0) {
        if (decoupled)
          P[i].mul_(1 - lr * wd);
        else
          grad = grad.add(P[i], wd);
      }
      M[i].lerp_(grad, 1 - beta1);
      V[i].mul_(beta2).addcmul_(grad, grad, 1 - beta2);
      double bc1 = 1 - std::pow(beta1, step), bc2 = 1 - std::pow(beta2, step);
      at::Tensor corrected = M[i] / bc1;
      double rhoT = rhoInf - 2 * step * std::pow(beta2, step) / bc2;
      if (rhoT > 5.0) {
        // Python's `float / tensor` is `tensor.reciprocal() * float`.
        at::Tensor adaptive = V[i].sqrt().add_(eps).reciprocal() * std::pow(bc2, 0.5);
        P[i].add_(corrected * lr * adaptive * rect(rhoT), -1.0);
      } else {
        P[i].add_(corrected * lr, -1.0);
      }
    }
    return;
  }
  IncrementSteps(S);
  TensorVec G = maximize ? at::_foreach_neg(a.grads) : a.grads;
  std::vector<double> rhoT;
  for (auto& s : S) {
    double step = Value(s);
    rhoT.push_back(rhoInf - 2 * step * std::pow(beta2, step) / (1 - std::pow(beta2, step)));
  }
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
  Scalars unrectStepSize, bc2;
  for (size_t i = 0; i < P.size(); ++i) {
    double step = Value(S[i]);
    double r = rhoT[i] > 5 ? rect(rhoT[i]) : 0;
    double unrectified = r > 0 ? 0 : 1.0;
    double bc1 = 1 - std::pow(beta1, step);
    unrectStepSize.emplace_back((lr * unrectified / bc1) * -1);
    bc2.emplace_back((std::pow(1 - std::pow(beta2, step), 0.5)) * (lr * r / bc1) * -1);
  }
  TensorVec buffer = at::_foreach_sqrt(V);
  at::_foreach_add_(buffer, eps);
  at::_foreach_div_(buffer, bc2);
  at::_foreach_reciprocal_(buffer);
  at::_foreach_add_(buffer, unrectStepSize);
  at::_foreach_addcmul_(P, M, buffer);
}

}  // namespace torchts
