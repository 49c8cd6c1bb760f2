// Tensor creation. Options arrive as (dtype code | -1, device string | null) pairs.
#include <ATen/ATen.h>

#include <ATen/CPUGeneratorImpl.h>

#include "args.h"
#include "state.h"

namespace torchts {

// Generators (torch.Generator) live in their own table; JS holds their indices.
static std::vector<at::Generator>& Generators() { return State().generators; }
static at::Generator& Gen(const Info& info, size_t i) {
  int64_t h = Int(info, i);
  TORCH_CHECK(h >= 0 && h < int64_t(Generators().size()), "invalid generator handle ", h);
  return Generators()[h];
}
static std::optional<at::Generator> OptGen(const Info& info, size_t i) {
  if (IsNil(info, i) || Int(info, i) < 0) return std::nullopt;
  return Gen(info, i);
}

const at::Generator& GeneratorAt(Napi::Env env, int64_t h) {
  if (h < 0 || h >= int64_t(Generators().size()))
    ThrowTorchError(env, "Generator handle " + std::to_string(h) + " does not name a torch.Generator");
  return Generators()[h];
}

// A generator seed: a number, or a BigInt for the full 64 bits (PyTorch's seeds are uint64).
static uint64_t Seed(const Info& info, size_t i) {
  if (info[i].IsBigInt()) {
    bool lossless = false;
    uint64_t v = info[i].As<Napi::BigInt>().Uint64Value(&lossless);
    TORCH_CHECK(lossless, "a generator seed must be in [0, 2**64)");
    return v;
  }
  return static_cast<uint64_t>(Int(info, i));
}

void RegisterCreation(Napi::Env env, Napi::Object exports) {
  // (shape, dtype, device)
  TORCHTS_DEF("zeros", { return Ret(info, at::zeros(IntList(info, 0), Options(info, 1))); });
  TORCHTS_DEF("ones", { return Ret(info, at::ones(IntList(info, 0), Options(info, 1))); });
  TORCHTS_DEF("empty", { return Ret(info, at::empty(IntList(info, 0), Options(info, 1))); });
  TORCHTS_DEF("rand", { return Ret(info, at::rand(IntList(info, 0), Options(info, 1))); });
  TORCHTS_DEF("randn", { return Ret(info, at::randn(IntList(info, 0), Options(info, 1))); });
  // CPU generators: new(seed) -> handle; state as a uint8 tensor, for checkpoints.
  TORCHTS_DEF("generatorNew", {
    Generators().push_back(at::make_generator<at::CPUGeneratorImpl>(Seed(info, 0)));
    return Napi::Number::New(info.Env(), double(Generators().size() - 1));
  });
  TORCHTS_DEF("generatorSeed", {
    at::Generator& g = Gen(info, 0);
    std::lock_guard<std::mutex> lock(g.mutex());
    g.set_current_seed(Seed(info, 1));
    return info.Env().Undefined();
  });
  TORCHTS_DEF("generatorGetState", {
    at::Generator& g = Gen(info, 0);
    std::lock_guard<std::mutex> lock(g.mutex());
    return Ret(info, g.get_state());
  });
  TORCHTS_DEF("generatorSetState", {
    at::Generator& g = Gen(info, 0);
    std::lock_guard<std::mutex> lock(g.mutex());
    g.set_state(Tns(info, 1));
    return info.Env().Undefined();
  });
  // The default CPU generator's state (torch.get_rng_state / set_rng_state).
  TORCHTS_DEF("getRngState", {
    auto g = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(g.mutex());
    return Ret(info, g.get_state());
  });
  TORCHTS_DEF("setRngState", {
    auto g = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(g.mutex());
    g.set_state(Tns(info, 0));
    return info.Env().Undefined();
  });
  // (n, generator | -1): a random permutation of 0..n-1, as torch.randperm.
  TORCHTS_DEF("randperm",
              { return Ret(info, at::randperm(Int(info, 0), OptGen(info, 1), at::TensorOptions().dtype(at::kLong))); });
  // (shape, value, dtype, device)
  TORCHTS_DEF("full", { return Ret(info, at::full(IntList(info, 0), Scl(info, 1), Options(info, 2))); });
  // (low, high, shape, dtype, device)
  TORCHTS_DEF("randint", {
    at::TensorOptions o = Options(info, 3);
    if (!o.has_dtype()) o = o.dtype(at::kLong);
    return Ret(info, at::randint(Int(info, 0), Int(info, 1), IntList(info, 2), o));
  });
  // (start, end, step, dtype, device)
  TORCHTS_DEF("arange", { return Ret(info, at::arange(Scl(info, 0), Scl(info, 1), Scl(info, 2), Options(info, 3))); });
  // (start, end, steps, dtype, device)
  TORCHTS_DEF("linspace",
              { return Ret(info, at::linspace(Scl(info, 0), Scl(info, 1), Int(info, 2), Options(info, 3))); });
  // (n, m, dtype, device)
  TORCHTS_DEF("eye", { return Ret(info, at::eye(Int(info, 0), Int(info, 1), Options(info, 2))); });
  // (self, mean, std) / (self, from, to): in-place random fills used by nn.init.
  TORCHTS_DEF("normal_", {
    Tns(info, 0).normal_(Dbl(info, 1), Dbl(info, 2));
    return Self(info);
  });
  TORCHTS_DEF("uniform_", {
    Tns(info, 0).uniform_(Dbl(info, 1), Dbl(info, 2));
    return Self(info);
  });
  TORCHTS_DEF("bernoulli_", {
    Tns(info, 0).bernoulli_(Dbl(info, 1));
    return Self(info);
  });
  TORCHTS_DEF("fill_", {
    Tns(info, 0).fill_(Scl(info, 1));
    return Self(info);
  });
  TORCHTS_DEF("zero_", {
    Tns(info, 0).zero_();
    return Self(info);
  });
}

}  // namespace torchts
