// Per-environment addon state. Node runs one JS environment per thread (the main thread and
// each worker_thread), and loads the addon once per environment: everything that holds JS
// references (classes, typed arrays, the tensor table's weak owners) or is used without locks
// (the tensor table, op ids, generator handles) lives in one AddonState per environment,
// owned by Node-API instance data (napi_set_instance_data) and freed when the environment ends.
// Nothing in native/ keeps a JS reference in a global.
#pragma once
#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <napi.h>

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "tensor_table.h"

namespace torchts {

struct DispatchState;  // native/ops/dispatch.cc

struct AddonState {
  // The tensors this environment's JS holds by handle.
  TensorTable table;
  // The JS TorchError class (lib/torch/errors.ts).
  Napi::FunctionReference error_class;
  // The Int32Array TensorTable::SetPressureFlag writes into, held so its memory stays put.
  Napi::Reference<Napi::Int32Array> pressure_flag;
  // torch.Generator objects; JS holds their indices.
  std::vector<at::Generator> generators;
  // InferenceMode guards entered by JS scopes, in LIFO order.
  std::vector<std::unique_ptr<c10::InferenceMode>> inference_guards;
  // The generic dispatcher's resolved ops (ids are per environment).
  std::shared_ptr<DispatchState> dispatch;
  // Constructors of ObjectWrap classes registered by a part of the addon (by class name), so
  // native code can make instances without a global FunctionReference.
  std::unordered_map<std::string, Napi::FunctionReference> classes;
  // Per-environment data of other parts, by key (kept alive until the environment ends).
  std::unordered_map<std::string, std::shared_ptr<void>> parts;
  // The environment's id (1 for the first environment of the process, the main thread's).
  int32_t id = 0;
};

// Creates this environment's state and ties it to `env` (binding.cc's Init).
AddonState& CreateState(Napi::Env env);
// The state of the environment running on this thread. Every JS call into the addon runs on
// its environment's thread, so this is a thread-local read (no Node-API call on the hot path).
AddonState& State();
// The state of `env`.
inline AddonState& State(Napi::Env env) { return *env.GetInstanceData<AddonState>(); }

// The per-environment part stored under `key`, created on first use.
template <typename T>
T& Part(const std::string& key) {
  std::shared_ptr<void>& p = State().parts[key];
  if (!p) p = std::make_shared<T>();
  return *static_cast<T*>(p.get());
}

}  // namespace torchts
