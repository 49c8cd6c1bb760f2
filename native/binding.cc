// Module init: registers each part of the native layer.
#include <malloc.h>
#include <napi.h>

#include <cstdlib>
#include <mutex>

#include "errors.h"
#include "state.h"

namespace torchts {
void RegisterRuntime(Napi::Env env, Napi::Object exports);
void RegisterCreation(Napi::Env env, Napi::Object exports);
void RegisterPointwise(Napi::Env env, Napi::Object exports);
void RegisterReduction(Napi::Env env, Napi::Object exports);
void RegisterShape(Napi::Env env, Napi::Object exports);
void RegisterAutograd(Napi::Env env, Napi::Object exports);
void RegisterData(Napi::Env env, Napi::Object exports);
void RegisterNN(Napi::Env env, Napi::Object exports);
void RegisterOptim(Napi::Env env, Napi::Object exports);
void RegisterImage(Napi::Env env, Napi::Object exports);
void RegisterAmp(Napi::Env env, Napi::Object exports);
void RegisterCuda(Napi::Env env, Napi::Object exports);
void RegisterDistributed(Napi::Env env, Napi::Object exports);
void RegisterDispatch(Napi::Env env, Napi::Object exports);
void RegisterAsync(Napi::Env env, Napi::Object exports);
void RegisterAsyncJit(Napi::Env env, Napi::Object exports);
void RegisterJit(Napi::Env env, Napi::Object exports);  // native/jit.cc (and jit_aoti.cc)
void InstallCpuBlockCache();                            // native/cpu_allocator.cc
}  // namespace torchts

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  // Each JS environment (the main thread, every worker_thread) loads the addon once and gets
  // its own state (state.h): its tensor table, error class, op ids and generators.
  try {
    torchts::CreateState(env);
  } catch (const Napi::Error& e) {
    e.ThrowAsJavaScriptException();
    return exports;
  }
  // Tensor buffers are large and short-lived: with glibc's defaults each step hands them back
  // to the OS and faults them in again (hundreds of thousands of page faults per ResNet-50
  // training step here). Keep freed memory for reuse, as a caching allocator would; a
  // MALLOC_* / GLIBC_TUNABLES setting by the user still wins, since it is read first.
  static std::once_flag malloc_tuned;
  std::call_once(malloc_tuned, [] {
    if (!std::getenv("GLIBC_TUNABLES") && !std::getenv("MALLOC_MMAP_THRESHOLD_") &&
        !std::getenv("MALLOC_TRIM_THRESHOLD_")) {
      mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's maximum on 64-bit
      mallopt(M_TRIM_THRESHOLD, 1 << 30);
    }
  });
  // Blocks over glibc's largest mmap threshold are cached by torchts itself (cpu_allocator.cc).
  torchts::InstallCpuBlockCache();
  torchts::RegisterRuntime(env, exports);
  torchts::RegisterCreation(env, exports);
  torchts::RegisterPointwise(env, exports);
  torchts::RegisterReduction(env, exports);
  torchts::RegisterShape(env, exports);
  torchts::RegisterAutograd(env, exports);
  torchts::RegisterData(env, exports);
  torchts::RegisterNN(env, exports);
  torchts::RegisterOptim(env, exports);
  torchts::RegisterImage(env, exports);
  torchts::RegisterAmp(env, exports);
  torchts::RegisterCuda(env, exports);
  torchts::RegisterDistributed(env, exports);
  torchts::RegisterDispatch(env, exports);
  torchts::RegisterAsync(env, exports);
  torchts::RegisterJit(env, exports);
  torchts::RegisterAsyncJit(env, exports);
  return exports;
}

NODE_API_MODULE(torchts, Init)
