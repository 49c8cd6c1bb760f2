// What the generic op path (dispatch.cc) cannot do for torch.nn: replacing a parameter's data in
// place (Variable::set_data is not a dispatcher operator). Convolutions, normalisation, pooling,
// linear, dropout and the losses are called through the generic path (lib/nn/functional*.ts).
#include <ATen/ATen.h>

#include "args.h"

namespace torchts {

void RegisterNN(Napi::Env env, Napi::Object exports) {
  // Replaces a tensor's data keeping its identity (autograd leaf, JS object): Module.to().
  TORCHTS_DEF("setData", {
    at::Tensor(Tns(info, 0)).set_data(Tns(info, 1));
    return Self(info);
  });
}

}  // namespace torchts
