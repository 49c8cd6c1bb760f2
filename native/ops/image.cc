// Image kernels for vision.io and vision.transforms. Each op follows torchvision's tensor
// functional code (torchvision/transforms/_functional_tensor.py) step by step with the same
// ATen ops, so results match torchvision's bit for bit on the same libtorch. Images are
// [..., C, H, W]: one image [C, H, W] or a batch [N, C, H, W]; uint8 or floating point.
#include <ATen/ATen.h>

#include <cstring>

#include "args.h"

namespace torchts {

static bool IsFloat(const at::Tensor& t) { return at::isFloatingType(t.scalar_type()); }

// Upper bound of pixel values: 1 for float images, 255 for uint8 (torchvision's _blend).
static double Bound(const at::Tensor& t) { return IsFloat(t) ? 1.0 : 255.0; }

static void CheckImage(const at::Tensor& img, const char* op) {
  TORCH_CHECK(img.dim() >= 2, op, ": expected an image tensor [..., H, W] but received ", img.dim(), " dimension(s)");
}

static void CheckChannels(const at::Tensor& img, const char* op) {
  int64_t c = img.dim() == 2 ? 1 : img.size(-3);
  TORCH_CHECK(c == 1 || c == 3, op, ": expected an image with 1 or 3 channels but received ", c);
}

// _blend: (ratio * img1 + (1 - ratio) * img2).clamp(0, bound).to(img1.dtype)
static at::Tensor Blend(const at::Tensor& img1, const at::Tensor& img2, double ratio) {
  return at::add(at::mul(img1, ratio), at::mul(img2, 1.0 - ratio)).clamp(0, Bound(img1)).to(img1.scalar_type());
}

// rgb_to_grayscale(img, num_output_channels=1) for 3-channel images; a copy for 1 channel.
static at::Tensor Grayscale(const at::Tensor& img) {
  if (img.size(-3) != 3) return img.clone();
  auto c = img.unbind(-3);
  at::Tensor l = at::add(at::add(at::mul(c[0], 0.2989), at::mul(c[1], 0.587)), at::mul(c[2], 0.114));
  return l.to(img.scalar_type()).unsqueeze(-3);
}

// _rgb2hsv on float images in [0, 1].
static at::Tensor RgbToHsv(const at::Tensor& img) {
  auto c = img.unbind(-3);
  const at::Tensor &r = c[0], &g = c[1], &b = c[2];
  at::Tensor maxc = std::get<0>(at::max(img, -3));
  at::Tensor minc = std::get<0>(at::min(img, -3));
  at::Tensor eqc = at::eq(maxc, minc);
  at::Tensor cr = at::sub(maxc, minc);
  at::Tensor ones = at::ones_like(maxc);
  at::Tensor s = at::div(cr, at::where(eqc, ones, maxc));
  at::Tensor crDivisor = at::where(eqc, ones, cr);
  at::Tensor rc = at::div(at::sub(maxc, r), crDivisor);
  at::Tensor gc = at::div(at::sub(maxc, g), crDivisor);
  at::Tensor bc = at::div(at::sub(maxc, b), crDivisor);
  at::Tensor hr = at::mul(at::eq(maxc, r), at::sub(bc, gc));
  at::Tensor hg = at::mul(at::logical_and(at::eq(maxc, g), at::ne(maxc, r)), at::sub(at::add(rc, 2.0), bc));
  at::Tensor hb = at::mul(at::logical_and(at::ne(maxc, g), at::ne(maxc, r)), at::sub(at::add(gc, 4.0), rc));
  at::Tensor h = at::add(at::add(hr, hg), hb);
  h = at::fmod(at::add(at::div(h, 6.0), 1.0), 1.0);
  return at::stack({h, s, maxc}, -3);
}

// _hsv2rgb
static at::Tensor HsvToRgb(const at::Tensor& img) {
  auto c = img.unbind(-3);
  const at::Tensor &h = c[0], &s = c[1], &v = c[2];
  at::Tensor i = at::floor(at::mul(h, 6.0));
  at::Tensor f = at::sub(at::mul(h, 6.0), i);
  i = i.to(at::kInt);
  at::Tensor p = at::clamp(at::mul(v, at::rsub(s, 1.0)), 0.0, 1.0);
  at::Tensor q = at::clamp(at::mul(v, at::rsub(at::mul(s, f), 1.0)), 0.0, 1.0);
  at::Tensor t = at::clamp(at::mul(v, at::rsub(at::mul(s, at::rsub(f, 1.0)), 1.0)), 0.0, 1.0);
  i = at::remainder(i, 6);
  at::Tensor mask = at::eq(i.unsqueeze(-3), at::arange(6, at::TensorOptions().device(i.device())).view({-1, 1, 1}));
  at::Tensor a1 = at::stack({v, q, p, p, t, v}, -3);
  at::Tensor a2 = at::stack({t, v, v, q, p, p}, -3);
  at::Tensor a3 = at::stack({p, p, t, v, v, q}, -3);
  at::Tensor a4 = at::stack({a1, a2, a3}, -4);
  return at::einsum("...ijk, ...xijk -> ...xjk", {mask.to(img.scalar_type()), a4});
}

// Padding modes, as codes from TypeScript: 0 constant, 1 edge, 2 reflect, 3 symmetric.
static at::Tensor PadSymmetric(at::Tensor img, std::vector<int64_t> p) {
  // p = [left, right, top, bottom]; negative entries crop first, as torchvision does.
  if (p[0] < 0 || p[1] < 0 || p[2] < 0 || p[3] < 0) {
    int64_t h = img.size(-2), w = img.size(-1);
    int64_t cl = std::max<int64_t>(-p[0], 0), cr = std::max<int64_t>(-p[1], 0);
    int64_t ct = std::max<int64_t>(-p[2], 0), cb = std::max<int64_t>(-p[3], 0);
    img = img.narrow(-2, ct, h - ct - cb).narrow(-1, cl, w - cl - cr);
    for (auto& x : p) x = std::max<int64_t>(x, 0);
  }
  auto indices = [&](int64_t n, int64_t before, int64_t after) {
    TORCH_CHECK(before <= n && after <= n, "symmetric padding of ", std::max(before, after),
                " needs at least as many pixels but the image has ", n);
    std::vector<int64_t> idx;
    for (int64_t k = before - 1; k >= 0; --k) idx.push_back(k);
    for (int64_t k = 0; k < n; ++k) idx.push_back(k);
    for (int64_t k = 0; k < after; ++k) idx.push_back(n - 1 - k);
    return at::tensor(idx, at::TensorOptions().dtype(at::kLong).device(img.device()));
  };
  at::Tensor ys = indices(img.size(-2), p[2], p[3]);
  at::Tensor xs = indices(img.size(-1), p[0], p[1]);
  return img.index_select(-2, ys).index_select(-1, xs);
}

static at::Tensor Pad(const at::Tensor& input, const std::vector<int64_t>& p, int64_t mode, const at::Scalar& fill) {
  CheckImage(input, "pad");
  TORCH_CHECK(p.size() == 4, "pad: expected 4 paddings [left, right, top, bottom]");
  if (mode == 0) return at::constant_pad_nd(input, p, fill);
  if (mode == 3) return PadSymmetric(input, p);
  // edge / reflect: 4-d float input for F.pad; other dtypes are cast and cast back.
  at::Tensor img = input;
  bool squeeze = img.dim() < 4;
  if (squeeze) img = img.unsqueeze(0);
  at::ScalarType outType = img.scalar_type();
  bool cast = outType != at::kFloat && outType != at::kDouble;
  if (cast) img = img.to(at::kFloat);
  img = at::pad(img, p, mode == 1 ? "replicate" : "reflect", std::nullopt);
  if (squeeze) img = img.squeeze(0);
  if (cast) img = img.to(outType);
  return img;
}

void RegisterImage(Napi::Env env, Napi::Object exports) {
  // (bytes: Uint8Array of H*W*C interleaved pixels, height, width, channels, luma) -> uint8
  // [C, H, W]; with luma, RGB pixels become one channel of ITU-R 601-2 luma computed as PIL's
  // convert('L') does: (R*19595 + G*38470 + B*7471 + 0x8000) >> 16.
  TORCHTS_DEF("imageFromHWC", {
    Napi::Uint8Array src = info[0].As<Napi::Uint8Array>();
    int64_t h = Int(info, 1), w = Int(info, 2), c = Int(info, 3);
    bool luma = !IsNil(info, 4) && Bool(info, 4);
    TORCH_CHECK(h >= 0 && w >= 0 && c > 0 && size_t(h * w * c) == src.ByteLength(), "imageFromHWC: ", src.ByteLength(),
                " bytes do not hold a ", h, "x", w, "x", c, " image");
    TORCH_CHECK(!luma || c >= 3, "imageFromHWC: luma needs RGB pixels but received ", c, " channel(s)");
    at::Tensor out = at::empty({luma ? 1 : c, h, w}, at::TensorOptions().dtype(at::kByte));
    const uint8_t* p = src.Data();
    uint8_t* o = out.data_ptr<uint8_t>();
    if (luma) {
      for (int64_t k = 0, n = h * w; k < n; ++k, p += c)
        o[k] = uint8_t((uint32_t(p[0]) * 19595 + uint32_t(p[1]) * 38470 + uint32_t(p[2]) * 7471 + 0x8000) >> 16);
    } else if (c == 1) {
      if (out.numel()) std::memcpy(o, p, out.numel());
    } else {
      // One strided copy from interleaved HWC into planar CHW.
      at::Tensor hwc = at::from_blob(src.Data(), {h, w, c}, at::TensorOptions().dtype(at::kByte));
      out.copy_(hwc.permute({2, 0, 1}));
    }
    return Ret(info, std::move(out));
  });
  // (input, [height, width], antialias) -> resized: torchvision's resize(bilinear): integer
  // images are resized in float32, rounded and cast back.
  TORCHTS_DEF("imageResize", {
    const at::Tensor& input = Tns(info, 0);
    CheckImage(input, "resize");
    std::vector<int64_t> size = IntList(info, 1);
    bool antialias = Bool(info, 2);
    at::Tensor img = input;
    bool squeeze = img.dim() < 4;
    if (squeeze) img = img.unsqueeze(0);
    at::ScalarType outType = img.scalar_type();
    bool cast = outType != at::kFloat && outType != at::kDouble;
    if (cast) img = img.to(at::kFloat);
    // Flatten leading dims beyond the batch: upsample wants exactly [N, C, H, W].
    std::vector<int64_t> lead(img.sizes().begin(), img.sizes().end() - 2);
    img = img.reshape({-1, img.size(-3), img.size(-2), img.size(-1)});
    img = antialias ? at::_upsample_bilinear2d_aa(img, size, false, std::nullopt, std::nullopt)
                    : at::upsample_bilinear2d(img, size, false, std::nullopt, std::nullopt);
    lead.push_back(size[0]);
    lead.push_back(size[1]);
    img = img.reshape(lead);
    if (squeeze) img = img.squeeze(0);
    if (cast) {
      if (at::isIntegralType(outType, /*includeBool=*/false)) img = at::round(img);
      img = img.to(outType);
    }
    return Ret(info, std::move(img));
  });
  // (input, [left, right, top, bottom], mode code, fill) -> padded (torchvision's pad)
  TORCHTS_DEF("imagePad", { return Ret(info, Pad(Tns(info, 0), IntList(info, 1), Int(info, 2), Scl(info, 3))); });
  // (input, top, left, height, width) -> torchvision's crop: a view inside the image,
  // zero-padded where the box extends past it.
  TORCHTS_DEF("imageCrop", {
    const at::Tensor& img = Tns(info, 0);
    CheckImage(img, "crop");
    int64_t top = Int(info, 1), left = Int(info, 2), height = Int(info, 3), width = Int(info, 4);
    int64_t h = img.size(-2), w = img.size(-1), right = left + width, bottom = top + height;
    if (left >= 0 && top >= 0 && right <= w && bottom <= h) {
      return Ret(info, img.narrow(-2, top, height).narrow(-1, left, width));
    }
    std::vector<int64_t> p = {std::max<int64_t>(-left + std::min<int64_t>(0, right), 0),
                              std::max<int64_t>(right - std::max<int64_t>(w, left), 0),
                              std::max<int64_t>(-top + std::min<int64_t>(0, bottom), 0),
                              std::max<int64_t>(bottom - std::max<int64_t>(h, top), 0)};
    int64_t y0 = std::clamp<int64_t>(top, 0, h), y1 = std::clamp<int64_t>(bottom, y0, h);
    int64_t x0 = std::clamp<int64_t>(left, 0, w), x1 = std::clamp<int64_t>(right, x0, w);
    at::Tensor inside = img.narrow(-2, y0, y1 - y0).narrow(-1, x0, x1 - x0);
    return Ret(info, at::constant_pad_nd(inside, p, 0));
  });
  // (input) -> rgb_to_grayscale(input, 1)
  TORCHTS_DEF("imageGrayscale", {
    const at::Tensor& img = Tns(info, 0);
    TORCH_CHECK(img.dim() >= 3, "rgb_to_grayscale: expected an image with at least 3 dimensions but received ",
                img.dim());
    CheckChannels(img, "rgb_to_grayscale");
    return Ret(info, Grayscale(img));
  });
  // (input, factor) -> adjust_brightness: a blend with black.
  TORCHTS_DEF("imageAdjustBrightness", {
    const at::Tensor& img = Tns(info, 0);
    CheckImage(img, "adjust_brightness");
    CheckChannels(img, "adjust_brightness");
    return Ret(info, Blend(img, at::zeros_like(img), Dbl(info, 1)));
  });
  // (input, factor) -> adjust_contrast: a blend with the mean of the grayscale image.
  TORCHTS_DEF("imageAdjustContrast", {
    const at::Tensor& img = Tns(info, 0);
    CheckImage(img, "adjust_contrast");
    CheckChannels(img, "adjust_contrast");
    at::ScalarType dtype = IsFloat(img) ? img.scalar_type() : at::kFloat;
    at::Tensor gray = img.dim() >= 3 && img.size(-3) == 3 ? Grayscale(img) : img;
    at::Tensor mean = at::mean(gray.to(dtype), {-3, -2, -1}, /*keepdim=*/true);
    return Ret(info, Blend(img, mean, Dbl(info, 1)));
  });
  // (input, factor) -> adjust_saturation: a blend with the grayscale image.
  TORCHTS_DEF("imageAdjustSaturation", {
    const at::Tensor& img = Tns(info, 0);
    CheckImage(img, "adjust_saturation");
    CheckChannels(img, "adjust_saturation");
    if (img.dim() < 3 || img.size(-3) == 1) return Self(info);
    return Ret(info, Blend(img, Grayscale(img), Dbl(info, 1)));
  });
  // (input, factor in [-0.5, 0.5]) -> adjust_hue: rotates hue in HSV space.
  TORCHTS_DEF("imageAdjustHue", {
    const at::Tensor& input = Tns(info, 0);
    CheckImage(input, "adjust_hue");
    CheckChannels(input, "adjust_hue");
    if (input.dim() < 3 || input.size(-3) == 1) return Self(info);
    double factor = Dbl(info, 1);
    at::ScalarType origType = input.scalar_type();
    at::Tensor img = origType == at::kByte ? at::div(input.to(at::kFloat), 255.0) : input;
    img = RgbToHsv(img);
    auto hsv = img.unbind(-3);
    at::Tensor h = at::remainder(at::add(hsv[0], factor), 1.0);
    at::Tensor out = HsvToRgb(at::stack({h, hsv[1], hsv[2]}, -3));
    if (origType == at::kByte) out = at::mul(out, 255.0).to(origType);
    return Ret(info, std::move(out));
  });
}

}  // namespace torchts
