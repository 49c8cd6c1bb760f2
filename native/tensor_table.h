// The tensor table: JS holds tensors as integer handles into this table.
// Handing back a plain number is the cheapest way for a result to cross into JS (cheaper
// than constructing an ObjectWrap per result), which keeps per-op overhead below Python's.
// The table is used from the JS thread only.
#pragma once
#include <ATen/ATen.h>
#include <napi.h>

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

namespace torchts {

class TensorTable {
 public:
  static constexpr int32_t kChunk = 4096;

  // Stores `t` and returns its handle; an undefined tensor is returned as -1.
  int32_t Add(Napi::Env env, at::Tensor t);
  // Frees the handle's slot. Freeing -1 or an already freed handle is a no-op.
  void Release(Napi::Env env, int32_t h);
  // The tensor behind `h`; throws TorchError when the handle is not live.
  const at::Tensor& Get(Napi::Env env, int32_t h) const {
    if (h >= 0 && h < capacity_) {
      const at::Tensor& t = (*chunks_[h / kChunk])[h % kChunk];
      if (t.defined()) return t;
    }
    ThrowInvalid(env, h);
  }
  int64_t live() const { return live_; }
  // Calls `fn` for every live tensor.
  template <typename Fn>
  void ForEach(Fn fn) const {
    for (int32_t h = 0; h < capacity_; ++h) {
      const at::Tensor& t = (*chunks_[h / kChunk])[h % kChunk];
      if (t.defined()) fn(t);
    }
  }

 private:
  [[noreturn]] static void ThrowInvalid(Napi::Env env, int32_t h);
  void Account(Napi::Env env, int64_t delta);

  // Chunks never move, so references returned by Get stay valid while the table grows.
  std::vector<std::unique_ptr<std::array<at::Tensor, kChunk>>> chunks_;
  std::vector<std::unique_ptr<std::array<int64_t, kChunk>>> bytes_;
  std::vector<int32_t> free_;
  int32_t capacity_ = 0;
  int64_t live_ = 0;
  int64_t pending_external_ = 0;
};

TensorTable& Table();

}  // namespace torchts
