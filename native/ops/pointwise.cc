// Pointwise math and comparisons. Binary ops come in four forms: tensor-tensor, tensor-scalar
// ("s" suffix), and in-place versions of both ("_" suffix), mirroring Tensor.add / add_.
#include <ATen/ATen.h>
#include <ATen/ScalarOps.h>

#include "args.h"

// Python turns a number operand of + - * / into a "wrapped number" tensor and calls the
// Tensor overload (so autograd records AddBackward0, not AddBackward1); do the same.
#define WRAPPED(i) at::native::wrapped_scalar_tensor(Scl(info, i))

// name: JS name; fn: at:: function; method: in-place Tensor method; the scalar forms go
// through wrapped-number tensors, as Python's do.
#define BINARY_WRAPPED(name, fn, method)                                          \
  TORCHTS_DEF(name, { return Ret(info, at::fn(Tns(info, 0), Tns(info, 1))); });   \
  TORCHTS_DEF(name "S", { return Ret(info, at::fn(Tns(info, 0), WRAPPED(1))); }); \
  TORCHTS_DEF(name "_", {                                                         \
    Tns(info, 0).method(Tns(info, 1));                                            \
    return Self(info);                                                            \
  });                                                                             \
  TORCHTS_DEF(name "S_", {                                                        \
    Tns(info, 0).method(WRAPPED(1));                                              \
    return Self(info);                                                            \
  })

// name: JS name; fn: at:: function; method: in-place Tensor method.
#define BINARY(name, fn, method)                                                    \
  TORCHTS_DEF(name, { return Ret(info, at::fn(Tns(info, 0), Tns(info, 1))); });     \
  TORCHTS_DEF(name "S", { return Ret(info, at::fn(Tns(info, 0), Scl(info, 1))); }); \
  TORCHTS_DEF(name "_", {                                                           \
    Tns(info, 0).method(Tns(info, 1));                                              \
    return Self(info);                                                              \
  });                                                                               \
  TORCHTS_DEF(name "S_", {                                                          \
    Tns(info, 0).method(Scl(info, 1));                                              \
    return Self(info);                                                              \
  })

#define UNARY(name, fn) TORCHTS_DEF(name, { return Ret(info, at::fn(Tns(info, 0))); })
#define UNARY_(name, fn, method) \
  UNARY(name, fn);               \
  TORCHTS_DEF(name "_", {        \
    Tns(info, 0).method();       \
    return Self(info);           \
  })

namespace torchts {

void RegisterPointwise(Napi::Env env, Napi::Object exports) {
  // add/sub take alpha: self + alpha * other.
  TORCHTS_DEF("add", { return Ret(info, at::add(Tns(info, 0), Tns(info, 1), Scl(info, 2))); });
  TORCHTS_DEF("addS", { return Ret(info, at::add(Tns(info, 0), WRAPPED(1), Scl(info, 2))); });
  TORCHTS_DEF("add_", {
    Tns(info, 0).add_(Tns(info, 1), Scl(info, 2));
    return Self(info);
  });
  TORCHTS_DEF("addS_", {
    Tns(info, 0).add_(WRAPPED(1), Scl(info, 2));
    return Self(info);
  });
  TORCHTS_DEF("sub", { return Ret(info, at::sub(Tns(info, 0), Tns(info, 1), Scl(info, 2))); });
  TORCHTS_DEF("subS", { return Ret(info, at::sub(Tns(info, 0), WRAPPED(1), Scl(info, 2))); });
  TORCHTS_DEF("sub_", {
    Tns(info, 0).sub_(Tns(info, 1), Scl(info, 2));
    return Self(info);
  });
  TORCHTS_DEF("subS_", {
    Tns(info, 0).sub_(WRAPPED(1), Scl(info, 2));
    return Self(info);
  });
  // scalar - tensor and scalar / tensor (rsub, reciprocal-style) for JS, which has no __rsub__.
  TORCHTS_DEF("rsubS", { return Ret(info, at::rsub(Tns(info, 0), Scl(info, 1))); });
  BINARY_WRAPPED("mul", mul, mul_);
  BINARY_WRAPPED("div", div, div_);
  BINARY("pow", pow, pow_);
  BINARY("remainder", remainder, remainder_);
  BINARY("fmod", fmod, fmod_);
  BINARY("floorDivide", floor_divide, floor_divide_);
  BINARY("eq", eq, eq_);
  BINARY("ne", ne, ne_);
  BINARY("lt", lt, lt_);
  BINARY("le", le, le_);
  BINARY("gt", gt, gt_);
  BINARY("ge", ge, ge_);
  TORCHTS_DEF("rpowS", { return Ret(info, at::pow(Scl(info, 1), Tns(info, 0))); });
  TORCHTS_DEF("maximum", { return Ret(info, at::maximum(Tns(info, 0), Tns(info, 1))); });
  TORCHTS_DEF("minimum", { return Ret(info, at::minimum(Tns(info, 0), Tns(info, 1))); });
  TORCHTS_DEF("atan2", { return Ret(info, at::atan2(Tns(info, 0), Tns(info, 1))); });
  TORCHTS_DEF("logicalAnd", { return Ret(info, at::logical_and(Tns(info, 0), Tns(info, 1))); });
  TORCHTS_DEF("logicalOr", { return Ret(info, at::logical_or(Tns(info, 0), Tns(info, 1))); });
  TORCHTS_DEF("logicalXor", { return Ret(info, at::logical_xor(Tns(info, 0), Tns(info, 1))); });
  // (cond, a, b) with a/b tensors.
  TORCHTS_DEF("where", { return Ret(info, at::where(Tns(info, 0), Tns(info, 1), Tns(info, 2))); });
  // (self, min | null, max | null)
  TORCHTS_DEF("clamp", { return Ret(info, at::clamp(Tns(info, 0), OptScl(info, 1), OptScl(info, 2))); });
  TORCHTS_DEF("clamp_", {
    Tns(info, 0).clamp_(OptScl(info, 1), OptScl(info, 2));
    return Self(info);
  });
  // (self, t1, t2, value): self + value * t1 * t2 and self + value * t1 / t2
  TORCHTS_DEF("addcmul_", {
    Tns(info, 0).addcmul_(Tns(info, 1), Tns(info, 2), Scl(info, 3));
    return Self(info);
  });
  TORCHTS_DEF("addcdiv_", {
    Tns(info, 0).addcdiv_(Tns(info, 1), Tns(info, 2), Scl(info, 3));
    return Self(info);
  });
  TORCHTS_DEF("lerp_", {
    Tns(info, 0).lerp_(Tns(info, 1), Scl(info, 2));
    return Self(info);
  });
  TORCHTS_DEF("copy_", {
    Tns(info, 0).copy_(Tns(info, 1), Bool(info, 2));
    return Self(info);
  });
  TORCHTS_DEF("maskedFill", { return Ret(info, at::masked_fill(Tns(info, 0), Tns(info, 1), Scl(info, 2))); });
  TORCHTS_DEF("maskedFill_", {
    Tns(info, 0).masked_fill_(Tns(info, 1), Scl(info, 2));
    return Self(info);
  });

  UNARY_("neg", neg, neg_);
  UNARY_("abs", abs, abs_);
  UNARY_("exp", exp, exp_);
  UNARY_("log", log, log_);
  UNARY_("log2", log2, log2_);
  UNARY_("log10", log10, log10_);
  UNARY_("log1p", log1p, log1p_);
  UNARY_("expm1", expm1, expm1_);
  UNARY_("sqrt", sqrt, sqrt_);
  UNARY_("rsqrt", rsqrt, rsqrt_);
  UNARY_("square", square, square_);
  UNARY_("sin", sin, sin_);
  UNARY_("cos", cos, cos_);
  UNARY_("tan", tan, tan_);
  UNARY_("asin", asin, asin_);
  UNARY_("acos", acos, acos_);
  UNARY_("atan", atan, atan_);
  UNARY_("sinh", sinh, sinh_);
  UNARY_("cosh", cosh, cosh_);
  UNARY_("tanh", tanh, tanh_);
  UNARY_("sigmoid", sigmoid, sigmoid_);
  UNARY_("relu", relu, relu_);
  UNARY_("erf", erf, erf_);
  UNARY_("floor", floor, floor_);
  UNARY_("ceil", ceil, ceil_);
  UNARY_("round", round, round_);
  UNARY_("trunc", trunc, trunc_);
  UNARY_("frac", frac, frac_);
  UNARY_("sign", sign, sign_);
  UNARY_("reciprocal", reciprocal, reciprocal_);
  UNARY_("logicalNot", logical_not, logical_not_);
  UNARY("isnan", isnan);
  UNARY("isinf", isinf);
  UNARY("isfinite", isfinite);
  // (a, b, rtol, atol, equalNan) -> boolean; (a, b) -> boolean
  TORCHTS_DEF("allclose", {
    return Napi::Boolean::New(info.Env(),
                              at::allclose(Tns(info, 0), Tns(info, 1), Dbl(info, 2), Dbl(info, 3), Bool(info, 4)));
  });
  TORCHTS_DEF("equal", { return Napi::Boolean::New(info.Env(), at::equal(Tns(info, 0), Tns(info, 1))); });
  TORCHTS_DEF("matmul", { return Ret(info, at::matmul(Tns(info, 0), Tns(info, 1))); });
  TORCHTS_DEF("mm", { return Ret(info, at::mm(Tns(info, 0), Tns(info, 1))); });
  TORCHTS_DEF("bmm", { return Ret(info, at::bmm(Tns(info, 0), Tns(info, 1))); });
  TORCHTS_DEF("dot", { return Ret(info, at::dot(Tns(info, 0), Tns(info, 1))); });
  TORCHTS_DEF("outer", { return Ret(info, at::outer(Tns(info, 0), Tns(info, 1))); });
  TORCHTS_DEF("softmax", { return Ret(info, at::softmax(Tns(info, 0), Int(info, 1), OptDtype(info, 2))); });
  TORCHTS_DEF("logSoftmax", { return Ret(info, at::log_softmax(Tns(info, 0), Int(info, 1), OptDtype(info, 2))); });
}

}  // namespace torchts
