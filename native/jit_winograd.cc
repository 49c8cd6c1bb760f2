// Winograd convolution for optimizeForInference's fused CPU path: 3x3, stride 1, padding 1
// float32 convolutions computed as F(4x4, 3x3) or F(2x2, 3x3) (Lavin & Gray,
// arXiv:1509.09308). Each 6x6 (4x4) input tile and each 3x3 filter is transformed into a
// Winograd domain of 36 (16) points, where the convolution becomes that many independent
// matrix products [tiles x Cin] . [Cin x Cout]; 4x4 (2x2) outputs come back from each product
// tile. That is 4x (2.25x) fewer multiply-adds than a direct convolution, and the products run
// in MKL's batched GEMM close to its peak. What it costs: filters 4x (16/9) larger, transformed
// once here when the module is optimised; two cheap tile transforms per call; rounding about
// 1e-5 of the output's scale per layer instead of a direct convolution's 1e-7 (one 64-channel
// layer, 2-core Xeon; ResNet-18's and ResNet-50's logits stayed within 1e-6 of eager, and
// test/jit_winograd.test.ts bounds it against float64); and a NaN or infinity in the input
// spreads to its whole tile.
//
// WinogradRewrite runs on a graph about to be fused by oneDNN Graph (native/jit_fuse.cc), with
// the input sizes the executor profiled. It replaces a convolution (batch norm already folded
// into it by freezing) and the residual add and ReLU that follow it with one
// torchts::winograd_conv2d node, where the sizes make that pay: enough tiles for the
// transformed filters to be reused (a 7x7 map at batch 1 has 4 of 4x4 and 16 of 2x2; its
// larger filters would then cost more to read than the multiply-adds they save). The node's
// output is channels-last, the layout oneDNN Graph's partitions use, and its type says so, so
// that the partitions' guards expect it; WinogradLayouts gives other readers a contiguous copy.
#include <ATen/Parallel.h>
#include <torch/csrc/jit/ir/alias_analysis.h>
#include <torch/csrc/jit/ir/constants.h>
#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/passes/tensorexpr_fuser.h>
#include <torch/library.h>
#include <torch/torch.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "jit.h"

namespace torchts {
namespace {

using V16 = float __attribute__((vector_size(64)));

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define TORCHTS_WINO_AVX512 1
#pragma GCC push_options
#pragma GCC target("avx512f")
namespace avx512 {
#include "winograd_tiles.inc"
}  // namespace avx512
#pragma GCC pop_options
#pragma GCC push_options
#pragma GCC target("avx2,fma")
namespace avx2 {
#include "winograd_tiles.inc"
}  // namespace avx2
#pragma GCC pop_options
#endif
namespace baseline {
#include "winograd_tiles.inc"
}  // namespace baseline

using InputTileFn = void (*)(const float*, int64_t, int64_t, int64_t, int64_t, int64_t, float*, int64_t);
using OutputTileFn = void (*)(const float*, int64_t, int64_t, const float*, const float*, float*, int64_t, int64_t,
                              int64_t, int64_t, bool);

// One of the two algorithms: F(tile x tile, 3x3), with (tile + 2)^2 points.
struct Variant {
  int64_t tile, points;
  InputTileFn input;
  OutputTileFn output;
};
struct Variants {
  Variant f4, f2;
};

#define TORCHTS_WINO_VARIANTS(ns)                                                      \
  Variants {                                                                           \
    {4, 36, ns::InputTile, ns::OutputTile}, { 2, 16, ns::InputTile2, ns::OutputTile2 } \
  }

// The tile transforms for this CPU; TORCHTS_WINOGRAD_ISA=avx2 or baseline picks a lesser one
// (to test those builds on an AVX-512 machine).
const Variants& ForThisCpu() {
  static const Variants v = [] {
    const char* isa = std::getenv("TORCHTS_WINOGRAD_ISA");
    const std::string want = isa ? isa : "";
#ifdef TORCHTS_WINO_AVX512
    if (want.empty() && __builtin_cpu_supports("avx512f")) return TORCHTS_WINO_VARIANTS(avx512);
    if ((want.empty() || want == "avx2") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
      return TORCHTS_WINO_VARIANTS(avx2);
#endif
    return TORCHTS_WINO_VARIANTS(baseline);
  }();
  return v;
}

// Fewer tiles than this per convolution and the direct convolution wins (see the top): each
// transformed filter is read once per call and used once per tile. ResNet-50 at batch 1
// (2-core Xeon) was no faster with its 14x14 maps in F(4x4, 3x3)'s 16 tiles.
constexpr int64_t kMinTiles = 32;

int64_t Tiles(int64_t n, int64_t h, int64_t w, int64_t tile) {
  return n * ((h + tile - 1) / tile) * ((w + tile - 1) / tile);
}

// [Cout, Cin, 3, 3] filters -> [points, Cin, Cout]: G g G^T for every channel pair, in float64.
at::Tensor TransformFilters(const at::Tensor& weight, int64_t tile) {
  static const std::vector<double> g4 = {1.0 / 4,  0,         0,        -1.0 / 6, -1.0 / 6, -1.0 / 6,
                                         -1.0 / 6, 1.0 / 6,   -1.0 / 6, 1.0 / 24, 1.0 / 12, 1.0 / 6,
                                         1.0 / 24, -1.0 / 12, 1.0 / 6,  0,        0,        1};
  static const std::vector<double> g2 = {1, 0, 0, 0.5, 0.5, 0.5, 0.5, -0.5, 0.5, 0, 0, 1};
  const int64_t a = tile + 2;
  at::Tensor g = weight.to(at::kDouble).contiguous();
  at::Tensor gt = torch::tensor(tile == 4 ? g4 : g2, at::kDouble).view({a, 3});
  // u[p][q][i][o] = sum_{k,l} G[p][k] g[o][i][k][l] G[q][l]
  at::Tensor u = at::einsum("pk,oikl,ql->pqio", {gt, g, gt});
  return u.reshape({a * a, weight.size(1), weight.size(0)}).to(at::kFloat).contiguous();
}

at::Tensor WinogradConv2d(const at::Tensor& input, const at::Tensor& filters, const at::Tensor& bias,
                          const std::optional<at::Tensor>& residual, bool relu) {
  TORCH_CHECK(input.dim() == 4 && input.scalar_type() == at::kFloat && input.device().is_cpu(),
              "winograd_conv2d expects a 4-D float32 CPU input but received ", input.sizes());
  const int64_t n = input.size(0), c_in = input.size(1), h = input.size(2), w = input.size(3);
  const int64_t c_out = filters.size(2);
  const Variants& variants = ForThisCpu();
  const Variant& fn = filters.size(0) == variants.f4.points ? variants.f4 : variants.f2;
  const int64_t tile = fn.tile, points = fn.points;
  TORCH_CHECK(filters.dim() == 3 && filters.size(0) == points && filters.size(1) == c_in && c_in % 16 == 0 &&
                  c_out % 16 == 0 && bias.numel() == c_out,
              "winograd_conv2d: filters ", filters.sizes(), " do not fit an input of ", c_in, " channels");
  const auto cl = at::MemoryFormat::ChannelsLast;
  const at::Tensor x = input.contiguous(cl);
  at::Tensor out = at::empty({n, c_out, h, w}, x.options().memory_format(cl));
  at::Tensor res;
  if (residual) {
    TORCH_CHECK(residual->sizes() == out.sizes(), "winograd_conv2d: residual of ", residual->sizes(),
                " for an output of ", out.sizes());
    res = residual->to(at::kFloat).contiguous(cl);
  }
  const int64_t th = (h + tile - 1) / tile, tw = (w + tile - 1) / tile, per_image = th * tw;
  const int64_t tiles = n * per_image;
  const float* xp = x.const_data_ptr<float>();
  const float* bp = bias.const_data_ptr<float>();
  const float* rp = res.defined() ? res.const_data_ptr<float>() : nullptr;
  float* op = out.mutable_data_ptr<float>();
  // Tiles [t0, t0 + tc) into v ([points, tc, c_in]), and from m ([points, tc, c_out]) out.
  auto transform_in = [&](int64_t t0, int64_t tc, float* v, int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      const int64_t index = t0 + t, img = index / per_image, r = index % per_image;
      fn.input(xp + img * h * w * c_in, h, w, c_in, (r / tw) * tile, (r % tw) * tile, v + t * c_in, tc * c_in);
    }
  };
  auto transform_out = [&](int64_t t0, int64_t tc, const float* m, int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      const int64_t index = t0 + t, img = index / per_image, r = index % per_image;
      const int64_t offset = img * h * w * c_out;
      fn.output(m + t * c_out, tc * c_out, c_out, bp, rp ? rp + offset : nullptr, op + offset, h, w, (r / tw) * tile,
                (r % tw) * tile, relu);
    }
  };
  // Inside a parallel region ATen's and MKL's GEMMs run on the calling thread alone.
  auto products = [&](float* v, float* m, int64_t tc, int64_t p0, int64_t p1) {
    at::Tensor vt = at::from_blob(v + p0 * tc * c_in, {p1 - p0, tc, c_in}, x.options());
    at::Tensor mt = at::from_blob(m + p0 * tc * c_out, {p1 - p0, tc, c_out}, x.options());
    at::bmm_out(mt, vt, filters.narrow(0, p0, p1 - p0));
  };
  const int64_t threads = at::get_num_threads();
  const int64_t filter_bytes = points * c_in * c_out * 4, tile_bytes = points * (c_in + c_out) * 4;
  if (filter_bytes > tiles * tile_bytes) {
    // Few tiles for the filters' size (small maps at batch 1): the threads split the points,
    // so that each reads only its share of the filters; three steps with a barrier between.
    at::Tensor buf = at::empty({tiles * points * (c_in + c_out)}, x.options());
    float* vp = buf.mutable_data_ptr<float>();
    float* mp = vp + points * tiles * c_in;
    at::parallel_for(0, tiles, 1, [&](int64_t b, int64_t e) { transform_in(0, tiles, vp, b, e); });
    at::parallel_for(0, points, 1, [&](int64_t b, int64_t e) { products(vp, mp, tiles, b, e); });
    at::parallel_for(0, tiles, 1, [&](int64_t b, int64_t e) { transform_out(0, tiles, mp, b, e); });
    return out;
  }
  // Otherwise each thread takes chunks of tiles through all three steps on its own, with no
  // barrier between them: a chunk's transformed inputs and products stay in that core's L2
  // (2 MiB of them). Every thread gets a chunk; but no chunk is under 32 tiles where there are
  // more, since each chunk reads all the filters (with 1 MiB chunks, ResNet-50's Winograd
  // layers at batch 1 took 20% longer).
  const int64_t share = (tiles + threads - 1) / threads;
  const int64_t chunk = std::min(share, std::max<int64_t>((int64_t{2} << 20) / tile_bytes, 32));
  const int64_t chunks = (tiles + chunk - 1) / chunk;
  const int64_t per_thread = points * chunk * (c_in + c_out);
  at::Tensor buf = at::empty({threads * per_thread}, x.options());
  float* bufp = buf.mutable_data_ptr<float>();
  at::parallel_for(0, chunks, 1, [&](int64_t begin, int64_t end) {
    float* vp = bufp + std::min<int64_t>(at::get_thread_num(), threads - 1) * per_thread;
    float* mp = vp + points * chunk * c_in;
    for (int64_t k = begin; k < end; ++k) {
      const int64_t t0 = k * chunk, tc = std::min(chunk, tiles - t0);
      transform_in(t0, tc, vp, 0, tc);
      products(vp, mp, tc, 0, points);
      transform_out(t0, tc, mp, 0, tc);
    }
  });
  return out;
}

// The constant int list behind `v`, or nullopt.
std::optional<std::vector<int64_t>> IntList(torch::jit::Value* v) {
  auto iv = torch::jit::toIValue(v);
  if (!iv || !iv->isIntList()) return std::nullopt;
  return iv->toIntVector();
}

bool IsConstant(torch::jit::Value* v, const c10::IValue& expected) {
  auto iv = torch::jit::toIValue(v);
  if (!iv) return false;
  if (expected.isBool()) return iv->isBool() && iv->toBool() == expected.toBool();
  if (expected.isInt())
    return (iv->isInt() && iv->toInt() == expected.toInt()) || (iv->isDouble() && iv->toDouble() == expected.toInt());
  return false;
}

// Profiled [N, C, H, W] sizes of a float32 CPU tensor value, or nullopt.
std::optional<std::vector<int64_t>> ImageSizes(torch::jit::Value* v) {
  auto t = v->type()->cast<c10::TensorType>();
  if (!t || t->scalarType() != at::kFloat || !t->device() || !t->device()->is_cpu()) return std::nullopt;
  auto sizes = t->sizes().concrete_sizes();
  if (!sizes || sizes->size() != 4) return std::nullopt;
  return sizes;
}

// `t` with these [N, C, H, W] sizes and channels-last strides.
c10::TensorTypePtr ChannelsLast(const c10::TensorTypePtr& t, const std::vector<int64_t>& s) {
  return t->withSizesStrides(s, {s[1] * s[2] * s[3], 1, s[3] * s[1], s[1]});
}

bool IsWinograd(torch::jit::Node* n) {
  static const c10::Symbol kind = c10::Symbol::fromQualString("torchts::winograd_conv2d");
  return n->kind() == kind;
}

bool IsRelu(torch::jit::Node* n) { return n->kind() == c10::aten::relu || n->kind() == c10::aten::relu_; }

// `n` is out + other (alpha 1, same sizes): returns other, else null.
torch::jit::Value* ResidualOf(torch::jit::Node* n, torch::jit::Value* out, const std::vector<int64_t>& sizes) {
  const bool in_place = n->kind() == c10::aten::add_;
  if ((n->kind() != c10::aten::add && !in_place) || n->inputs().size() != 3 || !IsConstant(n->input(2), 1))
    return nullptr;
  torch::jit::Value* other = n->input(0) == out ? n->input(1) : in_place ? nullptr : n->input(0);
  if (!other || other == out || (n->input(0) != out && n->input(1) != out)) return nullptr;
  auto other_sizes = ImageSizes(other);
  return other_sizes && *other_sizes == sizes ? other : nullptr;
}

// One convolution to rewrite, found on the graph as profiled, before any rewrite: the nodes
// the new one replaces (the convolution, then the add and ReLU it absorbs).
struct Plan {
  std::vector<torch::jit::Node*> chain;  // the convolution first
  torch::jit::Node* add = nullptr;       // its residual is add->input(residual_index)
  size_t residual_index = 0;
  bool relu = false;
  int64_t tile = 0;
};

std::optional<Plan> Match(torch::jit::Node* conv, const torch::jit::AliasDb& db,
                          std::unordered_set<torch::jit::Node*>& claimed) {
  using c10::aten::_convolution;
  const bool full = conv->kind() == _convolution;
  if (!full && conv->kind() != c10::aten::conv2d) return std::nullopt;
  if (conv->inputs().size() != (full ? 13u : 7u)) return std::nullopt;
  auto in_sizes = ImageSizes(conv->input(0));
  auto weight = torch::jit::toIValue(conv->input(1));
  auto bias = torch::jit::toIValue(conv->input(2));
  if (!in_sizes || !weight || !weight->isTensor() || !bias || !(bias->isNone() || bias->isTensor()))
    return std::nullopt;
  const at::Tensor wt = weight->toTensor();
  if (wt.scalar_type() != at::kFloat || wt.dim() != 4 || wt.size(2) != 3 || wt.size(3) != 3 ||
      wt.size(1) != (*in_sizes)[1] || wt.size(0) % 16 != 0 || wt.size(1) % 16 != 0)
    return std::nullopt;
  const std::vector<int64_t> ones{1, 1};
  if (IntList(conv->input(3)) != ones || IntList(conv->input(4)) != ones || IntList(conv->input(5)) != ones)
    return std::nullopt;
  if (full ? !IsConstant(conv->input(6), false) || !IsConstant(conv->input(8), 1) : !IsConstant(conv->input(6), 1))
    return std::nullopt;
  const int64_t n = (*in_sizes)[0], h = (*in_sizes)[2], w = (*in_sizes)[3];
  Plan plan{{conv}};
  // F(4x4, 3x3) where it has the tiles; else F(2x2, 3x3), 2.25x fewer multiply-adds than
  // direct with filters 16/9 as large, where that has them (14x14 maps at batch 1).
  plan.tile = Tiles(n, h, w, 4) >= kMinTiles ? 4 : Tiles(n, h, w, 2) >= kMinTiles ? 2 : 0;
  if (plan.tile == 0) return std::nullopt;
  const std::vector<int64_t> out_sizes{n, wt.size(0), h, w};

  // What the convolution's output flows into: + residual, then ReLU (nodes no other
  // convolution's plan took: relu(conv1(x) + conv2(y)) folds into conv1's).
  auto sole_user = [&](torch::jit::Node* node) -> torch::jit::Node* {
    auto& uses = node->output()->uses();
    return uses.size() == 1 && !claimed.count(uses[0].user) ? uses[0].user : nullptr;
  };
  torch::jit::Node* last = conv;
  if (torch::jit::Node* u = sole_user(last)) {
    if (torch::jit::Value* r = ResidualOf(u, last->output(), out_sizes)) {
      plan.add = u;
      plan.residual_index = u->input(0) == r ? 0 : 1;
      plan.chain.push_back(last = u);
    }
  }
  if (torch::jit::Node* u = sole_user(last); u && IsRelu(u)) {
    plan.relu = true;
    plan.chain.push_back(last = u);
  }
  // The new node reads the input and the residual where `last` was: nothing in between may
  // write to them (y = conv(x); x.zero_(); relu(y) stays as it is).
  torch::jit::ValueSet read{conv->input(0)};
  if (plan.add) read.insert(plan.add->input(plan.residual_index));
  for (torch::jit::Node* k = conv->next(); k != last; k = k->next())
    if (db.writesToAlias(k, read)) return std::nullopt;
  for (torch::jit::Node* k : plan.chain) claimed.insert(k);
  return plan;
}

void Apply(const std::shared_ptr<torch::jit::Graph>& g, const Plan& plan) {
  torch::jit::Node* conv = plan.chain.front();
  torch::jit::Node* last = plan.chain.back();
  const at::Tensor wt = torch::jit::toIValue(conv->input(1))->toTensor();
  const c10::IValue bias = *torch::jit::toIValue(conv->input(2));
  auto t = conv->output()->type()->expect<c10::TensorType>();
  const std::vector<int64_t> in_sizes = *ImageSizes(conv->input(0));
  const std::vector<int64_t> out_sizes{in_sizes[0], wt.size(0), in_sizes[2], in_sizes[3]};
  torch::jit::WithInsertPoint point(last);
  at::Tensor b = bias.isTensor() ? bias.toTensor().to(at::kFloat).contiguous() : at::zeros({wt.size(0)});
  torch::jit::Value* filters_v = g->insertConstant(TransformFilters(wt, plan.tile));
  torch::jit::Value* bias_v = g->insertConstant(b);
  torch::jit::Value* residual_v = plan.add ? plan.add->input(plan.residual_index) : g->insertConstant(c10::IValue());
  torch::jit::Value* relu_v = g->insertConstant(plan.relu);
  torch::jit::Node* node = g->create(c10::Symbol::fromQualString("torchts::winograd_conv2d"),
                                     {conv->input(0), filters_v, conv->input(1), bias_v, residual_v, relu_v});
  node->insertBefore(last);
  node->output()->setType(ChannelsLast(t, out_sizes));
  last->output()->replaceAllUsesWith(node->output());
  for (auto k = plan.chain.rbegin(); k != plan.chain.rend(); ++k) (*k)->destroy();
}

// `v`, an input of a Winograd node, comes from a oneDNN Graph partition (behind its guard's
// prim::If) that writes it in PyTorch's contiguous layout: have the partition write it
// channels-last instead, when only Winograd nodes read it.
void ChannelsLastFromPartition(torch::jit::Value* v) {
  torch::jit::Node* branch = v->node();
  if (branch->kind() != c10::prim::If) return;
  torch::jit::Value* inner = branch->blocks()[0]->outputs()[v->offset()];
  torch::jit::Node* group = inner->node();
  if (group->kind() != c10::prim::oneDNNFusionGroup) return;
  // Sizes and strides live on the partition's subgraph; the outer values are plain Tensors.
  torch::jit::Value* produced = group->g(c10::attr::Subgraph)->outputs().at(inner->offset());
  auto t = produced->type()->cast<c10::TensorType>();
  auto sizes = t ? t->sizes().concrete_sizes() : std::nullopt;
  if (!sizes || sizes->size() != 4) return;
  for (const torch::jit::Use& u : v->uses())
    if (!IsWinograd(u.user)) return;
  produced->setType(ChannelsLast(t, *sizes));
}

// The operator: Winograd when no gradient is asked for; otherwise the direct convolution it
// replaced, recorded by autograd as eager's would be (the plan was made under no_grad, but a
// caller may run it with inputs that require grad). Registered CompositeImplicitAutograd so
// that autograd sees the ops this calls.
at::Tensor WinogradConv2dOp(const at::Tensor& input, const at::Tensor& filters, const at::Tensor& weight,
                            const at::Tensor& bias, const std::optional<at::Tensor>& residual, bool relu) {
  const bool grad = at::GradMode::is_enabled() &&
                    (input.requires_grad() || (residual && residual->defined() && residual->requires_grad()));
  const bool fits = !residual || !residual->defined() ||
                    (input.dim() == 4 && residual->sizes() == at::IntArrayRef{input.size(0), filters.size(2),
                                                                              input.size(2), input.size(3)});
  if (!grad && fits) {
    at::AutoDispatchBelowADInplaceOrView below;
    return WinogradConv2d(input, filters, bias, residual, relu);
  }
  if (!grad) {  // a residual that broadcasts (other sizes than profiled): add it as eager does
    at::Tensor out = at::add(WinogradConv2dOp(input, filters, weight, bias, std::nullopt, false), *residual);
    return relu ? at::relu(out) : out;
  }
  at::Tensor out = at::conv2d(input, weight, bias, {1, 1}, {1, 1});
  if (residual && residual->defined()) out = out + *residual;
  return relu ? at::relu(out) : out;
}

}  // namespace

void RegisterWinogradOp() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Registered at load rather than by a static TORCH_LIBRARY: a second copy of the addon in
    // the process (a source build next to the prebuilt one) would abort on a duplicate.
    if (c10::Dispatcher::singleton().findSchema({"torchts::winograd_conv2d", ""})) return;
    static torch::Library lib(torch::Library::FRAGMENT, "torchts", std::nullopt, __FILE__, __LINE__);
    lib.def(
        "winograd_conv2d(Tensor input, Tensor filters, Tensor weight, Tensor bias, Tensor? residual, bool relu) -> "
        "Tensor");
    lib.impl("winograd_conv2d",
             torch::dispatch(c10::DispatchKey::CompositeImplicitAutograd, TORCH_FN(WinogradConv2dOp)));
  });
}

void WinogradLayouts(const std::shared_ptr<torch::jit::Graph>& g) {
  for (torch::jit::Node* n : g->block()->nodes()) {
    if (!IsWinograd(n)) continue;
    ChannelsLastFromPartition(n->input(0));
    if (n->input(4)->type()->cast<c10::TensorType>()) ChannelsLastFromPartition(n->input(4));
    // Readers other than partitions' guards and Winograd nodes (ATen ops, a guard's fallback,
    // the graph's output) get the contiguous layout eager gives (`view` needs it, for one),
    // made right before each of them, so that a fallback copies only when it runs.
    for (const torch::jit::Use& u : std::vector<torch::jit::Use>(n->output()->uses())) {
      if (IsWinograd(u.user) || u.user->kind() == c10::prim::oneDNNFusionGuard) continue;
      torch::jit::WithInsertPoint point(u.user);
      u.user->replaceInput(u.offset, g->insert(c10::aten::contiguous, {n->output()}));
    }
  }
}

void WinogradRewrite(std::shared_ptr<torch::jit::Graph>& g) {
  // The profiled sizes sit on prim::profile nodes, which also hide the constant weights; oneDNN
  // Graph's fuser starts with this pass too.
  torch::jit::RemoveProfileNodesAndSpecializeTypes(g);
  // Every plan is made on the graph as it is, before the first rewrite changes it.
  std::vector<Plan> plans;
  {
    torch::jit::AliasDb db(g);
    std::unordered_set<torch::jit::Node*> claimed;
    for (torch::jit::Node* n : g->block()->nodes())
      if (auto plan = Match(n, db, claimed)) plans.push_back(std::move(*plan));
  }
  for (const Plan& plan : plans) Apply(g, plan);
}

}  // namespace torchts
