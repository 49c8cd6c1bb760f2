// The tensor table: JS holds tensors as integer handles into this table.
// Handing back a plain number is the cheapest way for a result to cross into JS (cheaper
// than constructing an ObjectWrap per result), which keeps per-op overhead below Python's.
// Each JS environment (main thread, worker_threads) has its own table, used from its thread only.
//
// Lifetime (lib/torch/memory.ts has the whole picture):
// - `Release` frees a slot (JS `dispose()`).
// - Each live JS Tensor is watched through a weak Node-API reference (`Watch`). Node-API clears
//   a weak reference during the garbage collection itself, so `Sweep` right after a collection
//   frees the slots of tensors the program dropped, even inside a long synchronous loop, where
//   FinalizationRegistry callbacks (which need an event-loop turn) would never run.
// - Scopes (`OpenScope` / `CloseScope`) list the slots made inside them without holding their
//   JS objects: a temporary the program dropped can be collected (and swept) before its scope
//   ends, as Python frees it when its variable is rebound; the rest is freed when the scope ends.
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
  bool IsLive(int32_t h) const { return h >= 0 && h < capacity_ && (*chunks_[h / kChunk])[h % kChunk].defined(); }

  // Ties the live slot `h` to its JS object `owner` with a weak reference, and records it in
  // `scope` (0: none). Returns whether a sweep is due (see SweepDue).
  bool Watch(Napi::Env env, int32_t h, napi_value owner, int32_t scope);
  // Frees watched slots whose JS object was collected; returns how many. A young sweep (after a
  // young-generation collection, which only frees young objects) looks at the slots watched
  // since the last sweep and those that survived one young sweep; a full sweep looks at all.
  int32_t Sweep(Napi::Env env, bool full);
  // Whether a young sweep is worth a collection. Two conditions: kSweepBytes of tensor data were
  // made since the last sweep (so collections stay rare next to the work), and the unkept live
  // tensor data grew by half that, or their number by kSweepCount, meanwhile (net growth: what
  // scopes and dispose() freed does not count, so a loop that frees its temporaries, such as
  // inference whose module scopes free everything, never pays for a collection). Dropped
  // temporaries are then freed within about kSweepBytes of new data. A young collection costs a
  // fraction of a millisecond and a young sweep looks only at recent slots.
  bool SweepDue() const {
    return live_unkept_count_ - unkept_count_after_sweep_ > kSweepCount ||
           (made_since_sweep_ > kSweepBytes && live_unkept_bytes_ - unkept_after_sweep_ > kSweepBytes / 2);
  }
  // Whether a full collection and sweep is due: the unkept live tensor data doubled since the
  // last full sweep (as V8 grows its own heap limit), above a floor. Catches what lived long
  // enough to be promoted to V8's old generation before it was dropped.
  bool FullSweepDue() const { return live_unkept_bytes_ > std::max<int64_t>(kFullSweepFloor, 2 * unkept_after_full_); }
  // Takes `h` out of its scope; `kept` also excludes it from SweepDue's bar.
  void Unscope(int32_t h, bool kept);

  // A new scope's id (> 0). Ids are reused once closed.
  int32_t OpenScope();
  // Ends `scope`: slots in `returned` move to `parent` (0: none), slots in `stored` leave
  // scoping, kept ones too; every other slot made in the scope and still live is freed. The JS
  // objects of the freed slots that are still alive are appended to `freed`, so that JS can
  // mark them freed.
  void CloseScope(Napi::Env env, int32_t scope, int32_t parent, const std::vector<int32_t>& returned,
                  const std::vector<int32_t>& stored, std::vector<napi_value>& freed);

  // Lets JS see, with one typed-array read per new tensor, that a lot of tensor data was made
  // since it last handed its new tensors to Watch: `flag` (JS-owned memory, kept alive by JS) is
  // set to 1 once kFlushBytes were added, and cleared by Watch.
  void SetPressureFlag(int32_t* flag) { pressure_flag_ = flag; }

  int64_t live() const { return live_; }
  int64_t watched() const { return watched_; }
  // Calls `fn` for every live tensor.
  template <typename Fn>
  void ForEach(Fn fn) const {
    for (int32_t h = 0; h < capacity_; ++h) {
      const at::Tensor& t = (*chunks_[h / kChunk])[h % kChunk];
      if (t.defined()) fn(t);
    }
  }

 private:
  // Defaults for SweepDue: a young-generation collection costs a few hundred microseconds, so
  // one per few hundred dropped tensors or per 64 MB of new tensor data is cheap next to the
  // work that made them.
  static constexpr int64_t kSweepCount = 256;
  static constexpr int64_t kSweepBytes = int64_t{64} << 20;
  static constexpr int64_t kFullSweepFloor = int64_t{256} << 20;
  static constexpr int64_t kFlushBytes = int64_t{16} << 20;

  // What a slot holds besides its tensor (kept apart so that Get reads a dense array).
  struct Meta {
    napi_ref owner = nullptr;  // weak; set by Watch
    int64_t host_bytes = 0;    // reported to V8 as external memory
    int64_t bytes = 0;         // all devices, for SweepDue
    int32_t scope = 0;
    bool kept = false;
  };

  [[noreturn]] static void ThrowInvalid(Napi::Env env, int32_t h);
  void Account(Napi::Env env, int64_t delta);
  Meta& MetaOf(int32_t h) { return (*meta_[h / kChunk])[h % kChunk]; }
  void AddToScope(int32_t h, int32_t scope);

  // Chunks never move, so references returned by Get stay valid while the table grows.
  std::vector<std::unique_ptr<std::array<at::Tensor, kChunk>>> chunks_;
  std::vector<std::unique_ptr<std::array<Meta, kChunk>>> meta_;
  std::vector<int32_t> free_;
  int32_t capacity_ = 0;
  int64_t live_ = 0;
  int64_t watched_ = 0;
  int64_t live_unkept_bytes_ = 0;
  int64_t live_unkept_count_ = 0;
  int64_t unkept_after_sweep_ = 0;
  int64_t unkept_count_after_sweep_ = 0;
  int64_t unkept_after_full_ = 0;
  int64_t made_since_sweep_ = 0;
  // Slots watched since the last sweep, and those that survived one young sweep.
  std::vector<int32_t> young_, young2_;
  int64_t pending_external_ = 0;
  int64_t unwatched_bytes_ = 0;
  int32_t* pressure_flag_ = nullptr;
  // scopes_[id]: the slots made in scope `id` (some may since have been freed or moved).
  std::vector<std::vector<int32_t>> scopes_{1};
  std::vector<int32_t> free_scopes_;
};

// The table of the JS environment running on this thread (state.h).
TensorTable& Table();

}  // namespace torchts
