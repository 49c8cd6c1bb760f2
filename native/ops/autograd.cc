// Autograd: backward, gradients, leaf flags and the grad-mode / inference-mode switches.
#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <c10/core/InferenceMode.h>
#include <torch/csrc/autograd/function.h>

#include <memory>
#include <vector>

#include "args.h"
#include "state.h"

namespace torchts {

// InferenceMode is an RAII guard; JS scopes enter and leave it in LIFO order, so the
// guards live on a stack between the two calls (per environment: state.h).
static std::vector<std::unique_ptr<c10::InferenceMode>>& InferenceGuards() { return State().inference_guards; }

void RegisterAutograd(Napi::Env env, Napi::Object exports) {
  // (self, gradient | -1, retainGraph, createGraph)
  TORCHTS_DEF("backward", {
    const at::Tensor& t = Tns(info, 0);
    int32_t g = info[1].As<Napi::Number>().Int32Value();
    at::Tensor grad = g >= 0 ? Table().Get(info.Env(), g) : at::Tensor();
    t.backward(grad, Bool(info, 2), Bool(info, 3));
    return info.Env().Undefined();
  });
  TORCHTS_DEF("requiresGrad", { return Napi::Boolean::New(info.Env(), Tns(info, 0).requires_grad()); });
  TORCHTS_DEF("setRequiresGrad", {
    const at::Tensor& t = Tns(info, 0);
    bool wanted = Bool(info, 1);
    // PyTorch checks this in its Python layer (python_variable.cpp), not in libtorch.
    TORCH_CHECK(t.is_leaf(), "you can only change requires_grad flags of leaf variables.",
                wanted ? ""
                       : " If you want to use a computed variable in a subgraph that doesn't require "
                         "differentiation use var_no_grad = var.detach().");
    t.set_requires_grad(wanted);
    return Self(info);
  });
  TORCHTS_DEF("isLeaf", { return Napi::Boolean::New(info.Env(), Tns(info, 0).is_leaf()); });
  TORCHTS_DEF("retainGrad", {
    Tns(info, 0).retain_grad();
    return Self(info);
  });
  TORCHTS_DEF("hasGrad", { return Napi::Boolean::New(info.Env(), Tns(info, 0).grad().defined()); });
  // -> handle of .grad, or -1 when it is None
  TORCHTS_DEF("grad", { return Ret(info, Tns(info, 0).grad()); });
  // (self, grad | -1)
  TORCHTS_DEF("setGrad", {
    const at::Tensor& t = Tns(info, 0);
    int32_t g = info[1].As<Napi::Number>().Int32Value();
    if (g < 0) {
      t.mutable_grad() = at::Tensor();
      return info.Env().Undefined();
    }
    const at::Tensor& grad = Table().Get(info.Env(), g);
    // The checks PyTorch makes when assigning .grad (python_variable.cpp).
    TORCH_CHECK(grad.scalar_type() == t.scalar_type(), "attempting to assign a gradient with dtype '",
                grad.scalar_type(), "' to a tensor with dtype '", t.scalar_type(),
                "'. Please ensure that the gradient and the tensor have the same dtype");
    TORCH_CHECK(grad.device() == t.device(), "attempting to assign a gradient located on device '", grad.device(),
                "' to a tensor located on device '", t.device(),
                "'. Please ensure that the gradient and the tensor are on the same device");
    TORCH_CHECK(grad.sizes() == t.sizes(), "attempting to assign a gradient of size '", grad.sizes(),
                "' to a tensor of size '", t.sizes(),
                "'. Please ensure that the gradient and the tensor are the same size");
    t.mutable_grad() = grad;
    return info.Env().Undefined();
  });
  TORCHTS_DEF("gradFn", {
    const auto& fn = Tns(info, 0).grad_fn();
    if (!fn) return info.Env().Null();
    return Napi::String::New(info.Env(), fn->name());
  });
  TORCHTS_DEF("setGradEnabled", {
    bool prev = c10::GradMode::is_enabled();
    c10::GradMode::set_enabled(Bool(info, 0));
    return Napi::Boolean::New(info.Env(), prev);
  });
  TORCHTS_DEF("isGradEnabled", { return Napi::Boolean::New(info.Env(), c10::GradMode::is_enabled()); });
  TORCHTS_DEF("enterInferenceMode", {
    InferenceGuards().push_back(std::make_unique<c10::InferenceMode>(Bool(info, 0)));
    return info.Env().Undefined();
  });
  TORCHTS_DEF("exitInferenceMode", {
    if (!InferenceGuards().empty()) InferenceGuards().pop_back();
    return info.Env().Undefined();
  });
  TORCHTS_DEF("isInferenceMode", { return Napi::Boolean::New(info.Env(), c10::InferenceMode::is_enabled()); });
  TORCHTS_DEF("isInference", { return Napi::Boolean::New(info.Env(), Tns(info, 0).is_inference()); });
}

}  // namespace torchts
