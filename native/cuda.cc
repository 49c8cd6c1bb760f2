// torch.cuda: synchronisation, the caching allocator's statistics, side streams, CUDA graphs
// and pinned host memory. Compiled against any libtorch; without CUDA (TORCHTS_CUDA unset)
// each CUDA-only function fails with one message saying why.
#include <ATen/Context.h>

#include <memory>
#include <vector>

#include "args.h"

#ifdef TORCHTS_CUDA
#include <ATen/cuda/CUDAContext.h>
#include <ATen/cuda/CUDAEvent.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace torchts {

#ifdef TORCHTS_CUDA
static c10::DeviceIndex DeviceIndex(const Info& info, size_t i) {
  int64_t d = IsNil(info, i) ? c10::cuda::current_device() : Int(info, i);
  TORCH_CHECK(d >= 0 && d < c10::cuda::device_count(), "invalid CUDA device index ", d, " (",
              int(c10::cuda::device_count()), " devices)");
  return static_cast<c10::DeviceIndex>(d);
}

// Graphs live here, addressed by the id JS holds; streams swapped in by streamEnter are
// restored by streamExit in LIFO order.
static std::vector<std::unique_ptr<at::cuda::CUDAGraph>>& Graphs() {
  static std::vector<std::unique_ptr<at::cuda::CUDAGraph>> graphs;
  return graphs;
}
static at::cuda::CUDAGraph& GraphAt(const Info& info, size_t i) {
  int64_t id = Int(info, i);
  auto& g = Graphs();
  TORCH_CHECK(id >= 0 && id < int64_t(g.size()) && g[id], "CUDA graph ", id, " was freed or never created");
  return *g[id];
}
static std::vector<c10::cuda::CUDAStream>& SavedStreams() {
  static std::vector<c10::cuda::CUDAStream> saved;
  return saved;
}

static Napi::Value StatsObject(const Info& info, c10::DeviceIndex dev) {
  Napi::Env env = info.Env();
  auto s = c10::cuda::CUDACachingAllocator::getDeviceStats(dev);
  Napi::Object out = Napi::Object::New(env);
  // PyTorch's torch.cuda.memory_stats() keys, aggregated over pools ("all").
  auto put = [&](const char* name, const auto& arr) {
    const auto& a = arr[0];
    std::string base = std::string(name) + ".all.";
    out.Set(base + "current", Napi::Number::New(env, double(a.current)));
    out.Set(base + "peak", Napi::Number::New(env, double(a.peak)));
    out.Set(base + "allocated", Napi::Number::New(env, double(a.allocated)));
    out.Set(base + "freed", Napi::Number::New(env, double(a.freed)));
  };
  put("allocation", s.allocation);
  put("segment", s.segment);
  put("active", s.active);
  put("allocated_bytes", s.allocated_bytes);
  put("reserved_bytes", s.reserved_bytes);
  put("active_bytes", s.active_bytes);
  put("requested_bytes", s.requested_bytes);
  out.Set("num_alloc_retries", Napi::Number::New(env, double(s.num_alloc_retries)));
  out.Set("num_ooms", Napi::Number::New(env, double(s.num_ooms)));
  return out;
}
#define CUDA_ONLY(...) __VA_ARGS__
#else
#define CUDA_ONLY(...)                                                                        \
  TORCH_CHECK(false,                                                                          \
              "this torchts binary was built against a CPU-only libtorch; rebuild it "        \
              "against a CUDA libtorch (`npx torchts build` with LIBTORCH or TORCHTS_PYTHON " \
              "pointing at one) to use CUDA");                                                \
  return info.Env().Undefined();
#endif

// Why CUDA cannot be used, in libtorch's words (no driver, driver too old, no device), or
// null when it can; device_count_ensure_non_zero asks the driver again on every call.
static Napi::Value CudaStatus(const Info& info) {
#ifdef TORCHTS_CUDA
  try {
    c10::cuda::device_count_ensure_non_zero();
    return info.Env().Null();
  } catch (const c10::Error& e) { return Napi::String::New(info.Env(), e.msg()); }
#else
  return Napi::String::New(info.Env(), "this torchts binary was built against a CPU-only libtorch");
#endif
}

void RegisterCuda(Napi::Env env, Napi::Object exports) {
  TORCHTS_DEF("cudaStatus", { return CudaStatus(info); });
  // (device | null)
  TORCHTS_DEF("cudaSynchronize", {CUDA_ONLY({
                c10::cuda::CUDAGuard guard(DeviceIndex(info, 0));
                c10::cuda::device_synchronize();
                return info.Env().Undefined();
              })});
  TORCHTS_DEF("cudaCurrentDevice", {CUDA_ONLY({ return Napi::Number::New(info.Env(), c10::cuda::current_device()); })});
  TORCHTS_DEF("cudaSetDevice", {CUDA_ONLY({
                c10::cuda::set_device(DeviceIndex(info, 0));
                return info.Env().Undefined();
              })});
  TORCHTS_DEF("cudaEmptyCache", {CUDA_ONLY({
                c10::cuda::CUDACachingAllocator::emptyCache();
                return info.Env().Undefined();
              })});
  TORCHTS_DEF("cudaMemoryStats", {CUDA_ONLY({ return StatsObject(info, DeviceIndex(info, 0)); })});
  TORCHTS_DEF("cudaResetPeakMemoryStats", {CUDA_ONLY({
                c10::cuda::CUDACachingAllocator::resetPeakStats(DeviceIndex(info, 0));
                return info.Env().Undefined();
              })});
  TORCHTS_DEF("cudaDeviceName", {CUDA_ONLY({
                auto* p = at::cuda::getDeviceProperties(DeviceIndex(info, 0));
                return Napi::String::New(info.Env(), p->name);
              })});

  // Side streams: streamEnter makes a pool stream current on the current device after it
  // waits for the work queued so far; streamExit makes the previous stream wait for the
  // side stream's work and current again (torch.cuda.stream + wait_stream on both ends).
  TORCHTS_DEF("cudaStreamEnter", {CUDA_ONLY({
                auto prev = c10::cuda::getCurrentCUDAStream();
                auto side = c10::cuda::getStreamFromPool();
                at::cuda::CUDAEvent ready;
                ready.record(prev);
                ready.block(side);
                SavedStreams().push_back(prev);
                c10::cuda::setCurrentCUDAStream(side);
                return info.Env().Undefined();
              })});
  TORCHTS_DEF("cudaStreamExit", {CUDA_ONLY({
                auto& saved = SavedStreams();
                TORCH_CHECK(!saved.empty(), "cudaStreamExit without cudaStreamEnter");
                auto side = c10::cuda::getCurrentCUDAStream();
                auto prev = saved.back();
                saved.pop_back();
                at::cuda::CUDAEvent done;
                done.record(side);
                done.block(prev);
                c10::cuda::setCurrentCUDAStream(prev);
                return info.Env().Undefined();
              })});

  // CUDA graphs (torch.cuda.CUDAGraph): ids into Graphs().
  TORCHTS_DEF("cudaGraphNew", {CUDA_ONLY({
                Graphs().push_back(std::make_unique<at::cuda::CUDAGraph>());
                return Napi::Number::New(info.Env(), double(Graphs().size() - 1));
              })});
  // (id, poolGraphId | -1): capture on the current stream, which must not be the default one;
  // a pool id shares that graph's private memory pool, as capture_begin(pool=g.pool()) does.
  TORCHTS_DEF("cudaGraphCaptureBegin", {CUDA_ONLY({
                auto& g = GraphAt(info, 0);
                int64_t poolOf = Int(info, 1);
                TORCH_CHECK(c10::cuda::getCurrentCUDAStream() != c10::cuda::getDefaultCUDAStream(),
                            "CUDA graphs must be captured on a side stream, not the default stream");
                if (poolOf >= 0)
                  g.capture_begin(GraphAt(info, 1).pool());
                else
                  g.capture_begin();
                return info.Env().Undefined();
              })});
  TORCHTS_DEF("cudaGraphCaptureEnd", {CUDA_ONLY({
                GraphAt(info, 0).capture_end();
                return info.Env().Undefined();
              })});
  TORCHTS_DEF("cudaGraphReplay", {CUDA_ONLY({
                GraphAt(info, 0).replay();
                return info.Env().Undefined();
              })});
  TORCHTS_DEF("cudaGraphFree", {CUDA_ONLY({
                int64_t id = Int(info, 0);
                auto& g = Graphs();
                if (id >= 0 && id < int64_t(g.size())) g[id].reset();
                return info.Env().Undefined();
              })});
  TORCHTS_DEF("cudaIsCapturing", {CUDA_ONLY({
                cudaStreamCaptureStatus status{};
                C10_CUDA_CHECK(cudaStreamIsCapturing(c10::cuda::getCurrentCUDAStream(), &status));
                return Napi::Boolean::New(info.Env(), status != cudaStreamCaptureStatusNone);
              })});

  // Page-locked host memory (generic ATen: pinning needs an accelerator at run time).
  TORCHTS_DEF("pinMemory", { return Ret(info, Tns(info, 0).pin_memory()); });
  TORCHTS_DEF("isPinned", { return Napi::Boolean::New(info.Env(), Tns(info, 0).is_pinned()); });
}

}  // namespace torchts
