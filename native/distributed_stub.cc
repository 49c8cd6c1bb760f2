// Stands in for distributed.cc when torchts is built without Gloo's headers: the JS side
// sees no `distInit` and reports distributed.isAvailable() === false.
#include <napi.h>

namespace torchts {

void RegisterDistributed(Napi::Env env, Napi::Object exports) {
  Napi::Object avail = Napi::Object::New(env);
  avail.Set("gloo", false);
  avail.Set("nccl", false);
  exports.Set("distBackends", avail);
}

}  // namespace torchts
