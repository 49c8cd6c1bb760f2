// One error path back to JS: every libtorch (c10::Error) or standard exception thrown by
// a native function becomes a JS `TorchError` carrying libtorch's message.
#pragma once
#include <napi.h>
#include <string>

namespace torchts {

// Remembers the JS TorchError class (lib/torch/errors.ts) of `env` so native code can throw it.
void SetErrorClass(Napi::Env env, Napi::Function ctor);

// Builds a TorchError (or a plain Error before SetErrorClass ran) with `message`.
Napi::Error MakeTorchError(Napi::Env env, const std::string& message);

[[noreturn]] void ThrowTorchError(Napi::Env env, const std::string& message);

// Converts whatever exception is in flight into a JS exception. Called from Guard's catch.
[[noreturn]] void RethrowAsJs(Napi::Env env);

// Wraps a native callback so that no C++ exception can escape into Node-API.
template <Napi::Value (*F)(const Napi::CallbackInfo&)>
Napi::Value Guard(const Napi::CallbackInfo& info) {
  try {
    return F(info);
  } catch (const Napi::Error&) { throw; } catch (...) {
    RethrowAsJs(info.Env());
  }
}

// Guard for a captureless lambda type (C++20 makes those default-constructible), which
// lets each op be defined in one line where it is registered.
template <typename L>
Napi::Value GuardLambda(const Napi::CallbackInfo& info) {
  try {
    return L{}(info);
  } catch (const Napi::Error&) { throw; } catch (...) {
    RethrowAsJs(info.Env());
  }
}
template <typename L>
void DefLambda(Napi::Env env, Napi::Object exports, const char* name, L) {
  exports.Set(name, Napi::Function::New<GuardLambda<L>>(env, name));
}

// Registers `F` on `exports` under `name`, guarded.
template <Napi::Value (*F)(const Napi::CallbackInfo&)>
void Def(Napi::Env env, Napi::Object exports, const char* name) {
  exports.Set(name, Napi::Function::New<Guard<F>>(env, name));
}

}  // namespace torchts
