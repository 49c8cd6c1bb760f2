// The forward of a TorchScript module (jit.h: from torch.jit.load, trace, freeze or
// optimizeForInference) on the inference threads (async.h). The job holds the module's
// shared_ptr, so a forward queued or running keeps its module alive if JS disposes it.
#include <memory>

#include "args.h"
#include "async.h"
#include "jit.h"

namespace torchts {

namespace {

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
      TORCH_CHECK(e.isTensor(), "forwardAsync: the forward returned a tuple holding ", e.tagKind(),
                  ": only tensors and tuples/lists of tensors can be returned");
      r.tensors.push_back(e.toTensor());
    }
    return r;
  }
  TORCH_CHECK(v.isTensorList(), "forwardAsync: the forward returned ", v.tagKind(),
              ": only tensors and tuples/lists of tensors can be returned");
  for (const at::Tensor& t : v.toTensorVector()) r.tensors.push_back(t);
  return r;
}

}  // namespace

void RegisterAsyncJit(Napi::Env env, Napi::Object exports) {
  // (module handle, tensor handles[]) -> job id; the result arrives through asyncInit's callback.
  TORCHTS_DEF("jitForwardAsync", {
    std::shared_ptr<torch::jit::Module> m = JitModuleAt(info.Env(), info[0].As<Napi::Number>().Int32Value());
    Napi::Array hs = info[1].As<Napi::Array>();
    std::vector<c10::IValue> inputs;
    inputs.reserve(hs.Length());
    for (uint32_t k = 0; k < hs.Length(); ++k)
      inputs.emplace_back(Table().Get(info.Env(), hs.Get(k).As<Napi::Number>().Int32Value()));
    int64_t id = SubmitAsync(info.Env(), [m = std::move(m), inputs = std::move(inputs)]() mutable {
      return Outputs(m->forward(std::move(inputs)));
    });
    return Napi::Number::New(info.Env(), double(id));
  });
}

}  // namespace torchts
