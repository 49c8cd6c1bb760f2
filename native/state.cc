#include "state.h"

#include <atomic>

#include "errors.h"

namespace torchts {

static thread_local AddonState* t_state = nullptr;
static std::atomic<int32_t> g_next_env_id{1};

static void FreeState(Napi::Env, AddonState* s) {
  if (t_state == s) t_state = nullptr;
  // References of an ending environment are freed by Node: release ours instead of deleting them.
  s->error_class.SuppressDestruct();
  s->pressure_flag.SuppressDestruct();
  for (auto& [name, ref] : s->classes) ref.SuppressDestruct();
  s->table.SetPressureFlag(nullptr);
  delete s;
}

AddonState& CreateState(Napi::Env env) {
  if (t_state) {
    // Node gives each environment its own thread; an embedder running two on one thread
    // would have them share a tensor table through State().
    throw Napi::Error::New(env, "torchts is already loaded in another JS environment on this thread");
  }
  auto* state = new AddonState();
  state->id = g_next_env_id.fetch_add(1);
  // The finalizer runs when the environment is torn down (a worker exiting, or the process
  // ending); Node frees the environment's remaining references itself.
  env.SetInstanceData<AddonState, FreeState>(state);
  t_state = state;
  return *state;
}

AddonState& State() {
  if (!t_state) [[unlikely]]
    throw std::runtime_error("torchts: no JS environment on this thread (native thread used the tensor table)");
  return *t_state;
}

}  // namespace torchts
