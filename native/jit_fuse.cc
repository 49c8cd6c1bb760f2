// jitOptimizeOneDNN: a frozen module whose forward runs oneDNN Graph's fused partitions, what
// `torch.jit.enable_onednn_fusion(True)` does in Python. torch::jit::freeze folds batch norm
// into the convolutions and makes the weights constants; then libtorch's oneDNN Graph fuser
// (torch/csrc/jit/codegen/onednn, "LLGA") groups convolutions with their ReLU, residual add,
// pooling and linear layers into partitions that oneDNN compiles once for the input's sizes:
// weights prepacked and cached, activations in oneDNN's layout inside a partition, and no
// per-call primitive creation. On ResNet-18/50 (2-core Xeon VM, batch 1 and 16, 1 and 2
// threads) this ran 4-13% faster than rewriting each convolution into Inductor's
// `mkldnn::_convolution_pointwise` with prepacked weights, which creates oneDNN's primitive
// descriptor on every call.
//
// The fuser only runs as a pre-pass of the profiling graph executor, when it optimises a graph
// with the sizes it profiled. So it is registered once as a pre-pass that acts only on the
// thread, and for the span, of jitOptimizeOneDNN's warm-up calls: no other module is fused.
// The optimised plan stays in the module's executor; inputs of other sizes fail its guards and
// run the unfused graph.
#include <torch/csrc/jit/api/module.h>
#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/passes/onednn_graph_fuser.h>
#include <torch/csrc/jit/passes/pass_manager.h>
#include <torch/csrc/jit/runtime/graph_executor.h>
#include <torch/torch.h>

#include <mutex>
#include <string>
#include <vector>

#include "args.h"
#include "jit.h"

namespace torchts {
namespace {

// Whether the pre-pass fuses graphs optimised on this thread now, and with Winograd
// convolutions first.
thread_local bool fusing = false;
thread_local bool winograd = false;

void RegisterFusionPrePass() {
  static std::once_flag once;
  std::call_once(once, [] {
    torch::jit::registerPrePass([](std::shared_ptr<torch::jit::Graph>& g) {
      if (!fusing) return;
      if (winograd) WinogradRewrite(g);
      torch::jit::fuser::onednn::fuseGraph(g);
      if (winograd) WinogradLayouts(g);
    });
  });
}

// Runs `forward` until the executor has made its optimised plan (profiling runs + 1), with
// the fuser on; the plan's partitions compile on its first run, here too.
void WarmUp(torch::jit::Module& m, const std::vector<at::Tensor>& inputs, bool with_winograd) {
  struct Fusing {
    explicit Fusing(bool w) {
      fusing = true;
      winograd = w;
    }
    ~Fusing() { fusing = winograd = false; }
  } on(with_winograd);
  torch::NoGradGuard no_grad;
  for (size_t k = 0; k < torch::jit::getNumProfiledRuns() + 2; ++k)
    m.forward(std::vector<c10::IValue>(inputs.begin(), inputs.end()));
}

}  // namespace

void RegisterJitFuse(Napi::Env env, Napi::Object exports) {
  // At the first load, before any graph runs: executors read the pre-pass list unlocked.
  RegisterFusionPrePass();
  RegisterWinogradOp();
  // (h, inputs: H[], winograd: bool) -> [handle, null] with a new frozen module fused by oneDNN Graph for these
  // inputs (see the top of this file), or [handle, why] with the module frozen but unfused
  // when the fuser or oneDNN's compilation failed on it.
  TORCHTS_DEF("jitOptimizeOneDNN", {
    Napi::Env env = info.Env();
    auto source = JitModuleAt(env, info[0].As<Napi::Number>().Int32Value());
    std::vector<at::Tensor> inputs = TensorList(info, 1);
    auto fused = std::make_shared<torch::jit::Module>(torch::jit::freeze(*source));
    Napi::Array out = Napi::Array::New(env, 2);
    try {
      WarmUp(*fused, inputs, info[2].As<Napi::Boolean>().Value());
      out.Set(0u, Napi::Number::New(env, AddJitModule(fused)));
      out.Set(1u, env.Null());
    } catch (const std::exception& e) {
      // The failed executor may hold a half-made plan: hand back a fresh frozen module.
      out.Set(0u,
              Napi::Number::New(env, AddJitModule(std::make_shared<torch::jit::Module>(torch::jit::freeze(*source)))));
      out.Set(1u, Napi::String::New(env, std::string(e.what()).substr(0, 400)));
    }
    return out;
  });
  // () -> the graph the graph executor last ran on this thread, after its optimisations
  // (torch.jit.last_executed_optimized_graph), or null before any run.
  TORCHTS_DEF("jitLastExecutedOptimizedGraph", {
    auto g = torch::jit::lastExecutedOptimizedGraph();
    return g ? Napi::Value(Napi::String::New(info.Env(), g->toString())) : info.Env().Null();
  });
}

}  // namespace torchts
