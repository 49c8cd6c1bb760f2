// Tensor creation. Options arrive as (dtype code | -1, device string | null) pairs.
#include <ATen/ATen.h>

#include "args.h"

namespace torchts {

void RegisterCreation(Napi::Env env, Napi::Object exports) {
  // (shape, dtype, device)
  TORCHTS_DEF("zeros", { return Ret(info, at::zeros(IntList(info, 0), Options(info, 1))); });
  TORCHTS_DEF("ones", { return Ret(info, at::ones(IntList(info, 0), Options(info, 1))); });
  TORCHTS_DEF("empty", { return Ret(info, at::empty(IntList(info, 0), Options(info, 1))); });
  TORCHTS_DEF("rand", { return Ret(info, at::rand(IntList(info, 0), Options(info, 1))); });
  TORCHTS_DEF("randn", { return Ret(info, at::randn(IntList(info, 0), Options(info, 1))); });
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
  TORCHTS_DEF("linspace", { return Ret(info, at::linspace(Scl(info, 0), Scl(info, 1), Int(info, 2), Options(info, 3))); });
  // (n, m, dtype, device)
  TORCHTS_DEF("eye", { return Ret(info, at::eye(Int(info, 0), Int(info, 1), Options(info, 2))); });
  // (self, mean, std) / (self, from, to): in-place random fills used by nn.init.
  TORCHTS_DEF("normal_", { Tns(info, 0).normal_(Dbl(info, 1), Dbl(info, 2)); return Self(info); });
  TORCHTS_DEF("uniform_", { Tns(info, 0).uniform_(Dbl(info, 1), Dbl(info, 2)); return Self(info); });
  TORCHTS_DEF("bernoulli_", { Tns(info, 0).bernoulli_(Dbl(info, 1)); return Self(info); });
  TORCHTS_DEF("fill_", { Tns(info, 0).fill_(Scl(info, 1)); return Self(info); });
  TORCHTS_DEF("zero_", { Tns(info, 0).zero_(); return Self(info); });
}

}  // namespace torchts
