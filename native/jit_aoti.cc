// torch._inductor.aotiLoadPackage: AOTInductor packages (.pt2 files that Python's
// torch._inductor.aoti_compile_and_package writes) loaded and run through libtorch's
// AOTIModelPackageLoader. JS holds an integer handle into the table below.
#include <torch/csrc/inductor/aoti_package/model_package_loader.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "args.h"
#include "state.h"

namespace torchts {
namespace {

using Loader = torch::inductor::AOTIModelPackageLoader;

// This JS environment's packages (state.h): handles are per environment.
std::vector<std::shared_ptr<Loader>>& Loaders() { return Part<std::vector<std::shared_ptr<Loader>>>("aoti"); }

std::shared_ptr<Loader> LoaderAt(Napi::Env env, const Napi::Value& v) {
  int32_t h = v.As<Napi::Number>().Int32Value();
  if (h < 0 || h >= int32_t(Loaders().size()) || !Loaders()[h])
    ThrowTorchError(env, "AOTI package was disposed: it cannot be used any more");
  return Loaders()[h];
}

}  // namespace

void RegisterAoti(Napi::Env env, Napi::Object exports) {
  // (path, modelName, deviceIndex) -> handle
  TORCHTS_DEF("aotiLoad", {
    // The generated code checks its inputs' sizes, strides and dtypes only when this is set
    // (read once per package, at its first run); without the check a wrong input shape reads
    // out of bounds. A user's own setting wins.
    setenv("AOTI_RUNTIME_CHECK_INPUTS", "1", /*overwrite=*/0);
    std::string path = info[0].As<Napi::String>().Utf8Value();
    std::string name = info[1].As<Napi::String>().Utf8Value();
    auto device_index = static_cast<c10::DeviceIndex>(Int(info, 2));
    auto loader = std::make_shared<Loader>(path, name, /*run_single_threaded=*/false, /*num_runners=*/1, device_index);
    Loaders().push_back(std::move(loader));
    return Napi::Number::New(info.Env(), double(Loaders().size() - 1));
  });
  TORCHTS_DEF("aotiFree", {
    int32_t h = info[0].As<Napi::Number>().Int32Value();
    if (h >= 0 && h < int32_t(Loaders().size())) Loaders()[h].reset();
    return info.Env().Undefined();
  });
  // (h, inputs: H[]) -> H[]
  TORCHTS_DEF("aotiRun", { return RetList(info, LoaderAt(info.Env(), info[0])->run(TensorList(info, 1))); });
  TORCHTS_DEF("aotiMetadata", {
    Napi::Env env = info.Env();
    Napi::Object out = Napi::Object::New(env);
    for (const auto& [k, v] : LoaderAt(env, info[0])->get_metadata()) out.Set(k, v);
    return out;
  });
  TORCHTS_DEF("aotiCallSpec", {
    Napi::Env env = info.Env();
    auto spec = LoaderAt(env, info[0])->get_call_spec();
    Napi::Array out = Napi::Array::New(env, spec.size());
    for (uint32_t k = 0; k < spec.size(); ++k) out.Set(k, spec[k]);
    return out;
  });
}

}  // namespace torchts
