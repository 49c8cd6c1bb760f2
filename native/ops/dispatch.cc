// The generic op: any operator libtorch's dispatcher knows, called boxed by name.
//
//   opResolve(name, overload, expectedTypes) -> id   once per op (the JS side keeps the id)
//   opCall(id | wrappedMask << 16, ...args)  -> result
//
// Arguments arrive in schema order, already chosen and validated by the TypeScript layer
// (lib/torch/dispatch.ts, from the signatures scripts/gen_ops.py generates), in their plain JS
// forms: tensors as table handles, dtypes/layouts/memory formats as their enum codes, devices
// as strings, lists as arrays; `undefined` takes the schema's default, `null` is None. They
// are converted into IValues by the schema's type, checked on the way (a wrong JS type is a
// TypeError naming the argument and its schema type, never undefined behaviour), and the op
// is called through the dispatcher, so autograd, autocast and CUDA apply as for any call.
//
// Bit k of wrappedMask marks Tensor argument k as a JS number or boolean to be passed as a
// "wrapped number" tensor, as Python passes `t + 2` to add.Tensor (python_arg_parser).
//
// Results: a tensor is a new table handle, -1 for an undefined tensor, or -(k + 2) when it is
// the very tensor passed as argument k (in-place ops, out=, ops returning self), so that JS
// returns the object it passed instead of a new one. Several results come back as an array.
#include <ATen/ATen.h>
#include <ATen/ScalarOps.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/stack.h>
#include <torch/version.h>

#include <cmath>
#include <string>
#include <vector>

#include "args.h"
#include "state.h"

namespace torchts {

namespace {

enum class Kind : uint8_t {
  Tensor,
  Int,
  Float,
  Bool,
  Scalar,
  Str,
  Device,
  Generator,
  ScalarType,
  Layout,
  MemoryFormat,
  Unsupported,
};

struct ArgSpec {
  Kind kind = Kind::Unsupported;
  bool optional = false;       // T?   (None allowed)
  bool list = false;           // T[]
  bool elem_optional = false;  // T?[] (Tensor?[] for index)
  int64_t fixed = 0;           // int[2]: a single int is repeated
  std::string name;
  std::string type;  // as the schema spells it, for messages
  std::optional<c10::IValue> def;
};

struct OpEntry {
  c10::OperatorHandle op;
  std::vector<ArgSpec> args;
  std::vector<int> tensor_args;  // positions of Tensor arguments, for the same-tensor check
  size_t returns = 0;
  std::string schema;
};

}  // namespace

// This environment's resolved ops, and one stack reused across calls (no JS runs inside an op,
// so calls never nest).
struct DispatchState {
  std::vector<OpEntry> ops;
  torch::jit::Stack stack;
};

namespace {

DispatchState& Dispatch() {
  AddonState& s = State();
  if (!s.dispatch) [[unlikely]]
    s.dispatch = std::make_shared<DispatchState>();
  return *s.dispatch;
}

std::vector<OpEntry>& Ops() { return Dispatch().ops; }

// Classifies one schema type (the "real" type: ScalarType rather than int).
bool Classify(const c10::TypePtr& t, ArgSpec& a) {
  using K = c10::TypeKind;
  switch (t->kind()) {
    case K::TensorType:
      a.kind = Kind::Tensor;
      return true;
    case K::IntType:
    case K::SymIntType:
      a.kind = Kind::Int;
      return true;
    case K::FloatType:
    case K::SymFloatType:
      a.kind = Kind::Float;
      return true;
    case K::BoolType:
    case K::SymBoolType:
      a.kind = Kind::Bool;
      return true;
    case K::NumberType:
      a.kind = Kind::Scalar;
      return true;
    case K::StringType:
      a.kind = Kind::Str;
      return true;
    case K::DeviceObjType:
      a.kind = Kind::Device;
      return true;
    case K::GeneratorType:
      a.kind = Kind::Generator;
      return true;
    case K::ScalarTypeType:
      a.kind = Kind::ScalarType;
      return true;
    case K::LayoutType:
      a.kind = Kind::Layout;
      return true;
    case K::MemoryFormatType:
      a.kind = Kind::MemoryFormat;
      return true;
    default:
      a.kind = Kind::Unsupported;
      return false;
  }
}

ArgSpec MakeSpec(const c10::Argument& arg) {
  ArgSpec a;
  a.name = arg.name();
  a.type = arg.real_type()->annotation_str();
  a.def = arg.default_value();
  c10::TypePtr t = arg.real_type();
  if (t->kind() == c10::TypeKind::OptionalType) {
    a.optional = true;
    t = t->castRaw<c10::OptionalType>()->getElementType();
  }
  if (t->kind() == c10::TypeKind::ListType) {
    a.list = true;
    a.fixed = arg.N().value_or(0);
    t = t->castRaw<c10::ListType>()->getElementType();
    if (t->kind() == c10::TypeKind::OptionalType) {
      a.elem_optional = true;
      t = t->castRaw<c10::OptionalType>()->getElementType();
    }
  }
  Classify(t, a);
  return a;
}

const char* JsTypeName(napi_env env, napi_value v) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  switch (t) {
    case napi_undefined:
      return "undefined";
    case napi_null:
      return "null";
    case napi_boolean:
      return "a boolean";
    case napi_number:
      return "a number";
    case napi_string:
      return "a string";
    case napi_object: {
      bool arr = false;
      napi_is_array(env, v, &arr);
      return arr ? "an array" : "an object";
    }
    default:
      return "a value of another kind";
  }
}

[[noreturn]] void BadArg(napi_env env, const OpEntry& e, const ArgSpec& a, napi_value v, const char* detail = nullptr) {
  std::string msg = "Expected " + a.type + " for argument '" + a.name + "' of aten::" + e.schema + " but received " +
                    (detail ? std::string(detail) : std::string(JsTypeName(env, v)));
  throw Napi::TypeError::New(env, msg);
}

napi_valuetype TypeOf(napi_env env, napi_value v) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  return t;
}

double Number(napi_env env, napi_value v) {
  double d;
  napi_get_value_double(env, v, &d);
  return d;
}

int64_t IntOf(napi_env env, const OpEntry& e, const ArgSpec& a, napi_value v) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) BadArg(env, e, a, v);
  if (!std::isfinite(d) || d != std::trunc(d) || std::abs(d) > 9007199254740991.0)
    BadArg(env, e, a, v, ("the number " + std::to_string(d)).c_str());
  return static_cast<int64_t>(d);
}

at::Scalar ScalarOf(napi_env env, const OpEntry& e, const ArgSpec& a, napi_value v) {
  double d;
  if (napi_get_value_double(env, v, &d) == napi_ok) {
    // Integral values stay integral, as args.h's ToScalar keeps them.
    if (std::isfinite(d) && d == std::trunc(d) && std::abs(d) < 9007199254740992.0)
      return at::Scalar(static_cast<int64_t>(d));
    return at::Scalar(d);
  }
  bool b;
  if (napi_get_value_bool(env, v, &b) == napi_ok) return at::Scalar(b);
  BadArg(env, e, a, v);
}

const at::Tensor& TensorOf(napi_env env, const OpEntry& e, const ArgSpec& a, napi_value v) {
  // One N-API call on the hot path: reading a non-number fails with a status instead.
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) BadArg(env, e, a, v);
  if (!(d >= 0 && d < 2147483647.0) || d != std::trunc(d)) BadArg(env, e, a, v, "a number that is no tensor handle");
  return Table().Get(env, static_cast<int32_t>(d));
}

// One element (or the whole value, for non-lists) of kind a.kind.
c10::IValue Element(napi_env env, const OpEntry& e, const ArgSpec& a, napi_value v, bool wrapped) {
  switch (a.kind) {
    case Kind::Tensor:
      if (wrapped) return at::native::wrapped_scalar_tensor(ScalarOf(env, e, a, v));
      return TensorOf(env, e, a, v);
    case Kind::Int:
      return IntOf(env, e, a, v);
    case Kind::Float:
      if (TypeOf(env, v) != napi_number) BadArg(env, e, a, v);
      return Number(env, v);
    case Kind::Bool: {
      if (TypeOf(env, v) != napi_boolean) BadArg(env, e, a, v);
      bool b;
      napi_get_value_bool(env, v, &b);
      return b;
    }
    case Kind::Scalar:
      return ScalarOf(env, e, a, v);
    case Kind::Str:
      if (TypeOf(env, v) != napi_string) BadArg(env, e, a, v);
      return Napi::Value(env, v).As<Napi::String>().Utf8Value();
    case Kind::Device:
      if (TypeOf(env, v) != napi_string) BadArg(env, e, a, v);
      return c10::Device(Napi::Value(env, v).As<Napi::String>().Utf8Value());
    case Kind::Generator:
      return GeneratorAt(env, IntOf(env, e, a, v));
    case Kind::ScalarType: {
      int64_t code = IntOf(env, e, a, v);
      if (code < 0 || code >= static_cast<int64_t>(at::ScalarType::NumOptions))
        BadArg(env, e, a, v, ("dtype code " + std::to_string(code)).c_str());
      return static_cast<at::ScalarType>(code);
    }
    case Kind::Layout: {
      int64_t code = IntOf(env, e, a, v);
      if (code < 0 || code >= static_cast<int64_t>(at::Layout::NumOptions))
        BadArg(env, e, a, v, ("layout code " + std::to_string(code)).c_str());
      return static_cast<at::Layout>(code);
    }
    case Kind::MemoryFormat: {
      int64_t code = IntOf(env, e, a, v);
      if (code < 0 || code >= static_cast<int64_t>(at::MemoryFormat::NumOptions))
        BadArg(env, e, a, v, ("memory format code " + std::to_string(code)).c_str());
      return static_cast<at::MemoryFormat>(code);
    }
    case Kind::Unsupported:
      break;
  }
  BadArg(env, e, a, v, "a value (torchts cannot pass this schema type)");
}

bool IsNullish(napi_valuetype t) { return t == napi_undefined || t == napi_null; }

template <typename T, typename Get>
c10::IValue ListOf(napi_env env, const OpEntry& e, const ArgSpec& a, napi_value v, Get get) {
  uint32_t n = 0;
  napi_get_array_length(env, v, &n);
  c10::List<T> out;
  out.reserve(n);
  for (uint32_t k = 0; k < n; ++k) {
    napi_value item;
    napi_get_element(env, v, k, &item);
    out.push_back(get(item));
  }
  return out;
}

c10::IValue ToIValue(napi_env env, const OpEntry& e, const ArgSpec& a, napi_value v, bool wrapped) {
  if (a.kind == Kind::Tensor && !a.list && !wrapped) {
    // The hot case first: a tensor handle, read without asking its JS type.
    double d;
    if (napi_get_value_double(env, v, &d) == napi_ok) {
      if (!(d >= 0 && d < 2147483647.0) || d != std::trunc(d))
        BadArg(env, e, a, v, "a number that is no tensor handle");
      return Table().Get(env, static_cast<int32_t>(d));
    }
  }
  napi_valuetype t = TypeOf(env, v);
  if (t == napi_undefined) {
    if (a.def) return *a.def;
    if (a.optional) return c10::IValue();
    BadArg(env, e, a, v, "nothing (the argument is required)");
  }
  if (t == napi_null) {
    if (a.optional) return c10::IValue();
    BadArg(env, e, a, v);
  }
  if (!a.list) return Element(env, e, a, v, wrapped);
  bool is_array = false;
  napi_is_array(env, v, &is_array);
  if (!is_array) {
    // int[2] stride=1: a single int stands for the whole list, as in Python.
    if (a.fixed > 0 && a.kind == Kind::Int) return c10::IValue(std::vector<int64_t>(a.fixed, IntOf(env, e, a, v)));
    BadArg(env, e, a, v);
  }
  switch (a.kind) {
    case Kind::Int:
      return ListOf<int64_t>(env, e, a, v, [&](napi_value x) { return IntOf(env, e, a, x); });
    case Kind::Float:
      return ListOf<double>(env, e, a, v, [&](napi_value x) {
        if (TypeOf(env, x) != napi_number) BadArg(env, e, a, x);
        return Number(env, x);
      });
    case Kind::Bool:
      return ListOf<bool>(env, e, a, v, [&](napi_value x) {
        if (TypeOf(env, x) != napi_boolean) BadArg(env, e, a, x);
        bool b;
        napi_get_value_bool(env, x, &b);
        return b;
      });
    case Kind::Scalar:
      return ListOf<at::Scalar>(env, e, a, v, [&](napi_value x) { return ScalarOf(env, e, a, x); });
    case Kind::Tensor:
      if (a.elem_optional) {
        return ListOf<std::optional<at::Tensor>>(env, e, a, v, [&](napi_value x) -> std::optional<at::Tensor> {
          if (IsNullish(TypeOf(env, x))) return std::nullopt;
          return TensorOf(env, e, a, x);
        });
      }
      return ListOf<at::Tensor>(env, e, a, v, [&](napi_value x) { return TensorOf(env, e, a, x); });
    case Kind::Str:
      return ListOf<std::string>(env, e, a, v, [&](napi_value x) {
        if (TypeOf(env, x) != napi_string) BadArg(env, e, a, x);
        return Napi::Value(env, x).As<Napi::String>().Utf8Value();
      });
    default:
      BadArg(env, e, a, v, "a list (torchts cannot pass this schema type)");
  }
}

struct Inputs {
  static constexpr int kMax = 16;
  std::pair<int, const c10::TensorImpl*> at[kMax];
  int n = 0;
};

// A result back into JS. `inputs` are the TensorImpls of the tensor arguments, by position.
napi_value FromIValue(Napi::Env env, const OpEntry& e, c10::IValue&& v, const Inputs& inputs) {
  if (v.isTensor()) {
    at::Tensor t = std::move(v).toTensor();
    if (!t.defined()) return Napi::Number::New(env, -1);
    const c10::TensorImpl* impl = t.unsafeGetTensorImpl();
    for (int k = 0; k < inputs.n; ++k)
      if (inputs.at[k].second == impl) return Napi::Number::New(env, -(inputs.at[k].first + 2));
    return Napi::Number::New(env, Table().Add(env, std::move(t)));
  }
  if (v.isNone()) return env.Null();
  if (v.isBool()) return Napi::Boolean::New(env, v.toBool());
  if (v.isInt()) return Napi::Number::New(env, static_cast<double>(v.toInt()));
  if (v.isSymInt()) return Napi::Number::New(env, static_cast<double>(v.toSymInt().guard_int(__FILE__, __LINE__)));
  if (v.isDouble()) return Napi::Number::New(env, v.toDouble());
  if (v.isString()) return Napi::String::New(env, v.toStringRef());
  if (v.isDevice()) return Napi::String::New(env, v.toDevice().str());
  if (v.isScalar()) {
    at::Scalar s = v.toScalar();
    if (s.isBoolean()) return Napi::Boolean::New(env, s.toBool());
    if (s.isIntegral(false)) return Napi::Number::New(env, static_cast<double>(s.toLong()));
    if (s.isFloatingPoint()) return Napi::Number::New(env, s.toDouble());
  }
  if (v.isTensorList()) {
    auto list = std::move(v).toTensorList();
    Napi::Array out = Napi::Array::New(env, list.size());
    for (size_t k = 0; k < list.size(); ++k) out.Set(k, FromIValue(env, e, c10::IValue(list.get(k)), inputs));
    return out;
  }
  if (v.isList()) {
    auto list = std::move(v).toList();
    Napi::Array out = Napi::Array::New(env, list.size());
    for (size_t k = 0; k < list.size(); ++k) out.Set(k, FromIValue(env, e, c10::IValue(list.get(k)), inputs));
    return out;
  }
  if (v.isTuple()) {
    auto tuple = std::move(v).toTuple();
    const auto& elems = tuple->elements();
    Napi::Array out = Napi::Array::New(env, elems.size());
    for (size_t k = 0; k < elems.size(); ++k) out.Set(k, FromIValue(env, e, c10::IValue(elems[k]), inputs));
    return out;
  }
  ThrowTorchError(env, "aten::" + e.schema + " returned a " + v.tagKind() + ", which torchts cannot pass to JS");
}

// (qualified name 'aten::add', overload 'Tensor' or '') -> op id. The TypeScript layer then
// reads the schema's argument names (opArgs) and places its arguments by name, so a libtorch
// whose schema orders or extends them differently is still called correctly.
Napi::Value OpResolve(const Info& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsString())
    throw Napi::TypeError::New(env, "opResolve(name: string, overload: string)");
  std::string name = info[0].As<Napi::String>().Utf8Value();
  std::string overload = info[1].As<Napi::String>().Utf8Value();
  auto handle = c10::Dispatcher::singleton().findSchema({name, overload});
  if (!handle) {
    ThrowTorchError(env, "operator " + name + (overload.empty() ? "" : "." + overload) + " is not in this libtorch (" +
                             TORCH_VERSION + ")");
  }
  OpEntry e{*handle, {}, {}, 0, ""};
  const c10::FunctionSchema& s = handle->schema();
  std::string full = c10::toString(s);
  e.schema = full.rfind("aten::", 0) == 0 ? full.substr(6) : full;
  for (const c10::Argument& arg : s.arguments()) e.args.push_back(MakeSpec(arg));
  for (size_t k = 0; k < e.args.size(); ++k)
    if (e.args[k].kind == Kind::Tensor && !e.args[k].list) e.tensor_args.push_back(static_cast<int>(k));
  e.returns = s.returns().size();
  for (const ArgSpec& a : e.args) {
    if (a.kind == Kind::Unsupported && !a.def && !a.optional)
      ThrowTorchError(
          env, "aten::" + e.schema + " takes a " + a.type + " argument ('" + a.name + "'), which torchts cannot pass");
  }
  if (Ops().size() >= 0xffff) ThrowTorchError(env, "too many operators resolved");
  Ops().push_back(std::move(e));
  return Napi::Number::New(env, static_cast<double>(Ops().size() - 1));
}

Napi::Value OpCall(const Info& info) {
  Napi::Env env = info.Env();
  napi_env raw = env;
  if (info.Length() < 1 || TypeOf(raw, info[0]) != napi_number)
    throw Napi::TypeError::New(env, "opCall(id, ...args): the op id must be a number from opResolve");
  int64_t code = info[0].As<Napi::Number>().Int64Value();
  size_t id = static_cast<size_t>(code & 0xffff);
  uint32_t wrapped = static_cast<uint32_t>((code >> 16) & 0x7fff);
  if (code < 0 || id >= Ops().size())
    throw Napi::TypeError::New(env, "opCall: " + std::to_string(code) + " is not an op id from opResolve");
  const OpEntry& e = Ops()[id];
  size_t given = info.Length() - 1;
  if (given > e.args.size()) {
    throw Napi::TypeError::New(env, "aten::" + e.schema + " takes " + std::to_string(e.args.size()) +
                                        " arguments but received " + std::to_string(given));
  }
  torch::jit::Stack& stack = Dispatch().stack;
  stack.clear();
  napi_value undef = env.Undefined();
  for (size_t k = 0; k < e.args.size(); ++k) {
    napi_value v = k < given ? static_cast<napi_value>(info[k + 1]) : undef;
    stack.push_back(ToIValue(raw, e, e.args[k], v, k < 15 && (wrapped >> k) & 1));
  }
  // The tensor arguments' impls: a result that is one of them goes back as its position.
  Inputs inputs;
  for (int pos : e.tensor_args) {
    const c10::IValue& v = stack[pos];
    if (v.isTensor() && !((wrapped >> pos) & 1) && inputs.n < Inputs::kMax)
      inputs.at[inputs.n++] = {pos, v.unsafeToTensorImpl()};
  }
  e.op.callBoxed(stack);
  if (stack.empty()) return env.Undefined();
  if (stack.size() == 1) {
    napi_value r = FromIValue(env, e, std::move(stack[0]), inputs);
    stack.clear();
    return Napi::Value(env, r);
  }
  Napi::Array out = Napi::Array::New(env, stack.size());
  for (size_t k = 0; k < stack.size(); ++k) out.Set(k, FromIValue(env, e, std::move(stack[k]), inputs));
  stack.clear();
  return out;
}

}  // namespace

void RegisterDispatch(Napi::Env env, Napi::Object exports) {
  Def<OpResolve>(env, exports, "opResolve");
  Def<OpCall>(env, exports, "opCall");
  // (id) -> [[name, type, flags], ...] for the schema's arguments, in order; flags: 1 an out=
  // argument (written to and returned), 2 optional (has a default or takes None).
  TORCHTS_DEF("opArgs", {
    int64_t id = Int(info, 0);
    TORCH_CHECK(id >= 0 && id < static_cast<int64_t>(Ops().size()), "no op with id ", id);
    const OpEntry& e = Ops()[id];
    const auto& args = e.op.schema().arguments();
    Napi::Env env = info.Env();
    Napi::Array out = Napi::Array::New(env, args.size());
    for (size_t k = 0; k < args.size(); ++k) {
      Napi::Array a = Napi::Array::New(env, 3);
      a.Set(0u, Napi::String::New(env, args[k].name()));
      a.Set(1u, Napi::String::New(env, e.args[k].type));
      a.Set(2u, Napi::Number::New(env, (args[k].is_out() ? 1 : 0) | (e.args[k].def || e.args[k].optional ? 2 : 0)));
      out.Set(k, a);
    }
    return out;
  });
  // (id) -> the schema this libtorch has for the op, for messages and tests.
  TORCHTS_DEF("opSchema", {
    int64_t id = Int(info, 0);
    TORCH_CHECK(id >= 0 && id < static_cast<int64_t>(Ops().size()), "no op with id ", id);
    return Napi::String::New(info.Env(), "aten::" + Ops()[id].schema);
  });
}

}  // namespace torchts
