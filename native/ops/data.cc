// Metadata and moving data between tensors and JS TypedArrays (sync and async).
#include <ATen/ATen.h>

#include <cstring>

#include "args.h"

namespace torchts {

// The TypedArray kind a dtype is read back as. float16/bfloat16 widen to float32 and bool
// reads as uint8, since JS has no such arrays on Node 20.
static std::pair<napi_typedarray_type, at::ScalarType> ReadbackType(at::ScalarType s) {
  switch (s) {
    case at::kFloat:
      return {napi_float32_array, at::kFloat};
    case at::kDouble:
      return {napi_float64_array, at::kDouble};
    case at::kHalf:
    case at::kBFloat16:
      return {napi_float32_array, at::kFloat};
    case at::kLong:
      return {napi_bigint64_array, at::kLong};
    case at::kInt:
      return {napi_int32_array, at::kInt};
    case at::kShort:
      return {napi_int16_array, at::kShort};
    case at::kChar:
      return {napi_int8_array, at::kChar};
    case at::kByte:
      return {napi_uint8_array, at::kByte};
    case at::kBool:
      return {napi_uint8_array, at::kByte};
    default:
      throw std::runtime_error(std::string("cannot read back a tensor of dtype ") + c10::toString(s));
  }
}

// A contiguous CPU tensor holding `t`'s values in the read-back dtype.
static at::Tensor Readable(const at::Tensor& t) {
  auto [kind, dtype] = ReadbackType(t.scalar_type());
  (void)kind;
  return t.detach().to(at::kCPU, dtype).contiguous();
}

static Napi::Value ToTypedArray(Napi::Env env, const at::Tensor& cpu, napi_typedarray_type kind) {
  size_t bytes = cpu.nbytes();
  Napi::ArrayBuffer buf = Napi::ArrayBuffer::New(env, bytes);
  if (bytes) std::memcpy(buf.Data(), cpu.data_ptr(), bytes);
  napi_value out;
  napi_status st = napi_create_typedarray(env, kind, cpu.numel(), buf, 0, &out);
  if (st != napi_ok) throw std::runtime_error("could not create a TypedArray");
  return Napi::Value(env, out);
}

// Reads a tensor back on a libuv worker thread: device copy, dtype conversion and
// contiguity all happen off the JS thread.
class ReadWorker : public Napi::AsyncWorker {
 public:
  ReadWorker(Napi::Env env, at::Tensor t)
      : Napi::AsyncWorker(env), tensor_(std::move(t)), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
    try {
      kind_ = ReadbackType(tensor_.scalar_type()).first;
      result_ = Readable(tensor_);
    } catch (const c10::Error& e) { SetError(e.what_without_backtrace()); } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override {
    try {
      deferred_.Resolve(ToTypedArray(Env(), result_, kind_));
    } catch (...) { deferred_.Reject(MakeTorchError(Env(), "could not create a TypedArray").Value()); }
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(MakeTorchError(Env(), e.Message()).Value()); }

 private:
  at::Tensor tensor_, result_;
  napi_typedarray_type kind_ = napi_float32_array;
  Napi::Promise::Deferred deferred_;
};

static at::ScalarType SourceDtype(napi_typedarray_type kind) {
  switch (kind) {
    case napi_float32_array:
      return at::kFloat;
    case napi_float64_array:
      return at::kDouble;
    case napi_int32_array:
      return at::kInt;
    case napi_int16_array:
      return at::kShort;
    case napi_int8_array:
      return at::kChar;
    case napi_uint8_array:
    case napi_uint8_clamped_array:
      return at::kByte;
    case napi_bigint64_array:
      return at::kLong;
    default:
      throw std::runtime_error("unsupported TypedArray kind for tensor data");
  }
}

void RegisterData(Napi::Env env, Napi::Object exports) {
  // The raw bytes of a tensor in its own dtype, row-major (for file formats).
  TORCHTS_DEF("toBytes", {
    at::Tensor cpu = Tns(info, 0).detach().to(at::kCPU).contiguous();
    Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::New(info.Env(), cpu.nbytes());
    if (cpu.nbytes()) std::memcpy(out.Data(), cpu.data_ptr(), cpu.nbytes());
    return out;
  });
  // (bytes: Uint8Array, shape, dtype) -> a CPU tensor whose memory is a copy of the bytes.
  TORCHTS_DEF("fromBytes", {
    Napi::Uint8Array src = info[0].As<Napi::Uint8Array>();
    std::vector<int64_t> shape = IntList(info, 1);
    at::ScalarType dtype = static_cast<at::ScalarType>(info[2].As<Napi::Number>().Int32Value());
    at::Tensor t = at::empty(shape, at::TensorOptions().dtype(dtype));
    TORCH_CHECK(t.nbytes() == src.ByteLength(), "expected ", t.nbytes(), " bytes for a ", c10::toString(dtype),
                " tensor of shape ", t.sizes(), " but received ", src.ByteLength());
    if (t.nbytes()) std::memcpy(t.data_ptr(), src.Data(), t.nbytes());
    return Ret(info, std::move(t));
  });
  TORCHTS_DEF("shape", {
    const at::Tensor& t = Tns(info, 0);
    Napi::Array out = Napi::Array::New(info.Env(), t.dim());
    for (int64_t d = 0; d < t.dim(); ++d) out.Set(uint32_t(d), Napi::Number::New(info.Env(), double(t.size(d))));
    return out;
  });
  TORCHTS_DEF("strides", {
    const at::Tensor& t = Tns(info, 0);
    Napi::Array out = Napi::Array::New(info.Env(), t.dim());
    for (int64_t d = 0; d < t.dim(); ++d) out.Set(uint32_t(d), Napi::Number::New(info.Env(), double(t.stride(d))));
    return out;
  });
  TORCHTS_DEF("storageOffset", { return Napi::Number::New(info.Env(), double(Tns(info, 0).storage_offset())); });
  TORCHTS_DEF("dim", { return Napi::Number::New(info.Env(), double(Tns(info, 0).dim())); });
  TORCHTS_DEF("numel", { return Napi::Number::New(info.Env(), double(Tns(info, 0).numel())); });
  TORCHTS_DEF("dtype", { return Napi::Number::New(info.Env(), int(Tns(info, 0).scalar_type())); });
  TORCHTS_DEF("device", { return Napi::String::New(info.Env(), Tns(info, 0).device().str()); });
  TORCHTS_DEF("isContiguous", { return Napi::Boolean::New(info.Env(), Tns(info, 0).is_contiguous()); });
  TORCHTS_DEF("sameStorage", {
    const at::Tensor& a = Tns(info, 0);
    const at::Tensor& b = Tns(info, 1);
    return Napi::Boolean::New(info.Env(), a.has_storage() && b.has_storage() && a.storage().is_alias_of(b.storage()));
  });
  // (handle) -> [identity, bytes] of the tensor's storage: views of one storage give one
  // identity while they live (torch.save writes each storage once).
  TORCHTS_DEF("storageInfo", {
    const at::Tensor& t = Tns(info, 0);
    TORCH_CHECK(t.has_storage(), "a tensor without storage (", t.toString(), ") cannot be saved");
    Napi::Array out = Napi::Array::New(info.Env(), 2);
    out.Set(0u, Napi::Number::New(info.Env(), double(reinterpret_cast<uintptr_t>(t.storage().unsafeGetStorageImpl()))));
    out.Set(1u, Napi::Number::New(info.Env(), double(t.storage().nbytes())));
    return out;
  });
  // (handle, alias) -> Buffer with every byte of the tensor's storage. With `alias` a CPU
  // storage is not copied: the Buffer views its memory and keeps it alive (for a synchronous
  // save, which writes it before any JS runs); otherwise, and from other devices, a copy.
  TORCHTS_DEF("storageBytes", {
    const at::Tensor& t = Tns(info, 0);
    TORCH_CHECK(t.has_storage(), "a tensor without storage cannot be saved");
    const c10::Storage& storage = t.storage();
    size_t n = storage.nbytes();
    if (n && Bool(info, 1) && storage.device().is_cpu()) {
      auto* keep = new c10::Storage(storage);
      return Napi::Buffer<uint8_t>::NewOrCopy(
          info.Env(), const_cast<uint8_t*>(static_cast<const uint8_t*>(keep->data())), n,
          [](Napi::Env, uint8_t*, c10::Storage* s) { delete s; }, keep);
    }
    at::Tensor bytes = at::empty({0}, at::TensorOptions().dtype(at::kByte).device(t.device()));
    bytes.set_(storage, 0, {int64_t(n)}, {1});
    at::Tensor cpu = bytes.cpu();
    Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::New(info.Env(), n);
    if (n) std::memcpy(out.Data(), cpu.data_ptr(), n);
    return out;
  });
  TORCHTS_DEF("item", {
    at::Scalar s = Tns(info, 0).item();
    if (s.isBoolean()) return Napi::Boolean::New(info.Env(), s.toBool());
    if (s.isIntegral(false)) return Napi::Number::New(info.Env(), double(s.toLong()));
    return Napi::Number::New(info.Env(), s.toDouble());
  });
  TORCHTS_DEF("toTyped", {
    const at::Tensor& t = Tns(info, 0);
    auto kind = ReadbackType(t.scalar_type()).first;
    return ToTypedArray(info.Env(), Readable(t), kind);
  });
  TORCHTS_DEF("dataAsync", {
    auto* w = new ReadWorker(info.Env(), Tns(info, 0));
    Napi::Promise p = w->Promise();
    w->Queue();
    return p;
  });
  // (typedArray, shape, dtype | -1, device | null) -> handle. The data are copied.
  TORCHTS_DEF("fromTyped", {
    Napi::TypedArray src = info[0].As<Napi::TypedArray>();
    at::ScalarType from = SourceDtype(src.TypedArrayType());
    std::vector<int64_t> shape = IntList(info, 1);
    int64_t numel = 1;
    for (int64_t s : shape) numel *= s;
    if (numel != int64_t(src.ElementLength()))
      throw std::runtime_error("data has " + std::to_string(src.ElementLength()) + " elements but shape needs " +
                               std::to_string(numel));
    at::Tensor t = at::empty(shape, at::TensorOptions().dtype(from));
    if (t.nbytes()) {
      Napi::ArrayBuffer buf = src.ArrayBuffer();
      std::memcpy(t.data_ptr(), static_cast<uint8_t*>(buf.Data()) + src.ByteOffset(), t.nbytes());
    }
    auto dtype = OptDtype(info, 2).value_or(from);
    auto device = OptDevice(info, 3).value_or(at::Device(at::kCPU));
    if (dtype != from || !device.is_cpu()) t = t.to(device, dtype);
    return Ret(info, std::move(t));
  });
}

}  // namespace torchts
