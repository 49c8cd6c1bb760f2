// Automatic mixed precision: autocast state (thread-local in libtorch, set around a JS
// function by torch.autocast) and the two kernels GradScaler is built from.
#include <ATen/autocast_mode.h>

#include "args.h"

namespace torchts {

// Device types cross as the names torch.autocast takes.
static at::DeviceType AutocastDevice(const Info& info, size_t i) {
  std::string d = info[i].As<Napi::String>().Utf8Value();
  if (d == "cuda") return at::kCUDA;
  if (d == "cpu") return at::kCPU;
  TORCH_CHECK(false, "autocast: unsupported deviceType '", d, "' (expected 'cpu' or 'cuda')");
}

void RegisterAmp(Napi::Env env, Napi::Object exports) {
  // (deviceType) -> {enabled, dtype code, cacheEnabled}
  TORCHTS_DEF("autocastState", {
    at::DeviceType dev = AutocastDevice(info, 0);
    Napi::Object out = Napi::Object::New(info.Env());
    out.Set("enabled", Napi::Boolean::New(info.Env(), at::autocast::is_autocast_enabled(dev)));
    out.Set("dtype", Napi::Number::New(info.Env(), static_cast<int>(at::autocast::get_autocast_dtype(dev))));
    out.Set("cacheEnabled", Napi::Boolean::New(info.Env(), at::autocast::is_autocast_cache_enabled()));
    return out;
  });
  // (deviceType, enabled, dtype code, cacheEnabled, enter): what torch.autocast's
  // __enter__ (enter=true) and __exit__ (enter=false, restoring the saved state) do.
  TORCHTS_DEF("autocastSet", {
    at::DeviceType dev = AutocastDevice(info, 0);
    bool enabled = Bool(info, 1);
    auto dtype = static_cast<at::ScalarType>(Int(info, 2));
    bool cache = Bool(info, 3), enter = Bool(info, 4);
    at::autocast::set_autocast_enabled(dev, enabled);
    at::autocast::set_autocast_dtype(dev, dtype);
    at::autocast::set_autocast_cache_enabled(cache);
    if (enter) {
      at::autocast::increment_nesting();
    } else if (at::autocast::decrement_nesting() == 0) {
      // Leaving the outermost region frees the casted weights cached inside it.
      at::autocast::clear_cache();
    }
    return info.Env().Undefined();
  });
  // (grads[], foundInf, invScale): GradScaler.unscale_'s kernel (grads *= invScale in place;
  // foundInf = 1 if any grad has an inf or NaN).
  TORCHTS_DEF("ampUnscale", {
    std::vector<at::Tensor> grads = TensorList(info, 0);
    at::Tensor foundInf = Tns(info, 1);
    at::_amp_foreach_non_finite_check_and_unscale_(grads, foundInf, Tns(info, 2));
    return info.Env().Undefined();
  });
  // (scale, growthTracker, foundInf, growthFactor, backoffFactor, growthInterval)
  TORCHTS_DEF("ampUpdateScale", {
    at::Tensor scale = Tns(info, 0), tracker = Tns(info, 1);
    at::_amp_update_scale_(scale, tracker, Tns(info, 2), Dbl(info, 3), Dbl(info, 4), Int(info, 5));
    return info.Env().Undefined();
  });
}

}  // namespace torchts
