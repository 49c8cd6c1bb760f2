#include "tensor_table.h"

#include "errors.h"

namespace torchts {

TensorTable& Table() {
  static TensorTable table;
  return table;
}

int32_t TensorTable::Add(Napi::Env env, at::Tensor t) {
  if (!t.defined()) return -1;
  if (free_.empty()) {
    chunks_.push_back(std::make_unique<std::array<at::Tensor, kChunk>>());
    bytes_.push_back(std::make_unique<std::array<int64_t, kChunk>>());
    free_.reserve(kChunk);
    for (int32_t i = kChunk - 1; i >= 0; --i) free_.push_back(capacity_ + i);
    capacity_ += kChunk;
  }
  int32_t h = free_.back();
  free_.pop_back();
  // CPU bytes are reported to V8 so that the garbage collector feels their weight;
  // GPU memory is not V8's business.
  int64_t bytes = t.is_cpu() ? static_cast<int64_t>(t.nbytes()) : 0;
  (*bytes_[h / kChunk])[h % kChunk] = bytes;
  (*chunks_[h / kChunk])[h % kChunk] = std::move(t);
  ++live_;
  if (bytes) Account(env, bytes);
  return h;
}

void TensorTable::Release(Napi::Env env, int32_t h) {
  if (h < 0 || h >= capacity_) return;
  at::Tensor& t = (*chunks_[h / kChunk])[h % kChunk];
  if (!t.defined()) return;
  t.reset();
  free_.push_back(h);
  --live_;
  int64_t bytes = (*bytes_[h / kChunk])[h % kChunk];
  if (bytes) Account(env, -bytes);
}

void TensorTable::Account(Napi::Env env, int64_t delta) {
  // Batched: adjusting V8's external memory on every small tensor would cost more than the op.
  pending_external_ += delta;
  if (pending_external_ > (1 << 20) || pending_external_ < -(1 << 20)) {
    Napi::MemoryManagement::AdjustExternalMemory(env, pending_external_);
    pending_external_ = 0;
  }
}

void TensorTable::ThrowInvalid(Napi::Env env, int32_t h) {
  ThrowTorchError(env, "Tensor handle " + std::to_string(h) + " is not live: the tensor was disposed or never existed");
}

}  // namespace torchts
