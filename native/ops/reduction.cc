// Reductions. `dims` is an int list or null (all dimensions).
#include <ATen/ATen.h>

#include "args.h"

namespace torchts {

void RegisterReduction(Napi::Env env, Napi::Object exports) {
  // (self, dims | null, keepdim, dtype)
  TORCHTS_DEF("sum", {
    auto dims = OptIntList(info, 1);
    if (!dims) return Ret(info, at::sum(Tns(info, 0), OptDtype(info, 3)));
    return Ret(info, at::sum(Tns(info, 0), *dims, Bool(info, 2), OptDtype(info, 3)));
  });
  TORCHTS_DEF("mean", {
    auto dims = OptIntList(info, 1);
    if (!dims) return Ret(info, at::mean(Tns(info, 0), OptDtype(info, 3)));
    return Ret(info, at::mean(Tns(info, 0), *dims, Bool(info, 2), OptDtype(info, 3)));
  });
  // (self, dim | null, keepdim, dtype)
  TORCHTS_DEF("prod", {
    auto dim = OptInt(info, 1);
    if (!dim) return Ret(info, at::prod(Tns(info, 0), OptDtype(info, 3)));
    return Ret(info, at::prod(Tns(info, 0), *dim, Bool(info, 2), OptDtype(info, 3)));
  });
  // (self) -> the largest element; (self, dim, keepdim) -> [values, indices]
  TORCHTS_DEF("max", { return Ret(info, at::max(Tns(info, 0))); });
  TORCHTS_DEF("min", { return Ret(info, at::min(Tns(info, 0))); });
  TORCHTS_DEF("maxDim", { return RetPair(info, at::max(Tns(info, 0), Int(info, 1), Bool(info, 2))); });
  TORCHTS_DEF("minDim", { return RetPair(info, at::min(Tns(info, 0), Int(info, 1), Bool(info, 2))); });
  // (self, dims, keepdim)
  TORCHTS_DEF("amax", { return Ret(info, at::amax(Tns(info, 0), IntList(info, 1), Bool(info, 2))); });
  TORCHTS_DEF("amin", { return Ret(info, at::amin(Tns(info, 0), IntList(info, 1), Bool(info, 2))); });
  TORCHTS_DEF("logsumexp", { return Ret(info, at::logsumexp(Tns(info, 0), IntList(info, 1), Bool(info, 2))); });
  // (self, dim | null, keepdim)
  TORCHTS_DEF("argmax", { return Ret(info, at::argmax(Tns(info, 0), OptInt(info, 1), Bool(info, 2))); });
  TORCHTS_DEF("argmin", { return Ret(info, at::argmin(Tns(info, 0), OptInt(info, 1), Bool(info, 2))); });
  TORCHTS_DEF("all", {
    auto dim = OptInt(info, 1);
    return Ret(info, dim ? at::all(Tns(info, 0), *dim, Bool(info, 2)) : at::all(Tns(info, 0)));
  });
  TORCHTS_DEF("any", {
    auto dim = OptInt(info, 1);
    return Ret(info, dim ? at::any(Tns(info, 0), *dim, Bool(info, 2)) : at::any(Tns(info, 0)));
  });
  // (self, dims | null, correction, keepdim)
  TORCHTS_DEF("std", {
    auto dims = OptIntList(info, 1);
    return Ret(info, at::std(Tns(info, 0), at::OptionalIntArrayRef(dims), at::Scalar(Dbl(info, 2)), Bool(info, 3)));
  });
  TORCHTS_DEF("var", {
    auto dims = OptIntList(info, 1);
    return Ret(info, at::var(Tns(info, 0), at::OptionalIntArrayRef(dims), at::Scalar(Dbl(info, 2)), Bool(info, 3)));
  });
  // (self, p, dims | null, keepdim)
  TORCHTS_DEF("norm", {
    auto dims = OptIntList(info, 2);
    return Ret(info, at::linalg_vector_norm(Tns(info, 0), Scl(info, 1), at::OptionalIntArrayRef(dims), Bool(info, 3)));
  });
  // (self, k, dim, largest, sorted) -> [values, indices]
  TORCHTS_DEF("topk", {
    return RetPair(info, at::topk(Tns(info, 0), Int(info, 1), Int(info, 2), Bool(info, 3), Bool(info, 4)));
  });
  // (self, dim, descending) -> [values, indices]
  TORCHTS_DEF("sort", { return RetPair(info, at::sort(Tns(info, 0), Int(info, 1), Bool(info, 2))); });
  // (self, dim, dtype)
  TORCHTS_DEF("cumsum", { return Ret(info, at::cumsum(Tns(info, 0), Int(info, 1), OptDtype(info, 2))); });
}

}  // namespace torchts
