// Module init: registers each part of the native layer.
#include <napi.h>

#include "errors.h"

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
}  // namespace torchts

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  static bool loaded = false;
  if (loaded) {
    // The tensor table and grad mode are per process and used from one JS thread.
    NAPI_THROW(Napi::Error::New(env, "torchts can be loaded by one JS thread (the main thread) only"),
               exports);
  }
  loaded = true;
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
  return exports;
}

NODE_API_MODULE(torchts, Init)
