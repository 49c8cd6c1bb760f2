// Shape, view, joining and indexing ops.
#include <ATen/ATen.h>
#include <ATen/TensorIndexing.h>

#include "args.h"

namespace torchts {

using at::indexing::TensorIndex;

// Index items cross as: number (an integer index), null (None / new axis), 'e' (...),
// [start | null, stop | null, step] (a slice), or {t: handle} (a tensor index).
static std::vector<TensorIndex> IndexList(const Info& info, size_t i) {
  Napi::Array a = info[i].As<Napi::Array>();
  std::vector<TensorIndex> out;
  out.reserve(a.Length());
  for (uint32_t k = 0; k < a.Length(); ++k) {
    Napi::Value v = a.Get(k);
    if (v.IsNumber()) {
      out.emplace_back(v.As<Napi::Number>().Int64Value());
    } else if (v.IsNull() || v.IsUndefined()) {
      out.emplace_back(at::indexing::None);
    } else if (v.IsString()) {
      out.emplace_back(at::indexing::Ellipsis);
    } else if (v.IsArray()) {
      Napi::Array s = v.As<Napi::Array>();
      auto opt = [&](uint32_t j) -> std::optional<c10::SymInt> {
        Napi::Value x = s.Get(j);
        if (x.IsNull() || x.IsUndefined()) return std::nullopt;
        return c10::SymInt(x.As<Napi::Number>().Int64Value());
      };
      out.emplace_back(at::indexing::Slice(opt(0), opt(1), opt(2)));
    } else {
      int32_t h = v.As<Napi::Object>().Get("t").As<Napi::Number>().Int32Value();
      out.emplace_back(Table().Get(info.Env(), h));
    }
  }
  return out;
}

void RegisterShape(Napi::Env env, Napi::Object exports) {
  TORCHTS_DEF("view", { return Ret(info, Tns(info, 0).view(IntList(info, 1))); });
  TORCHTS_DEF("reshape", { return Ret(info, Tns(info, 0).reshape(IntList(info, 1))); });
  TORCHTS_DEF("expand", { return Ret(info, Tns(info, 0).expand(IntList(info, 1))); });
  TORCHTS_DEF("repeat", { return Ret(info, Tns(info, 0).repeat(IntList(info, 1))); });
  TORCHTS_DEF("permute", { return Ret(info, Tns(info, 0).permute(IntList(info, 1))); });
  TORCHTS_DEF("flip", { return Ret(info, Tns(info, 0).flip(IntList(info, 1))); });
  TORCHTS_DEF("transpose", { return Ret(info, Tns(info, 0).transpose(Int(info, 1), Int(info, 2))); });
  TORCHTS_DEF("t", { return Ret(info, Tns(info, 0).t()); });
  TORCHTS_DEF("flatten", { return Ret(info, Tns(info, 0).flatten(Int(info, 1), Int(info, 2))); });
  // (self, dim | null)
  TORCHTS_DEF("squeeze", {
    auto dim = OptInt(info, 1);
    return Ret(info, dim ? Tns(info, 0).squeeze(*dim) : Tns(info, 0).squeeze());
  });
  TORCHTS_DEF("unsqueeze", { return Ret(info, Tns(info, 0).unsqueeze(Int(info, 1))); });
  TORCHTS_DEF("cat", { return Ret(info, at::cat(TensorList(info, 0), Int(info, 1))); });
  TORCHTS_DEF("stack", { return Ret(info, at::stack(TensorList(info, 0), Int(info, 1))); });
  // (self, size | sizes[], dim) -> handles
  TORCHTS_DEF("split", {
    if (info[1].IsArray()) return RetList(info, Tns(info, 0).split_with_sizes(IntList(info, 1), Int(info, 2)));
    return RetList(info, Tns(info, 0).split(Int(info, 1), Int(info, 2)));
  });
  TORCHTS_DEF("chunk", { return RetList(info, Tns(info, 0).chunk(Int(info, 1), Int(info, 2))); });
  TORCHTS_DEF("unbind", { return RetList(info, Tns(info, 0).unbind(Int(info, 1))); });
  // (self, dim, start, length)
  TORCHTS_DEF("narrow", { return Ret(info, Tns(info, 0).narrow(Int(info, 1), Int(info, 2), Int(info, 3))); });
  // (self, dim, index)
  TORCHTS_DEF("select", { return Ret(info, Tns(info, 0).select(Int(info, 1), Int(info, 2))); });
  TORCHTS_DEF("indexSelect", { return Ret(info, Tns(info, 0).index_select(Int(info, 1), Tns(info, 2))); });
  TORCHTS_DEF("gather", { return Ret(info, Tns(info, 0).gather(Int(info, 1), Tns(info, 2))); });
  // (self, dim, index, src)
  // (self, indices)
  TORCHTS_DEF("index", { return Ret(info, Tns(info, 0).index(IndexList(info, 1))); });
  // (self, indices, value handle) / (self, indices, scalar)
  TORCHTS_DEF("indexPut_", {
    at::Tensor(Tns(info, 0)).index_put_(IndexList(info, 1), Tns(info, 2));
    return Self(info);
  });
  TORCHTS_DEF("indexPutS_", {
    at::Tensor(Tns(info, 0)).index_put_(IndexList(info, 1), Scl(info, 2));
    return Self(info);
  });
  // (self, dtype): reinterprets the bytes as another dtype (Tensor.view(dtype)).
  TORCHTS_DEF("viewDtype", { return Ret(info, Tns(info, 0).view(static_cast<at::ScalarType>(Int(info, 1)))); });
  // (self, memoryFormat | null): at::MemoryFormat codes (0 contiguous, 2 channels_last).
  TORCHTS_DEF("contiguous", {
    auto fmt = static_cast<at::MemoryFormat>(OptInt(info, 1).value_or(0));
    return RetOrSelf(info, Tns(info, 0), Tns(info, 0).contiguous(fmt));
  });
  TORCHTS_DEF("isContiguousAs", {
    return Napi::Boolean::New(info.Env(), Tns(info, 0).is_contiguous(static_cast<at::MemoryFormat>(Int(info, 1))));
  });
  // (self, size, stride, storageOffset): a view of self's storage (torch.as_strided). libtorch
  // checks that the view lies inside the storage; JS checks the arguments first.
  TORCHTS_DEF("asStrided", {
    std::vector<int64_t> size = IntList(info, 1), stride = IntList(info, 2);
    TORCH_CHECK(size.size() == stride.size(), "as_strided: size has ", size.size(), " dimensions but stride has ",
                stride.size());
    return Ret(info, Tns(info, 0).as_strided(size, stride, Int(info, 3)));
  });
  TORCHTS_DEF("clone", { return Ret(info, Tns(info, 0).clone()); });
  TORCHTS_DEF("detach", { return Ret(info, Tns(info, 0).detach()); });
  TORCHTS_DEF("detach_", {
    Tns(info, 0).detach_();
    return Self(info);
  });
  // (self, dtype | -1, device | null, nonBlocking, copy, memoryFormat | null)
  TORCHTS_DEF("to", {
    const at::Tensor& t = Tns(info, 0);
    auto dtype = OptDtype(info, 1).value_or(t.scalar_type());
    auto device = OptDevice(info, 2).value_or(t.device());
    auto fmt = OptInt(info, 5);
    return RetOrSelf(info, t,
                     t.to(device, dtype, Bool(info, 3), Bool(info, 4),
                          fmt ? std::optional<at::MemoryFormat>(static_cast<at::MemoryFormat>(*fmt)) : std::nullopt));
  });
}

}  // namespace torchts
