#include "errors.h"

#include <c10/util/Exception.h>

#include "state.h"

namespace torchts {

void SetErrorClass(Napi::Env env, Napi::Function ctor) { State(env).error_class = Napi::Persistent(ctor); }

Napi::Error MakeTorchError(Napi::Env env, const std::string& message) {
  AddonState* state = env.GetInstanceData<AddonState>();
  if (!state || state->error_class.IsEmpty()) return Napi::Error::New(env, message);
  Napi::Object err = state->error_class.New({Napi::String::New(env, message)});
  return Napi::Error(env, err);
}

void ThrowTorchError(Napi::Env env, const std::string& message) { throw MakeTorchError(env, message); }

void RethrowAsJs(Napi::Env env) {
  try {
    throw;
  } catch (const Napi::Error&) { throw; } catch (const c10::Error& e) {
    // libtorch's own message, without the C++ stack trace it appends in debug builds.
    throw MakeTorchError(env, e.what_without_backtrace());
  } catch (const std::bad_alloc&) { throw MakeTorchError(env, "out of memory"); } catch (const std::exception& e) {
    throw MakeTorchError(env, e.what());
  } catch (...) { throw MakeTorchError(env, "unknown native error"); }
}

}  // namespace torchts
