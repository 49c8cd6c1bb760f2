// Process-level functions: error class, handle lifetime, memory statistics, versions, seeds.
#include <ATen/ATen.h>
#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <dlfcn.h>
#include <torch/headeronly/version.h>

#include <map>
#include <mutex>
#include <unordered_set>

#include "args.h"
#include "state.h"

namespace torchts {

// One threaded call into MKL's vector math (VML, behind sqrt/exp/log/... of float CPU tensors,
// which ATen runs in 2048-element chunks across the intra-op threads). On the 2-core Xeon VM
// about 1 process in 100 computed one thread's chunk of its first such call (Adam's first
// sqrt) at reduced accuracy, ~3e-4 relative, so that training differed from PyTorch's bit
// for bit (test/parity/resnet.test.ts): 8 of about 1,000 processes. With that first call made
// here, on constant data (no random numbers drawn) and after every thread-count change, none
// of 660 processes showed it.
static void WarmVectorMath() {
  c10::InferenceMode guard;
  at::full({int64_t{4096} * std::max(1, at::get_num_threads())}, 2.0f).sqrt_();
}

static Napi::Value MemoryStats(const Info& info) {
  Napi::Env env = info.Env();
  // Bytes per device count each storage once, however many live tensors view it.
  std::unordered_set<const void*> seen;
  std::map<std::string, double> bytes;
  Table().ForEach([&](const at::Tensor& t) {
    if (!t.has_storage()) return;
    const void* key = t.storage().unsafeGetStorageImpl();
    std::string dev = t.device().str();
    if (seen.insert(key).second)
      bytes[dev] += static_cast<double>(t.storage().nbytes());
    else
      bytes.try_emplace(dev, 0.0);
  });
  Napi::Object out = Napi::Object::New(env);
  out.Set("liveTensors", Napi::Number::New(env, static_cast<double>(Table().live())));
  Napi::Object per = Napi::Object::New(env);
  for (auto& [dev, b] : bytes) per.Set(dev, Napi::Number::New(env, b));
  out.Set("bytes", per);
  return out;
}

static Napi::Value LibtorchPath(const Info& info) {
  // The file the running libtorch_cpu was loaded from, so the loader can read its version.
  Dl_info dl{};
  if (dladdr(reinterpret_cast<void*>(&at::globalContext), &dl) == 0 || !dl.dli_fname) return info.Env().Null();
  return Napi::String::New(info.Env(), dl.dli_fname);
}

void RegisterRuntime(Napi::Env env, Napi::Object exports) {
  WarmVectorMath();
  exports.Set("torchVersion", Napi::String::New(env, TORCH_VERSION));
#ifdef TORCHTS_CUDA
  exports.Set("builtWithCuda", Napi::Boolean::New(env, true));
#else
  exports.Set("builtWithCuda", Napi::Boolean::New(env, false));
#endif
  TORCHTS_DEF("setErrorClass", {
    SetErrorClass(info.Env(), info[0].As<Napi::Function>());
    return info.Env().Undefined();
  });
  TORCHTS_DEF("free", {
    Table().Release(info.Env(), info[0].As<Napi::Number>().Int32Value());
    return info.Env().Undefined();
  });
  TORCHTS_DEF("liveCount", { return Napi::Number::New(info.Env(), double(Table().live())); });
  // ([tensor, handle, scope, tensor, handle, scope, ...]) -> whether a sweep is due: weak
  // references from the slots to the JS Tensor objects that own them, and scope membership
  // (TensorTable::Watch).
  TORCHTS_DEF("watch", {
    Napi::Env env = info.Env();
    Napi::Array items = info[0].As<Napi::Array>();
    uint32_t n = items.Length();
    bool due = false;
    for (uint32_t k = 0; k + 2 < n; k += 3) {
      due = Table().Watch(env, items.Get(k + 1).As<Napi::Number>().Int32Value(), items.Get(k),
                          items.Get(k + 2).As<Napi::Number>().Int32Value());
    }
    return Napi::Boolean::New(env, due);
  });
  // (full) -> how many slots whose owning JS object was collected it freed (TensorTable::Sweep).
  TORCHTS_DEF("sweep", { return Napi::Number::New(info.Env(), Table().Sweep(info.Env(), Bool(info, 0))); });
  TORCHTS_DEF("fullSweepDue", { return Napi::Boolean::New(info.Env(), Table().FullSweepDue()); });
  // (handles[], kept): takes the slots out of their scopes.
  TORCHTS_DEF("unscope", {
    Napi::Array hs = info[0].As<Napi::Array>();
    bool kept = Bool(info, 1);
    for (uint32_t k = 0; k < hs.Length(); ++k) Table().Unscope(hs.Get(k).As<Napi::Number>().Int32Value(), kept);
    return info.Env().Undefined();
  });
  // (Int32Array of length >= 1): where Add flags new tensor data for JS (SetPressureFlag). The
  // typed array is held by a reference for the life of the environment, so its memory stays put.
  TORCHTS_DEF("setPressureFlag", {
    Napi::Reference<Napi::Int32Array>& held = State().pressure_flag;
    Napi::Int32Array flag = info[0].As<Napi::Int32Array>();
    if (flag.ElementLength() < 1)
      NAPI_THROW(Napi::TypeError::New(info.Env(), "an Int32Array of length 1"), info.Env().Undefined());
    held = Napi::Persistent(flag);
    Table().SetPressureFlag(flag.Data());
    return info.Env().Undefined();
  });
  TORCHTS_DEF("openScope", { return Napi::Number::New(info.Env(), Table().OpenScope()); });
  // (scope, parent, returned[], stored[]) -> the JS objects of the tensors it freed.
  TORCHTS_DEF("closeScope", {
    Napi::Env env = info.Env();
    auto ints = [&](size_t i) {
      std::vector<int32_t> out;
      if (IsNil(info, i)) return out;
      Napi::Array a = info[i].As<Napi::Array>();
      out.reserve(a.Length());
      for (uint32_t k = 0; k < a.Length(); ++k) out.push_back(a.Get(k).As<Napi::Number>().Int32Value());
      return out;
    };
    std::vector<napi_value> freed;
    Table().CloseScope(env, info[0].As<Napi::Number>().Int32Value(), info[1].As<Napi::Number>().Int32Value(), ints(2),
                       ints(3), freed);
    Napi::Array out = Napi::Array::New(env, freed.size());
    for (uint32_t k = 0; k < freed.size(); ++k) out.Set(k, Napi::Value(env, freed[k]));
    return out;
  });
  TORCHTS_DEF("watchedCount", { return Napi::Number::New(info.Env(), double(Table().watched())); });
  Def<MemoryStats>(env, exports, "memoryStats");
  Def<LibtorchPath>(env, exports, "libtorchPath");
  TORCHTS_DEF("cudaIsAvailable", { return Napi::Boolean::New(info.Env(), at::hasCUDA()); });
  TORCHTS_DEF("cudaDeviceCount",
              { return Napi::Number::New(info.Env(), at::hasCUDA() ? at::detail::getCUDAHooks().deviceCount() : 0); });
  // CUDA runtime and cuDNN versions (0 when CUDA is not available), for `torchts info`.
  TORCHTS_DEF("cudaVersions", {
    Napi::Object out = Napi::Object::New(info.Env());
    bool cuda = at::hasCUDA();
    const auto& hooks = at::detail::getCUDAHooks();
    out.Set("cuda", Napi::Number::New(info.Env(), cuda ? double(hooks.versionCUDART()) : 0));
    out.Set("cudnn", Napi::Number::New(info.Env(), cuda && hooks.hasCuDNN() ? double(hooks.versionCuDNN()) : 0));
    return out;
  });
  TORCHTS_DEF("manualSeed", {
    uint64_t seed = static_cast<uint64_t>(Int(info, 0));
    at::manual_seed(seed);
    return info.Env().Undefined();
  });
  // (seed, deviceIndex | -1 for all): seeds the CUDA generators (torch.cuda.manual_seed[_all]).
  TORCHTS_DEF("cudaManualSeed", {
    uint64_t seed = static_cast<uint64_t>(Int(info, 0));
    int64_t which = Int(info, 1);
    int n = at::hasCUDA() ? at::detail::getCUDAHooks().deviceCount() : 0;
    TORCH_CHECK(which < n, "invalid CUDA device index ", which, " (", n, " devices)");
    for (int i = 0; i < n; ++i) {
      if (which >= 0 && i != which) continue;
      auto gen = at::globalContext().defaultGenerator(at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(i)));
      std::lock_guard<std::mutex> lock(gen.mutex());
      gen.set_current_seed(seed);
    }
    return info.Env().Undefined();
  });
  // torch.backends switches: (name) -> bool, (name, value) sets it.
  TORCHTS_DEF("backendFlag", {
    std::string name = info[0].As<Napi::String>().Utf8Value();
    auto& ctx = at::globalContext();
    bool set = info.Length() > 1;
    if (name == "cudnn.benchmark") {
      if (set) ctx.setBenchmarkCuDNN(Bool(info, 1));
      return Napi::Boolean::New(info.Env(), ctx.benchmarkCuDNN());
    }
    if (name == "cudnn.deterministic") {
      if (set) ctx.setDeterministicCuDNN(Bool(info, 1));
      return Napi::Boolean::New(info.Env(), ctx.deterministicCuDNN());
    }
    if (name == "cudnn.enabled") {
      if (set) ctx.setUserEnabledCuDNN(Bool(info, 1));
      return Napi::Boolean::New(info.Env(), ctx.userEnabledCuDNN());
    }
    if (name == "cudnn.allowTF32") {
      if (set) ctx.setAllowTF32CuDNN(Bool(info, 1));
      return Napi::Boolean::New(info.Env(), ctx.allowTF32CuDNN());
    }
    if (name == "cuda.matmul.allowTF32") {
      if (set) ctx.setAllowTF32CuBLAS(Bool(info, 1));
      return Napi::Boolean::New(info.Env(), ctx.allowTF32CuBLAS());
    }
    TORCH_CHECK(false, "unknown backend flag '", name, "'");
  });
  TORCHTS_DEF("initialSeed",
              { return Napi::Number::New(info.Env(), double(at::detail::getDefaultCPUGenerator().current_seed())); });
  TORCHTS_DEF("setNumThreads", {
    at::set_num_threads(static_cast<int>(Int(info, 0)));
    WarmVectorMath();
    return info.Env().Undefined();
  });
  TORCHTS_DEF("getNumThreads", { return Napi::Number::New(info.Env(), at::get_num_threads()); });
}

}  // namespace torchts
