// nn.functional kernels: convolution, normalisation, pooling, linear, dropout, losses.
// Optional tensors cross as handle -1.
#include <ATen/ATen.h>

#include "args.h"

namespace torchts {

static std::optional<at::Tensor> OptTns(const Info& info, size_t i) {
  if (IsNil(info, i)) return std::nullopt;
  int32_t h = info[i].As<Napi::Number>().Int32Value();
  if (h < 0) return std::nullopt;
  return Table().Get(info.Env(), h);
}

void RegisterNN(Napi::Env env, Napi::Object exports) {
  // (input, weight, bias, stride[], padding[] | 'same' | 'valid', dilation[], groups)
  TORCHTS_DEF("conv2d", {
    if (info[4].IsString()) {
      return Ret(info, at::conv2d(Tns(info, 0), Tns(info, 1), OptTns(info, 2), IntList(info, 3),
                                  info[4].As<Napi::String>().Utf8Value(), IntList(info, 5), Int(info, 6)));
    }
    return Ret(info, at::conv2d(Tns(info, 0), Tns(info, 1), OptTns(info, 2), IntList(info, 3), IntList(info, 4),
                                IntList(info, 5), Int(info, 6)));
  });
  // (input, weight, bias, runningMean, runningVar, training, momentum, eps)
  TORCHTS_DEF("batchNorm", {
    return Ret(info, at::batch_norm(Tns(info, 0), OptTns(info, 1), OptTns(info, 2), OptTns(info, 3), OptTns(info, 4),
                                    Bool(info, 5), Dbl(info, 6), Dbl(info, 7), /*cudnn_enabled=*/true));
  });
  // (input, kernel[], stride[], padding[], dilation[], ceilMode)
  TORCHTS_DEF("maxPool2d", {
    return Ret(info, at::max_pool2d(Tns(info, 0), IntList(info, 1), IntList(info, 2), IntList(info, 3),
                                    IntList(info, 4), Bool(info, 5)));
  });
  // (input, kernel[], stride[], padding[], ceilMode, countIncludePad, divisorOverride | null)
  TORCHTS_DEF("avgPool2d", {
    return Ret(info, at::avg_pool2d(Tns(info, 0), IntList(info, 1), IntList(info, 2), IntList(info, 3), Bool(info, 4),
                                    Bool(info, 5), OptInt(info, 6)));
  });
  // (input, outputSize[])
  TORCHTS_DEF("adaptiveAvgPool2d", { return Ret(info, at::adaptive_avg_pool2d(Tns(info, 0), IntList(info, 1))); });
  // (input, weight, bias)
  TORCHTS_DEF("linear", { return Ret(info, at::linear(Tns(info, 0), Tns(info, 1), OptTns(info, 2))); });
  // (input, p, training)
  TORCHTS_DEF("dropout", { return Ret(info, at::dropout(Tns(info, 0), Dbl(info, 1), Bool(info, 2))); });
  TORCHTS_DEF("dropout_", {
    at::Tensor t = Tns(info, 0);
    at::dropout_(t, Dbl(info, 1), Bool(info, 2));
    return Self(info);
  });
  // (input, target, weight, reduction, ignoreIndex, labelSmoothing)
  // (input, target, weight, reduction, ignoreIndex)
  // (input, target, reduction)
  // (input, pad[] (last dim first, as F.pad), value)
  // Replaces a tensor's data keeping its identity (autograd leaf, JS object): Module.to().
  TORCHTS_DEF("setData", {
    at::Tensor(Tns(info, 0)).set_data(Tns(info, 1));
    return Self(info);
  });
}

}  // namespace torchts
