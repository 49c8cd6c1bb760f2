#include "tensor_table.h"

#include <algorithm>

#include "errors.h"
#include "state.h"

namespace torchts {

TensorTable& Table() { return State().table; }

int32_t TensorTable::Add(Napi::Env env, at::Tensor t) {
  if (!t.defined()) return -1;
  if (free_.empty()) {
    chunks_.push_back(std::make_unique<std::array<at::Tensor, kChunk>>());
    meta_.push_back(std::make_unique<std::array<Meta, kChunk>>());
    free_.reserve(kChunk);
    for (int32_t i = kChunk - 1; i >= 0; --i) free_.push_back(capacity_ + i);
    capacity_ += kChunk;
  }
  int32_t h = free_.back();
  free_.pop_back();
  Meta& m = MetaOf(h);
  m.bytes = static_cast<int64_t>(t.nbytes());
  // CPU bytes are reported to V8 so that the garbage collector feels their weight;
  // GPU memory is not V8's business.
  m.host_bytes = t.is_cpu() ? m.bytes : 0;
  m.scope = 0;
  m.kept = false;
  live_unkept_bytes_ += m.bytes;
  ++live_unkept_count_;
  made_since_sweep_ += m.bytes;
  (*chunks_[h / kChunk])[h % kChunk] = std::move(t);
  ++live_;
  if (m.host_bytes) Account(env, m.host_bytes);
  unwatched_bytes_ += m.bytes;
  if (unwatched_bytes_ > kFlushBytes && pressure_flag_) *pressure_flag_ = 1;
  return h;
}

void TensorTable::Release(Napi::Env env, int32_t h) {
  if (!IsLive(h)) return;
  (*chunks_[h / kChunk])[h % kChunk].reset();
  free_.push_back(h);
  --live_;
  Meta& m = MetaOf(h);
  if (m.owner) {
    napi_delete_reference(env, m.owner);
    m.owner = nullptr;
    --watched_;
  }
  m.scope = 0;
  if (!m.kept) {
    live_unkept_bytes_ -= m.bytes;
    --live_unkept_count_;
  }
  if (m.host_bytes) Account(env, -m.host_bytes);
}

void TensorTable::AddToScope(int32_t h, int32_t scope) {
  MetaOf(h).scope = scope;
  if (scope > 0 && scope < static_cast<int32_t>(scopes_.size())) scopes_[scope].push_back(h);
}

bool TensorTable::Watch(Napi::Env env, int32_t h, napi_value owner, int32_t scope) {
  unwatched_bytes_ = 0;
  if (pressure_flag_) *pressure_flag_ = 0;
  if (!IsLive(h)) return SweepDue();
  Meta& m = MetaOf(h);
  if (!m.owner) {
    if (napi_create_reference(env, owner, 0, &m.owner) != napi_ok) {
      m.owner = nullptr;
    } else {
      ++watched_;
      young_.push_back(h);
    }
  }
  if (scope > 0 && m.scope == 0 && !m.kept) AddToScope(h, scope);
  return SweepDue();
}

void TensorTable::Unscope(int32_t h, bool kept) {
  if (!IsLive(h)) return;
  Meta& m = MetaOf(h);
  m.scope = 0;
  if (kept && !m.kept) {
    m.kept = true;
    live_unkept_bytes_ -= m.bytes;
    --live_unkept_count_;
  }
}

int32_t TensorTable::Sweep(Napi::Env env, bool full) {
  int32_t freed = 0;
  // Whether the slot's JS object is gone; frees the slot if so.
  auto dead = [&](int32_t h) {
    if (!IsLive(h)) return false;
    Meta& m = MetaOf(h);
    if (!m.owner) return false;
    napi_value v = nullptr;
    if (napi_get_reference_value(env, m.owner, &v) == napi_ok && v != nullptr) return false;
    Release(env, h);
    ++freed;
    return true;
  };
  if (full) {
    for (int32_t h = 0; h < capacity_; ++h) dead(h);
    young_.clear();
    young2_.clear();
    unkept_after_full_ = live_unkept_bytes_;
  } else {
    for (int32_t h : young2_) dead(h);  // survivors of two young collections are old now
    young2_.clear();
    for (int32_t h : young_) {
      if (!dead(h) && IsLive(h) && MetaOf(h).owner) young2_.push_back(h);
    }
    young_.clear();
  }
  unkept_after_sweep_ = live_unkept_bytes_;
  unkept_count_after_sweep_ = live_unkept_count_;
  made_since_sweep_ = 0;
  return freed;
}

int32_t TensorTable::OpenScope() {
  if (!free_scopes_.empty()) {
    int32_t id = free_scopes_.back();
    free_scopes_.pop_back();
    return id;
  }
  scopes_.emplace_back();
  return static_cast<int32_t>(scopes_.size()) - 1;
}

void TensorTable::CloseScope(Napi::Env env, int32_t scope, int32_t parent, const std::vector<int32_t>& returned,
                             const std::vector<int32_t>& stored, std::vector<napi_value>& freed) {
  if (scope <= 0 || scope >= static_cast<int32_t>(scopes_.size())) return;
  for (int32_t h : returned) {
    if (IsLive(h) && MetaOf(h).scope == scope) {
      if (parent > 0 && parent != scope) {
        AddToScope(h, parent);
      } else {
        MetaOf(h).scope = 0;
      }
    }
  }
  for (int32_t h : stored) {
    if (IsLive(h) && MetaOf(h).scope == scope) MetaOf(h).scope = 0;
  }
  std::vector<int32_t> members;
  members.swap(scopes_[scope]);
  for (int32_t h : members) {
    if (!IsLive(h)) continue;
    Meta& m = MetaOf(h);
    if (m.scope != scope) continue;
    if (m.kept) {
      m.scope = 0;
      continue;
    }
    if (m.owner) {
      napi_value v = nullptr;
      if (napi_get_reference_value(env, m.owner, &v) == napi_ok && v != nullptr) freed.push_back(v);
    }
    Release(env, h);
  }
  members.clear();
  scopes_[scope].swap(members);  // keeps the capacity for the next scope with this id
  free_scopes_.push_back(scope);
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
