// TorchScript modules held by JS (lib/torch/jit.ts's ScriptModule and the module that
// torch.jit.optimizeForInference returns): JS holds an integer handle into a table of
// shared torch::jit::Module objects, freed by `jitFree` (ScriptModule.dispose or its finalizer).
//
// Running a module's forward from native code, off the JS thread (what a server does):
//
//   // on the JS thread, from the handle JS passes (ScriptModule's `_handle`):
//   std::shared_ptr<torch::jit::Module> m = torchts::JitModuleAt(env, handle);
//   // on any thread; `m` keeps the module alive even if JS disposes it meanwhile:
//   c10::InferenceMode guard;
//   at::Tensor y = m->forward({x}).toTensor();
//
// torch::jit::Module::forward may run on several threads at once (the graph executor is
// thread-safe); the tensors it returns belong to the caller until added to the tensor table,
// which is used from the JS thread only.
#pragma once
#include <napi.h>
#include <torch/csrc/jit/api/module.h>

#include <memory>

namespace torchts {

// The module behind `handle`; throws TorchError when the handle does not name a live module.
std::shared_ptr<torch::jit::Module> JitModuleAt(Napi::Env env, int32_t handle);
// Stores a module in the table (JS thread only); returns its handle, for `new ScriptModule(handle)`.
int32_t AddJitModule(std::shared_ptr<torch::jit::Module> module);

// Registers torchts::winograd_conv2d, the operator WinogradRewrite's nodes call (once).
void RegisterWinogradOp();
// Rewrites the graph's 3x3 stride-1 float32 convolutions that profiled sizes show are worth it
// (and the residual add and ReLU after each) into Winograd convolutions (native/jit_winograd.cc).
void WinogradRewrite(std::shared_ptr<torch::jit::Graph>& g);
// After oneDNN Graph's fuser: partitions whose outputs only Winograd convolutions read write
// them channels-last, the layout those take.
void WinogradLayouts(const std::shared_ptr<torch::jit::Graph>& g);

}  // namespace torchts
