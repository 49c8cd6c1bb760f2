// torch.jit: TorchScript modules from Python files (torch::jit::load), torchts models recorded
// into TorchScript with libtorch's tracer (torch::jit::tracer::trace, fed by the JS forward),
// and libtorch's freezing and inference passes (torch::jit::freeze, optimize_for_inference:
// batch norm folded into convolutions, conv/linear fused with their activations, weights
// prepacked for oneDNN on CPU, cuDNN conv+add+ReLU on CUDA). jit.h has the module table.
//
// Values cross in one encoding both ways: a tensor is its table handle (a JS number), a
// number is `{n: value}`, a dict is `{d: [[key, value], ...]}`, lists and tuples are arrays;
// booleans, strings and null are themselves. Arguments are converted by the method's schema.
#include "jit.h"

#include <torch/csrc/jit/frontend/tracer.h>
#include <torch/csrc/jit/serialization/import.h>

#include <cctype>
#include <string>
#include <unordered_map>
#include <vector>

#include "args.h"
#include "state.h"

namespace torchts {
namespace {

// The module table of this JS environment (state.h): handles are per environment.
struct JitTable {
  std::vector<std::shared_ptr<torch::jit::Module>> modules;
  std::vector<int32_t> free;
};
std::vector<std::shared_ptr<torch::jit::Module>>& Modules() { return Part<JitTable>("jit").modules; }
std::vector<int32_t>& FreeSlots() { return Part<JitTable>("jit").free; }

Napi::Value AddModule(Napi::Env env, torch::jit::Module m) {
  return Napi::Number::New(env, AddJitModule(std::make_shared<torch::jit::Module>(std::move(m))));
}

torch::jit::Module& Mod(const Info& info, size_t i) {
  return *JitModuleAt(info.Env(), info[i].As<Napi::Number>().Int32Value());
}

std::string Describe(const Napi::Value& v) {
  if (v.IsNull()) return "null";
  if (v.IsUndefined()) return "undefined";
  if (v.IsNumber()) return "a Tensor";
  if (v.IsBoolean()) return v.As<Napi::Boolean>().Value() ? "true" : "false";
  if (v.IsString()) return "'" + v.As<Napi::String>().Utf8Value() + "'";
  if (v.IsArray()) return "an array";
  if (v.IsObject() && v.As<Napi::Object>().Has("n")) return "a number";
  return "an object";
}

[[noreturn]] void Mismatch(Napi::Env env, const c10::TypePtr& type, const Napi::Value& v, const std::string& what) {
  ThrowTorchError(
      env, "Expected a value of type " + type->annotation_str() + " for " + what + " but received " + Describe(v));
}

bool IsNum(const Napi::Value& v) { return v.IsObject() && !v.IsArray() && v.As<Napi::Object>().Has("n"); }
double NumOf(const Napi::Value& v) { return v.As<Napi::Object>().Get("n").As<Napi::Number>().DoubleValue(); }

// A JS value (encoded as above) as an IValue of `type`.
c10::IValue ToIValue(Napi::Env env, const c10::TypePtr& type, const Napi::Value& v, const std::string& what) {
  using c10::TypeKind;
  switch (type->kind()) {
    case TypeKind::OptionalType:
      if (v.IsNull() || v.IsUndefined()) return c10::IValue();
      return ToIValue(env, type->expectRef<c10::OptionalType>().getElementType(), v, what);
    case TypeKind::NoneType:
      if (v.IsNull() || v.IsUndefined()) return c10::IValue();
      break;
    case TypeKind::TensorType:
      if (v.IsNumber()) return Table().Get(env, v.As<Napi::Number>().Int32Value());
      break;
    case TypeKind::IntType:
      if (IsNum(v) && NumOf(v) == std::trunc(NumOf(v))) return int64_t(NumOf(v));
      break;
    case TypeKind::FloatType:
      if (IsNum(v)) return NumOf(v);
      break;
    case TypeKind::NumberType:
      if (IsNum(v)) return ToScalar(v.As<Napi::Object>().Get("n"));
      break;
    case TypeKind::BoolType:
      if (v.IsBoolean()) return v.As<Napi::Boolean>().Value();
      break;
    case TypeKind::StringType:
      if (v.IsString()) return v.As<Napi::String>().Utf8Value();
      break;
    case TypeKind::ListType:
      if (v.IsArray()) {
        auto elem = type->expectRef<c10::ListType>().getElementType();
        c10::impl::GenericList list(elem);
        Napi::Array a = v.As<Napi::Array>();
        for (uint32_t k = 0; k < a.Length(); ++k)
          list.push_back(ToIValue(env, elem, a.Get(k), what + "[" + std::to_string(k) + "]"));
        return list;
      }
      break;
    case TypeKind::TupleType:
      if (v.IsArray()) {
        const auto& elems = type->expectRef<c10::TupleType>().elements();
        Napi::Array a = v.As<Napi::Array>();
        if (a.Length() != elems.size())
          ThrowTorchError(env, "Expected " + std::to_string(elems.size()) + " elements for " + what + " but received " +
                                   std::to_string(a.Length()));
        std::vector<c10::IValue> out;
        for (uint32_t k = 0; k < a.Length(); ++k)
          out.push_back(ToIValue(env, elems[k], a.Get(k), what + "[" + std::to_string(k) + "]"));
        return c10::ivalue::Tuple::create(std::move(out));
      }
      break;
    case TypeKind::DictType:
      if (v.IsObject() && !v.IsArray() && v.As<Napi::Object>().Has("d")) {
        const auto& dt = type->expectRef<c10::DictType>();
        if (dt.getKeyType()->kind() != TypeKind::StringType)
          ThrowTorchError(env, "Dicts with " + dt.getKeyType()->annotation_str() + " keys (" + what +
                                   ") cannot be passed from JS; only str keys");
        c10::impl::GenericDict dict(dt.getKeyType(), dt.getValueType());
        Napi::Array entries = v.As<Napi::Object>().Get("d").As<Napi::Array>();
        for (uint32_t k = 0; k < entries.Length(); ++k) {
          Napi::Array kv = entries.Get(k).As<Napi::Array>();
          std::string key = kv.Get(0u).As<Napi::String>().Utf8Value();
          dict.insert(key, ToIValue(env, dt.getValueType(), kv.Get(1u), what + "['" + key + "']"));
        }
        return dict;
      }
      break;
    default:
      ThrowTorchError(env, "Values of type " + type->annotation_str() + " (" + what + ") cannot be passed from JS");
  }
  Mismatch(env, type, v, what);
}

Napi::Value Num(Napi::Env env, double x) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("n", x);
  return o;
}

// An IValue a method returned, encoded for JS.
Napi::Value FromIValue(Napi::Env env, const c10::IValue& v) {
  if (v.isTensor()) {
    const at::Tensor& t = v.toTensor();
    if (!t.defined()) return env.Null();
    return Napi::Number::New(env, Table().Add(env, t));
  }
  if (v.isNone()) return env.Null();
  if (v.isInt()) return Num(env, double(v.toInt()));
  if (v.isDouble()) return Num(env, v.toDouble());
  if (v.isBool()) return Napi::Boolean::New(env, v.toBool());
  if (v.isString()) return Napi::String::New(env, v.toStringRef());
  if (v.isList() || v.isTuple()) {
    std::vector<c10::IValue> elems;
    if (v.isList())
      for (const c10::IValue& e : v.toListRef()) elems.push_back(e);
    else
      elems = v.toTupleRef().elements().vec();
    Napi::Array a = Napi::Array::New(env, elems.size());
    for (uint32_t k = 0; k < elems.size(); ++k) a.Set(k, FromIValue(env, elems[k]));
    return a;
  }
  if (v.isGenericDict()) {
    Napi::Array entries = Napi::Array::New(env);
    uint32_t k = 0;
    for (const auto& kv : v.toGenericDict()) {
      Napi::Array pair = Napi::Array::New(env, 2);
      pair.Set(0u, kv.key().isString() ? Napi::Value(Napi::String::New(env, kv.key().toStringRef()))
                                       : FromIValue(env, kv.key()));
      pair.Set(1u, FromIValue(env, kv.value()));
      entries.Set(k++, pair);
    }
    Napi::Object o = Napi::Object::New(env);
    o.Set("d", entries);
    return o;
  }
  ThrowTorchError(env, "A TorchScript method returned a " + v.tagKind() + ", which torchts cannot hand to JS");
}

std::string Leaf(const std::string& path) {
  size_t dot = path.rfind('.');
  return dot == std::string::npos ? path : path.substr(dot + 1);
}
std::string Parent(const std::string& path) {
  size_t dot = path.rfind('.');
  return dot == std::string::npos ? std::string() : path.substr(0, dot);
}
// A JS class name as a TorchScript class name (identifier characters only).
std::string ClassName(std::string name) {
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') c = '_';
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) name = "Module" + name;
  return name;
}

// hardtanh's bounds are floats in Python (nn.ReLU6 is Hardtanh(0.0, 6.0)), so PyTorch's traces
// hold double constants there, and libtorch's oneDNN conversion in optimize_for_inference
// asserts that they are. A JS 0 or 6 reaches the tracer as an integer Scalar: Trace makes such
// bounds doubles (the same values, the same results), so its graphs read as PyTorch's do.
void HardtanhBoundsAsDoubles(torch::jit::Block* block) {
  for (torch::jit::Node* n : block->nodes()) {
    for (torch::jit::Block* b : n->blocks()) HardtanhBoundsAsDoubles(b);
    if (n->kind() != c10::aten::hardtanh && n->kind() != c10::aten::hardtanh_) continue;
    for (size_t k = 1; k < 3 && k < n->inputs().size(); ++k) {
      auto v = torch::jit::toIValue(n->input(k));
      if (!v || !v->isInt()) continue;
      torch::jit::WithInsertPoint guard(n);
      n->replaceInput(k, n->owningGraph()->insertConstant(static_cast<double>(v->toInt())));
    }
  }
}

// jitTrace(modules: [path, className, training][], params: [path, H][], buffers: [path, H][],
//          inputs: H[], forward: () => H[]): records one call of `forward` (the JS forward of a
// torchts model, run on this thread) into the `forward` method of a new TorchScript module
// whose submodules, parameters and buffers mirror the torchts model's (the same tensors), so
// the graph reads them as attributes, as torch.jit.trace's graphs do.
Napi::Value Trace(const Info& info) {
  Napi::Env env = info.Env();
  auto cu = std::make_shared<torch::jit::CompilationUnit>();
  std::unordered_map<std::string, torch::jit::Module> by_path;
  Napi::Array mods = info[0].As<Napi::Array>();
  for (uint32_t k = 0; k < mods.Length(); ++k) {
    Napi::Array e = mods.Get(k).As<Napi::Array>();
    std::string path = e.Get(0u).As<Napi::String>().Utf8Value();
    torch::jit::Module m(c10::QualifiedName("__torch__.torchts." + ClassName(e.Get(1u).As<Napi::String>().Utf8Value())),
                         cu, /*shouldMangle=*/true);
    m.register_attribute("training", c10::BoolType::get(), e.Get(2u).As<Napi::Boolean>().Value());
    if (k > 0) {
      auto parent = by_path.find(Parent(path));
      if (parent == by_path.end()) ThrowTorchError(env, "jit.trace: module '" + path + "' comes before its parent");
      parent->second.register_module(Leaf(path), m);
    }
    by_path.emplace(path, m);
  }
  if (by_path.empty()) ThrowTorchError(env, "jit.trace: no root module");
  for (int kind = 0; kind < 2; ++kind) {
    Napi::Array list = info[1 + kind].As<Napi::Array>();
    for (uint32_t k = 0; k < list.Length(); ++k) {
      Napi::Array e = list.Get(k).As<Napi::Array>();
      std::string path = e.Get(0u).As<Napi::String>().Utf8Value();
      auto owner = by_path.find(Parent(path));
      if (owner == by_path.end()) ThrowTorchError(env, "jit.trace: no module owns '" + path + "'");
      const at::Tensor& t = Table().Get(env, e.Get(1u).As<Napi::Number>().Int32Value());
      owner->second.register_parameter(Leaf(path), t, /*is_buffer=*/kind == 1);
    }
  }
  torch::jit::Module root = by_path.at(mods.Get(0u).As<Napi::Array>().Get(0u).As<Napi::String>().Utf8Value());
  torch::jit::Stack inputs;
  for (const at::Tensor& t : TensorList(info, 3)) inputs.push_back(t);
  Napi::Function forward = info[4].As<Napi::Function>();
  auto traced = torch::jit::tracer::trace(
      std::move(inputs),
      [&](const torch::jit::Stack&) -> torch::jit::Stack {
        Napi::Array out = forward.Call({}).As<Napi::Array>();
        std::vector<c10::IValue> outs;
        for (uint32_t k = 0; k < out.Length(); ++k)
          outs.emplace_back(Table().Get(env, out.Get(k).As<Napi::Number>().Int32Value()));
        if (outs.size() == 1) return {outs[0]};
        return {c10::ivalue::Tuple::create(std::move(outs))};
      },
      [](const torch::autograd::Variable&) { return std::string(); }, /*strict=*/true, /*force_outplace=*/false, &root);
  HardtanhBoundsAsDoubles(traced.first->graph->block());
  auto fn = cu->create_function(c10::QualifiedName(*root.type()->name(), "forward"), traced.first->graph);
  root.type()->addMethod(fn);
  return AddModule(env, root);
}

Napi::Value Named(const Info& info, bool buffers) {
  Napi::Env env = info.Env();
  torch::jit::Module& m = Mod(info, 0);
  bool recurse = Bool(info, 1);
  Napi::Array out = Napi::Array::New(env);
  uint32_t k = 0;
  auto add = [&](const std::string& name, const at::Tensor& t) {
    Napi::Array pair = Napi::Array::New(env, 2);
    pair.Set(0u, name);
    pair.Set(1u, Napi::Number::New(env, Table().Add(env, t)));
    out.Set(k++, pair);
  };
  if (buffers)
    for (const auto& b : m.named_buffers(recurse)) add(b.name, b.value);
  else
    for (const auto& p : m.named_parameters(recurse)) add(p.name, p.value);
  return out;
}

}  // namespace

int32_t AddJitModule(std::shared_ptr<torch::jit::Module> m) {
  int32_t h;
  if (!FreeSlots().empty()) {
    h = FreeSlots().back();
    FreeSlots().pop_back();
    Modules()[h] = std::move(m);
  } else {
    h = int32_t(Modules().size());
    Modules().push_back(std::move(m));
  }
  return h;
}

std::shared_ptr<torch::jit::Module> JitModuleAt(Napi::Env env, int32_t h) {
  if (h < 0 || h >= int32_t(Modules().size()) || !Modules()[h])
    ThrowTorchError(env, "ScriptModule was disposed: it cannot be used any more");
  return Modules()[h];
}

void RegisterAoti(Napi::Env env, Napi::Object exports);
void RegisterJitFuse(Napi::Env env, Napi::Object exports);

void RegisterJit(Napi::Env env, Napi::Object exports) {
  // (path, device | null) -> module handle
  TORCHTS_DEF("jitLoad", {
    std::string path = info[0].As<Napi::String>().Utf8Value();
    return AddModule(info.Env(), torch::jit::load(path, OptDevice(info, 1)));
  });
  TORCHTS_DEF("jitFree", {
    int32_t h = info[0].As<Napi::Number>().Int32Value();
    if (h >= 0 && h < int32_t(Modules().size()) && Modules()[h]) {
      Modules()[h].reset();
      FreeSlots().push_back(h);
    }
    return info.Env().Undefined();
  });
  TORCHTS_DEF("jitMethods", {
    Napi::Env env = info.Env();
    auto methods = Mod(info, 0).get_methods();
    Napi::Array out = Napi::Array::New(env, methods.size());
    for (uint32_t k = 0; k < methods.size(); ++k) out.Set(k, methods[k].name());
    return out;
  });
  // (h, method, args: encoded[]) -> encoded result
  TORCHTS_DEF("jitCall", {
    Napi::Env env = info.Env();
    torch::jit::Module& m = Mod(info, 0);
    std::string name = info[1].As<Napi::String>().Utf8Value();
    auto method = m.find_method(name);
    if (!method) ThrowTorchError(env, "ScriptModule has no method '" + name + "'");
    const auto& schema = method->function().getSchema();
    const auto& params = schema.arguments();  // params[0] is self
    Napi::Array args = info[2].As<Napi::Array>();
    size_t given = args.Length();
    if (given + 1 > params.size())
      ThrowTorchError(env, name + "() takes " + std::to_string(params.size() - 1) + " arguments but " +
                               std::to_string(given) + " were given");
    std::vector<c10::IValue> stack;
    for (size_t k = 1; k < params.size(); ++k) {
      const auto& p = params[k];
      std::string what = "argument '" + p.name() + "' of " + name + "()";
      if (k - 1 < given) {
        stack.push_back(ToIValue(env, p.type(), args.Get(uint32_t(k - 1)), what));
      } else if (p.default_value()) {
        stack.push_back(*p.default_value());
      } else {
        ThrowTorchError(env, name + "() is missing " + what.substr(0, what.find(" of ")));
      }
    }
    return FromIValue(env, (*method)(std::move(stack)));
  });
  TORCHTS_DEF("jitNamedParameters", { return Named(info, false); });
  TORCHTS_DEF("jitNamedBuffers", { return Named(info, true); });
  TORCHTS_DEF("jitTrain", {
    Mod(info, 0).train(Bool(info, 1));
    return info.Env().Undefined();
  });
  TORCHTS_DEF("jitIsTraining", { return Napi::Boolean::New(info.Env(), Mod(info, 0).is_training()); });
  // (h, device | null, dtype code | -1)
  TORCHTS_DEF("jitTo", {
    torch::jit::Module& m = Mod(info, 0);
    auto device = OptDevice(info, 1);
    auto dtype = OptDtype(info, 2);
    if (device && dtype)
      m.to(*device, *dtype);
    else if (device)
      m.to(*device);
    else if (dtype)
      m.to(*dtype);
    return info.Env().Undefined();
  });
  TORCHTS_DEF("jitSave", {
    Mod(info, 0).save(info[1].As<Napi::String>().Utf8Value());
    return info.Env().Undefined();
  });
  // (h, method) -> the method's graph as text
  TORCHTS_DEF("jitGraph", {
    torch::jit::Module& m = Mod(info, 0);
    std::string name = info[1].As<Napi::String>().Utf8Value();
    auto method = m.find_method(name);
    if (!method) ThrowTorchError(info.Env(), "ScriptModule has no method '" + name + "'");
    return Napi::String::New(info.Env(), method->graph()->toString());
  });
  TORCHTS_DEF("jitTrace", { return Trace(info); });
  // (h) -> a new frozen module (torch.jit.freeze); the module must be in eval mode.
  TORCHTS_DEF("jitFreeze", { return AddModule(info.Env(), torch::jit::freeze(Mod(info, 0))); });
  // (h) -> a new frozen, inference-optimised module (torch.jit.optimize_for_inference).
  TORCHTS_DEF("jitOptimizeForInference", {
    torch::jit::Module& m = Mod(info, 0);
    return AddModule(info.Env(), torch::jit::optimize_for_inference(m));
  });
  RegisterAoti(env, exports);
  RegisterJitFuse(env, exports);
}

}  // namespace torchts
