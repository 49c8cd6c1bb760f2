// Decoding of JS arguments for native ops. The TypeScript layer validates arguments before
// crossing, so these only convert; a wrong JS type still fails with a JS exception from
// node-addon-api instead of undefined behaviour.
#pragma once
#include <ATen/ATen.h>
#include <napi.h>

#include <optional>
#include <string>
#include <vector>

#include "errors.h"
#include "tensor_table.h"

namespace torchts {

using Info = Napi::CallbackInfo;

inline const at::Tensor& Tns(const Info& info, size_t i) {
  return Table().Get(info.Env(), info[i].As<Napi::Number>().Int32Value());
}
inline int64_t Int(const Info& info, size_t i) { return info[i].As<Napi::Number>().Int64Value(); }
inline double Dbl(const Info& info, size_t i) { return info[i].As<Napi::Number>().DoubleValue(); }
inline bool Bool(const Info& info, size_t i) { return info[i].As<Napi::Boolean>().Value(); }
inline bool IsNil(const Info& info, size_t i) {
  return i >= info.Length() || info[i].IsNull() || info[i].IsUndefined();
}
inline std::optional<int64_t> OptInt(const Info& info, size_t i) {
  if (IsNil(info, i)) return std::nullopt;
  return Int(info, i);
}
inline std::optional<double> OptDbl(const Info& info, size_t i) {
  if (IsNil(info, i)) return std::nullopt;
  return Dbl(info, i);
}

// A JS number as a Scalar: integral values stay integral (so `intTensor.add(2)` stays an
// integer tensor, as `t + 2` does in Python), others are doubles. Booleans are bools.
inline at::Scalar ToScalar(const Napi::Value& v) {
  if (v.IsBoolean()) return at::Scalar(v.As<Napi::Boolean>().Value());
  double d = v.As<Napi::Number>().DoubleValue();
  if (std::isfinite(d) && d == std::trunc(d) && std::abs(d) < 9007199254740992.0)
    return at::Scalar(static_cast<int64_t>(d));
  return at::Scalar(d);
}
inline at::Scalar Scl(const Info& info, size_t i) { return ToScalar(info[i]); }
inline std::optional<at::Scalar> OptScl(const Info& info, size_t i) {
  if (IsNil(info, i)) return std::nullopt;
  return Scl(info, i);
}

inline std::vector<int64_t> IntList(const Info& info, size_t i) {
  Napi::Array a = info[i].As<Napi::Array>();
  uint32_t n = a.Length();
  std::vector<int64_t> out(n);
  for (uint32_t k = 0; k < n; ++k) out[k] = a.Get(k).As<Napi::Number>().Int64Value();
  return out;
}
inline std::optional<std::vector<int64_t>> OptIntList(const Info& info, size_t i) {
  if (IsNil(info, i)) return std::nullopt;
  return IntList(info, i);
}
inline std::vector<at::Tensor> TensorList(const Info& info, size_t i) {
  Napi::Array a = info[i].As<Napi::Array>();
  uint32_t n = a.Length();
  std::vector<at::Tensor> out;
  out.reserve(n);
  for (uint32_t k = 0; k < n; ++k) out.push_back(Table().Get(info.Env(), a.Get(k).As<Napi::Number>().Int32Value()));
  return out;
}

// dtypes cross as at::ScalarType codes; -1 / null means "not given".
inline std::optional<at::ScalarType> OptDtype(const Info& info, size_t i) {
  if (IsNil(info, i)) return std::nullopt;
  int32_t code = info[i].As<Napi::Number>().Int32Value();
  if (code < 0) return std::nullopt;
  return static_cast<at::ScalarType>(code);
}
// Devices cross as strings ('cpu', 'cuda', 'cuda:1'); c10::Device validates them.
inline std::optional<at::Device> OptDevice(const Info& info, size_t i) {
  if (IsNil(info, i)) return std::nullopt;
  return at::Device(info[i].As<Napi::String>().Utf8Value());
}
// Creation options: (dtype, device) at positions i, i+1.
inline at::TensorOptions Options(const Info& info, size_t i) {
  at::TensorOptions o;
  if (auto d = OptDtype(info, i)) o = o.dtype(*d);
  if (auto dev = OptDevice(info, i + 1)) o = o.device(*dev);
  return o;
}

inline Napi::Value Ret(const Info& info, at::Tensor t) {
  return Napi::Number::New(info.Env(), Table().Add(info.Env(), std::move(t)));
}
inline Napi::Value RetList(const Info& info, const std::vector<at::Tensor>& ts) {
  Napi::Env env = info.Env();
  Napi::Array out = Napi::Array::New(env, ts.size());
  for (uint32_t k = 0; k < ts.size(); ++k) out.Set(k, Napi::Number::New(env, Table().Add(env, ts[k])));
  return out;
}
inline Napi::Value RetPair(const Info& info, std::tuple<at::Tensor, at::Tensor> p) {
  return RetList(info, {std::get<0>(p), std::get<1>(p)});
}
// Returns the input's own handle when libtorch handed back the same tensor (`to` with
// nothing to change, `contiguous` on a contiguous tensor), so JS can return `this`.
inline Napi::Value RetOrSelf(const Info& info, const at::Tensor& self, at::Tensor r) {
  if (r.is_same(self)) return info[0];
  return Ret(info, std::move(r));
}
// In-place ops return their first argument's handle unchanged: no new table entry.
inline Napi::Value Self(const Info& info) { return info[0]; }

using NativeFn = Napi::Value (*)(const Napi::CallbackInfo&);

// The torch.Generator behind a JS generator handle (native/ops/creation.cc's table).
const at::Generator& GeneratorAt(Napi::Env env, int64_t handle);

}  // namespace torchts

// Defines and registers a native function from an expression over `info` in one place.
// Variadic so that commas in the body need no extra parentheses.
#define TORCHTS_DEF(name, ...) \
  ::torchts::DefLambda(env, exports, name, [](const ::torchts::Info& info) -> Napi::Value __VA_ARGS__)
