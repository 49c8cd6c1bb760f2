// Autograd: backward, gradients, leaf flags and the grad-mode / inference-mode switches.
#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <c10/core/InferenceMode.h>
#include <torch/csrc/autograd/function.h>

#include <memory>
#include <vector>

#include "args.h"

namespace torchts {

// InferenceMode is an RAII guard; JS scopes enter and leave it in LIFO order, so the
// guards live on a stack between the two calls.
static std::vector<std::unique_ptr<c10::InferenceMode>> g_inference_guards;

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
  TORCHTS_DEF("setRequiresGrad", { Tns(info, 0).set_requires_grad(Bool(info, 1)); return Self(info); });
  TORCHTS_DEF("isLeaf", { return Napi::Boolean::New(info.Env(), Tns(info, 0).is_leaf()); });
  TORCHTS_DEF("retainGrad", { Tns(info, 0).retain_grad(); return Self(info); });
  TORCHTS_DEF("hasGrad", { return Napi::Boolean::New(info.Env(), Tns(info, 0).grad().defined()); });
  // -> handle of .grad, or -1 when it is None
  TORCHTS_DEF("grad", { return Ret(info, Tns(info, 0).grad()); });
  // (self, grad | -1)
  TORCHTS_DEF("setGrad", {
    int32_t g = info[1].As<Napi::Number>().Int32Value();
    Tns(info, 0).mutable_grad() = g >= 0 ? Table().Get(info.Env(), g) : at::Tensor();
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
    g_inference_guards.push_back(std::make_unique<c10::InferenceMode>(Bool(info, 0)));
    return info.Env().Undefined();
  });
  TORCHTS_DEF("exitInferenceMode", {
    if (!g_inference_guards.empty()) g_inference_guards.pop_back();
    return info.Env().Undefined();
  });
  TORCHTS_DEF("isInferenceMode", { return Napi::Boolean::New(info.Env(), c10::InferenceMode::is_enabled()); });
  TORCHTS_DEF("isInference", { return Napi::Boolean::New(info.Env(), Tns(info, 0).is_inference()); });
}

}  // namespace torchts
