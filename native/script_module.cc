// TorchScript modules (torch::jit::load) run synchronously or on the inference threads
// (async.h). JS holds a module as an External that owns a shared_ptr, so a forward that is
// queued or running keeps its module alive after JS dropped it.
#include <torch/script.h>

#include <memory>

#include "args.h"
#include "async.h"

namespace torchts {

namespace {

using ModulePtr = std::shared_ptr<torch::jit::Module>;

ModulePtr& ModuleOf(const Info& info, size_t i) {
  if (!info[i].IsExternal()) throw Napi::TypeError::New(info.Env(), "expected a TorchScript module handle");
  return *info[i].As<Napi::External<ModulePtr>>().Data();
}

std::vector<c10::IValue> Inputs(const Info& info, size_t i) {
  Napi::Array hs = info[i].As<Napi::Array>();
  std::vector<c10::IValue> out;
  out.reserve(hs.Length());
  for (uint32_t k = 0; k < hs.Length(); ++k)
    out.emplace_back(Table().Get(info.Env(), hs.Get(k).As<Napi::Number>().Int32Value()));
  return out;
}

// A forward's result as tensors: one tensor, or a tuple/list of them.
AsyncResult Outputs(const c10::IValue& v) {
  AsyncResult r;
  if (v.isTensor()) {
    r.tensors.push_back(v.toTensor());
    return r;
  }
  r.single = false;
  if (v.isTuple()) {
    for (const auto& e : v.toTupleRef().elements()) {
      TORCH_CHECK(e.isTensor(), "a TorchScript forward returned a tuple holding ", e.tagKind(),
                  ": only tensors and tuples/lists of tensors are supported");
      r.tensors.push_back(e.toTensor());
    }
    return r;
  }
  if (v.isTensorList()) {
    for (const at::Tensor& t : v.toTensorVector()) r.tensors.push_back(t);
    return r;
  }
  TORCH_CHECK(false, "a TorchScript forward returned ", v.tagKind(),
              ": only tensors and tuples/lists of tensors are supported");
}

Napi::Value ToJs(Napi::Env env, AsyncResult r) {
  Napi::Array hs = Napi::Array::New(env, r.tensors.size());
  for (uint32_t k = 0; k < r.tensors.size(); ++k)
    hs.Set(k, Napi::Number::New(env, Table().Add(env, std::move(r.tensors[k]))));
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, hs);
  out.Set(1u, Napi::Boolean::New(env, r.single));
  return out;
}

}  // namespace

void RegisterScriptModule(Napi::Env env, Napi::Object exports) {
  // (path, device | null) -> module: torch.jit.load.
  TORCHTS_DEF("scriptLoad", {
    std::string path = info[0].As<Napi::String>().Utf8Value();
    std::optional<at::Device> device = OptDevice(info, 1);
    auto m = std::make_shared<torch::jit::Module>(torch::jit::load(path, device));
    return Napi::External<ModulePtr>::New(info.Env(), new ModulePtr(std::move(m)),
                                          [](Napi::Env, ModulePtr* p) { delete p; });
  });
  // (module, training)
  TORCHTS_DEF("scriptTrain", {
    ModuleOf(info, 0)->train(Bool(info, 1));
    return info.Env().Undefined();
  });
  // (module, handles[]) -> [handles[], single]
  TORCHTS_DEF("scriptForward", {
    ModulePtr& m = ModuleOf(info, 0);
    return ToJs(info.Env(), Outputs(m->forward(Inputs(info, 1))));
  });
  // (module, handles[]) -> job id; the result arrives through asyncInit's callback.
  TORCHTS_DEF("scriptForwardAsync", {
    ModulePtr m = ModuleOf(info, 0);
    std::vector<c10::IValue> inputs = Inputs(info, 1);
    int64_t id = SubmitAsync(
        info.Env(), [m, inputs = std::move(inputs)]() mutable { return Outputs(m->forward(std::move(inputs))); });
    return Napi::Number::New(info.Env(), double(id));
  });
}

}  // namespace torchts
