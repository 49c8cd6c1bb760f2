// jitOptimizeOneDNN: what Inductor's CPU freezing does to convolutions, as TorchScript passes
// on a frozen graph (torch::jit::freeze has already folded batch norm into the convolutions):
// - 2-D convolutions become oneDNN's fused `mkldnn::_convolution_pointwise`, carrying a
//   following ReLU (unary post-op) or add + ReLU (binary post-op) when nothing else reads the
//   intermediate results (the subgraph matcher only matches such hammocks);
// - their weights are reordered once into oneDNN's blocked layout for the input size the graph
//   was traced with (prim::ConstantMKLDNNTensor), instead of on every call;
// - a 4-D input is made channels_last once, at the graph's start, so activations stay in the
//   layout oneDNN computes in and no convolution re-lays them out.
// Sizes come from running the graph once on the example input (RecordShapes).
// Only float32 CPU convolutions with constant weights and known input sizes are rewritten;
// the rest of the graph is left as freezing made it. Returns a new module; the input is not
// changed.
#include <torch/csrc/jit/api/module.h>
#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/ir/subgraph_matcher.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>
#include <torch/csrc/jit/passes/subgraph_rewrite.h>
#include <torch/csrc/jit/runtime/interpreter.h>

#include <string>
#include <unordered_map>
#include <vector>

#include "args.h"
#include "jit.h"

namespace torchts {
namespace {

using torch::jit::Value;

const c10::Symbol kConvPointwise = c10::Symbol::fromQualString("mkldnn::_convolution_pointwise");

std::optional<std::vector<int64_t>> ConcreteSizes(const Value* v) {
  auto t = v->type()->cast<c10::TensorType>();
  if (!t) return std::nullopt;
  return t->sizes().concrete_sizes();
}

// A float32 CPU 4-D tensor value with known sizes.
bool IsCpuFloat4d(const Value* v) {
  auto t = v->type()->cast<c10::TensorType>();
  if (!t || t->scalarType() != at::kFloat || !t->device() || !t->device()->is_cpu()) return false;
  auto sizes = t->sizes().concrete_sizes();
  return sizes && sizes->size() == 4;
}

// Whether the match is a rewritable 2-D convolution: constant float weight, constant int-list
// stride/padding/dilation, CPU float input; with `other`, same sizes as the convolution's
// output and alpha 1.
bool ConvFilter(const torch::jit::Match& match, const std::unordered_map<std::string, Value*>& vmap) {
  auto get = [&](const char* name) -> Value* {
    auto it = vmap.find(name);
    return it == vmap.end() ? nullptr : match.values_map.at(it->second);
  };
  Value* x = get("x");
  Value* w = get("w");
  if (!IsCpuFloat4d(x) || w->node()->kind() != c10::prim::Constant) return false;
  auto wv = torch::jit::toIValue(w);
  if (!wv || !wv->isTensor() || wv->toTensor().dim() != 4 || wv->toTensor().scalar_type() != at::kFloat) return false;
  for (const char* name : {"s", "p", "d"}) {
    auto v = torch::jit::toIValue(get(name));
    if (!v || !v->isIntList()) return false;
  }
  auto g = torch::jit::toIValue(get("g"));
  if (!g || !g->isInt()) return false;
  if (Value* tr = get("tr")) {  // aten::_convolution: not transposed
    auto t = torch::jit::toIValue(tr);
    if (!t || !t->isBool() || t->toBool()) return false;
  }
  if (Value* other = get("other")) {
    auto a = torch::jit::toIValue(get("alpha"));
    if (!a || !a->isScalar() || a->toScalar().toDouble() != 1.0) return false;
    auto os = ConcreteSizes(other);
    auto ys = ConcreteSizes(get("y"));
    auto ot = other->type()->cast<c10::TensorType>();
    if (!os || !ys || *os != *ys || !ot || ot->scalarType() != at::kFloat) return false;
  }
  return true;
}

// The convolution a pattern starts with: aten::conv2d, or aten::_convolution (what the tracer
// records for torchts's conv2d), with the graph parameters it needs.
struct ConvForm {
  const char* params;
  const char* node;
};
const ConvForm kConvForms[] = {
    {"%x, %w, %b, %s, %p, %d, %g", "%y = aten::conv2d(%x, %w, %b, %s, %p, %d, %g)"},
    {"%x, %w, %b, %s, %p, %d, %tr, %op, %g, %bm, %dt, %ce, %tf",
     "%y = aten::_convolution(%x, %w, %b, %s, %p, %d, %tr, %op, %g, %bm, %dt, %ce, %tf)"},
};

void RewriteConvolutions(std::shared_ptr<torch::jit::Graph>& graph) {
  torch::jit::SubgraphRewriter rw;
  for (const ConvForm& form : kConvForms) {
    std::string conv = std::string("  ") + form.node + "\n";
    // conv + add (either operand order, in place or not) + ReLU: a binary post-op then ReLU.
    for (const char* add : {"aten::add_", "aten::add"}) {
      for (const char* relu : {"aten::relu_", "aten::relu"}) {
        for (bool swapped : {false, true}) {
          std::string head = std::string("graph(") + form.params + ", %other, %alpha):\n";
          rw.RegisterRewritePattern(head + conv + "  %z = " + add +
                                        (swapped ? "(%other, %y, %alpha)\n" : "(%y, %other, %alpha)\n") +
                                        "  %r = " + relu + "(%z)\n  return (%r)",
                                    head + R"(
  %battr : str = prim::Constant[value="add"]()
  %uattr : str = prim::Constant[value="relu"]()
  %scalars : Scalar?[] = prim::ListConstruct()
  %algo : NoneType = prim::Constant()
  %r = mkldnn::_convolution_pointwise(%x, %other, %w, %b, %p, %s, %d, %g, %battr, %alpha, %uattr, %scalars, %algo)
  return (%r))");
        }
      }
    }
    std::string head = std::string("graph(") + form.params + "):\n";
    for (const char* relu : {"aten::relu_", "aten::relu"}) {
      rw.RegisterRewritePattern(head + conv + "  %r = " + relu + "(%y)\n  return (%r)", head + R"(
  %attr : str = prim::Constant[value="relu"]()
  %scalars : Scalar?[] = prim::ListConstruct()
  %algo : NoneType = prim::Constant()
  %r = mkldnn::_convolution_pointwise(%x, %w, %b, %p, %s, %d, %g, %attr, %scalars, %algo)
  return (%r))");
    }
    rw.RegisterRewritePattern(head + conv + "  return (%y)", head + R"(
  %attr : str = prim::Constant[value="none"]()
  %scalars : Scalar?[] = prim::ListConstruct()
  %algo : NoneType = prim::Constant()
  %r = mkldnn::_convolution_pointwise(%x, %w, %b, %p, %s, %d, %g, %attr, %scalars, %algo)
  return (%r))");
  }
  rw.runOnGraph(graph, ConvFilter);
}

// Gives every tensor value of the graph's top block the type (sizes, strides, dtype, device)
// it has when the graph runs on `inputs`: a copy of the graph returning all of them runs once.
void RecordShapes(std::shared_ptr<torch::jit::Graph>& graph, const c10::IValue& self,
                  const std::vector<at::Tensor>& inputs) {
  auto probe = graph->copy();
  std::vector<Value*> originals, copies;
  auto o = graph->nodes().begin();
  for (auto p = probe->nodes().begin(); o != graph->nodes().end() && p != probe->nodes().end(); ++o, ++p) {
    for (size_t k = 0; k < o->outputs().size(); ++k) {
      if (!o->outputs()[k]->type()->cast<c10::TensorType>() || o->kind() == c10::prim::Constant) continue;
      originals.push_back(o->outputs()[k]);
      copies.push_back(p->outputs()[k]);
    }
  }
  while (probe->outputs().size() > 0) probe->eraseOutput(probe->outputs().size() - 1);
  for (Value* v : copies) probe->registerOutput(v);
  torch::jit::Code code(probe, "record_shapes");
  torch::jit::InterpreterState state(code);
  torch::jit::Stack stack{self};
  for (const at::Tensor& t : inputs) stack.emplace_back(t);
  state.run(stack);
  for (size_t k = 0; k < originals.size() && k < stack.size(); ++k) {
    if (stack[k].isTensor() && stack[k].toTensor().defined() && !stack[k].toTensor().is_mkldnn())
      originals[k]->setType(c10::TensorType::create(stack[k].toTensor()));
  }
}

// Reorders each fused convolution's constant weight into oneDNN's layout for its input size.
void PrepackWeights(std::shared_ptr<torch::jit::Graph>& graph) {
  for (torch::jit::Node* n : graph->nodes()) {
    if (n->kind() != kConvPointwise) continue;
    bool binary = n->inputs().size() == 13;
    size_t wi = binary ? 2 : 1;
    size_t pi = binary ? 4 : 3;
    auto w = torch::jit::toIValue(n->input(wi));
    if (!w || !w->isTensor() || w->toTensor().is_mkldnn()) continue;
    auto padding = torch::jit::toIValue(n->input(pi))->toIntVector();
    auto stride = torch::jit::toIValue(n->input(pi + 1))->toIntVector();
    auto dilation = torch::jit::toIValue(n->input(pi + 2))->toIntVector();
    int64_t groups = torch::jit::toIValue(n->input(pi + 3))->toInt();
    auto sizes = ConcreteSizes(n->input(0));
    at::Tensor packed = at::mkldnn_reorder_conv2d_weight(w->toTensor().to_mkldnn(), padding, stride, dilation, groups,
                                                         sizes ? at::OptionalIntArrayRef(*sizes) : std::nullopt);
    torch::jit::WithInsertPoint guard(n);
    torch::jit::Node* c = graph->create(c10::prim::ConstantMKLDNNTensor, 1);
    c->t_(c10::attr::value, packed);
    c->output()->setType(c10::TensorType::get());
    graph->insertNode(c);
    n->replaceInput(wi, c->output());
  }
}

// Makes a 4-D float input channels_last once, before anything reads it, when a fused
// convolution is among its readers.
void ChannelsLastInputs(std::shared_ptr<torch::jit::Graph>& graph) {
  for (size_t k = 1; k < graph->inputs().size(); ++k) {
    Value* in = graph->inputs()[k];
    if (!IsCpuFloat4d(in)) continue;
    bool feeds_conv = false;
    for (const auto& use : in->uses()) feeds_conv |= use.user->kind() == kConvPointwise;
    if (!feeds_conv) continue;
    torch::jit::WithInsertPoint guard(graph->nodes().front());
    Value* cl =
        graph->insert(c10::aten::contiguous, {in},
                      {torch::jit::NamedValue("memory_format", static_cast<int64_t>(c10::MemoryFormat::ChannelsLast))});
    cl->setType(in->type());
    in->replaceAllUsesAfterNodeWith(cl->node(), cl);
  }
}

}  // namespace

void RegisterJitFuse(Napi::Env env, Napi::Object exports) {
  // (h) -> a new frozen module with oneDNN-fused convolutions (see the top of this file).
  // (h, inputs: H[]): the inputs are the example the module was traced with, whose sizes are
  // propagated through the graph (the patterns' checks and the weight reorders need them).
  TORCHTS_DEF("jitOptimizeOneDNN", {
    torch::jit::Module frozen = torch::jit::freeze(*JitModuleAt(info.Env(), info[0].As<Napi::Number>().Int32Value()));
    auto graph = frozen.get_method("forward").graph();
    std::vector<at::Tensor> inputs = TensorList(info, 1);
    if (inputs.size() + 1 != graph->inputs().size())
      ThrowTorchError(info.Env(), "jitOptimizeOneDNN: " + std::to_string(inputs.size()) +
                                      " example inputs for a graph taking " +
                                      std::to_string(graph->inputs().size() - 1));
    for (size_t k = 0; k < inputs.size(); ++k) graph->inputs()[k + 1]->setType(c10::TensorType::create(inputs[k]));
    RecordShapes(graph, frozen._ivalue(), inputs);
    RewriteConvolutions(graph);
    PrepackWeights(graph);
    ChannelsLastInputs(graph);
    torch::jit::EliminateDeadCode(graph);
    return Napi::Number::New(info.Env(), AddJitModule(std::make_shared<torch::jit::Module>(frozen)));
  });
}

}  // namespace torchts
