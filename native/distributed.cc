// torch.distributed over PyTorch's own c10d: TCPStore rendezvous (rank 0 hosts it), one
// default ProcessGroup with Gloo (CPU) or, in CUDA builds with TORCHTS_NCCL, NCCL; the
// blocking collectives; and DDP's gradient Reducer (bucketing, allreduce overlapped with
// backward through autograd hooks, final wait queued on the autograd engine), all in C++.
//
// Built only when Gloo's headers are found (CMakeLists.txt); distributed_stub.cc stands
// in otherwise. Collectives are synchronous, like PyTorch's with async_op=False: the JS
// thread waits, at most for the process group's timeout, and every failure (peer gone,
// timeout) comes back as a TorchError naming the operation and the rank.
#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <torch/csrc/autograd/custom_function.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/comm.hpp>
#include <torch/csrc/distributed/c10d/reducer.hpp>
#ifdef TORCHTS_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <unordered_map>

#include "args.h"

namespace torchts {
namespace {

// The default process group. Deliberately leaked at exit: tearing down Gloo's threads and
// the TCPStore server from static destructors can block the exit of a process whose peers
// are gone.
struct Group {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroup> pg;
  int rank = 0;
  int size = 1;
  std::string backend;
  std::chrono::milliseconds timeout{0};
};
Group* g_group = nullptr;

// DDP reducers by id; each keeps its process group alive. Leaked at exit, as the group.
std::unordered_map<int32_t, std::unique_ptr<c10d::Reducer>>& Reducers() {
  static auto* m = new std::unordered_map<int32_t, std::unique_ptr<c10d::Reducer>>();
  return *m;
}
int32_t g_next_reducer = 1;

std::string Message(const std::exception& e) {
  if (auto* c = dynamic_cast<const c10::Error*>(&e)) return c->what_without_backtrace();
  return e.what();
}

Group& Current(const char* op) {
  TORCH_CHECK(g_group, "distributed.", op,
              ": the default process group is not initialized; call distributed.initProcessGroup() first");
  return *g_group;
}

// Runs `fn` and turns any failure into one message naming the operation and the rank.
template <typename F>
auto Named(const char* op, F fn) -> decltype(fn()) {
  Group& grp = Current(op);
  try {
    return fn();
  } catch (const std::exception& e) {
    TORCH_CHECK(false, "distributed.", op, " failed on rank ", grp.rank, " of ", grp.size, " (", grp.backend,
                ", timeout ", grp.timeout.count(), " ms): ", Message(e));
  }
}

// Starts a collective and waits for it, bounded by the process group's timeout.
template <typename F>
void RunCollective(const char* op, F start) {
  Named(op, [&] {
    c10::intrusive_ptr<c10d::Work> work = start(*g_group->pg);
    work->wait(g_group->timeout);
    return 0;
  });
}

c10d::ReduceOp ReduceOpFrom(const std::string& name) {
  if (name == "sum") return c10d::ReduceOp::SUM;
  if (name == "product") return c10d::ReduceOp::PRODUCT;
  if (name == "min") return c10d::ReduceOp::MIN;
  if (name == "max") return c10d::ReduceOp::MAX;
  if (name == "band") return c10d::ReduceOp::BAND;
  if (name == "bor") return c10d::ReduceOp::BOR;
  if (name == "bxor") return c10d::ReduceOp::BXOR;
  if (name == "avg") return c10d::ReduceOp::AVG;
  TORCH_CHECK(false, "unknown reduce op '", name, "' (expected sum, product, min, max, avg, band, bor or bxor)");
}

bool IsLoopback(const std::string& host) { return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1"; }

c10::intrusive_ptr<c10d::Backend> MakeGloo(const c10::intrusive_ptr<c10d::Store>& store, const std::string& host,
                                           int rank, int size, std::chrono::milliseconds timeout) {
  auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
  // As torch.distributed: GLOO_SOCKET_IFNAME names the interface; otherwise the address
  // this host's name resolves to (loopback when every rank is on this machine).
  const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
  if (ifname && *ifname)
    opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
  else if (IsLoopback(host))
    opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
  else
    opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
  opts->threads = static_cast<int>(opts->devices.size()) * 2;
  return c10::make_intrusive<c10d::ProcessGroupGloo>(c10::make_intrusive<c10d::PrefixStore>("gloo/", store), rank, size,
                                                     opts);
}

#ifdef TORCHTS_NCCL
c10::intrusive_ptr<c10d::Backend> MakeNccl(const c10::intrusive_ptr<c10d::Store>& store, int rank, int size,
                                           std::chrono::milliseconds timeout) {
  auto opts = c10d::ProcessGroupNCCL::Options::create();
  opts->timeout = timeout;
  return c10::make_intrusive<c10d::ProcessGroupNCCL>(c10::make_intrusive<c10d::PrefixStore>("nccl/", store), rank, size,
                                                     opts);
}
#endif

// (backend, host, port, rank, worldSize, timeoutMs)
Napi::Value Init(const Info& info) {
  TORCH_CHECK(!g_group,
              "distributed.initProcessGroup: the default process group is already initialized; call "
              "distributed.destroyProcessGroup() first");
  std::string backend = info[0].As<Napi::String>().Utf8Value();
  std::string host = info[1].As<Napi::String>().Utf8Value();
  int port = static_cast<int>(Int(info, 2));
  int rank = static_cast<int>(Int(info, 3));
  int size = static_cast<int>(Int(info, 4));
  std::chrono::milliseconds timeout(Int(info, 5));
#ifndef TORCHTS_NCCL
  TORCH_CHECK(backend != "nccl",
              "distributed.initProcessGroup: backend 'nccl' is not built into this torchts (it needs a CUDA "
              "libtorch, NCCL's headers and the CMake option TORCHTS_NCCL=ON); use backend 'gloo'");
#endif
  TORCH_CHECK(backend == "gloo" || backend == "nccl", "distributed.initProcessGroup: unknown backend '", backend, "'");

  c10::intrusive_ptr<c10d::Store> store;
  try {
    c10d::TCPStoreOptions o;
    o.port = static_cast<std::uint16_t>(port);
    o.isServer = rank == 0;
    o.numWorkers = size;
    o.waitWorkers = true;
    o.timeout = timeout;
    store = c10::make_intrusive<c10d::TCPStore>(host, o);
  } catch (const std::exception& e) {
    TORCH_CHECK(false, "distributed.initProcessGroup: rendezvous through the TCPStore at ", host, ":", port,
                " failed on rank ", rank, " of ", size, " (", rank == 0 ? "hosting it" : "connecting to rank 0",
                ", timeout ", timeout.count(), " ms): ", Message(e));
  }
  auto prefixed = c10::make_intrusive<c10d::PrefixStore>("default_pg/", store);
  auto pg = c10::make_intrusive<c10d::ProcessGroup>(prefixed, rank, size);
  try {
    if (backend == "gloo") {
      auto gloo = MakeGloo(prefixed, host, rank, size, timeout);
      pg->setDefaultBackend(c10d::ProcessGroup::BackendType::GLOO);
      pg->setBackend(c10::DeviceType::CPU, c10d::ProcessGroup::BackendType::GLOO, gloo);
#ifdef TORCHTS_CUDA
      pg->setBackend(c10::DeviceType::CUDA, c10d::ProcessGroup::BackendType::GLOO, gloo);
#endif
    }
#ifdef TORCHTS_NCCL
    if (backend == "nccl") {
      auto nccl = MakeNccl(prefixed, rank, size, timeout);
      pg->setDefaultBackend(c10d::ProcessGroup::BackendType::NCCL);
      pg->setBackend(c10::DeviceType::CUDA, c10d::ProcessGroup::BackendType::NCCL, nccl);
    }
#endif
    pg->setGroupName("0");
  } catch (const std::exception& e) {
    TORCH_CHECK(false, "distributed.initProcessGroup: creating the ", backend, " process group failed on rank ", rank,
                " of ", size, " (timeout ", timeout.count(), " ms): ", Message(e));
  }
  g_group = new Group{store, pg, rank, size, backend, timeout};
  return info.Env().Undefined();
}

Napi::Value Destroy(const Info& info) {
  if (g_group) {
    Group* grp = g_group;
    g_group = nullptr;
    // Reducers still hold the group; it goes when the last of them is freed.
    delete grp;
  }
  return info.Env().Undefined();
}

Napi::Value AllReduce(const Info& info) {  // (tensor, op)
  std::vector<at::Tensor> ts{Tns(info, 0)};
  c10d::AllreduceOptions o;
  o.reduceOp = ReduceOpFrom(info[1].As<Napi::String>().Utf8Value());
  RunCollective("allReduce", [&](c10d::ProcessGroup& pg) { return pg.allreduce(ts, o); });
  return Self(info);
}

// A summing all-reduce that autograd differentiates, as torch.distributed.nn.functional's
// all_reduce: the backward all-reduces the gradient, so every rank receives the gradient of
// the sum of all ranks' losses. SyncBatchNorm's statistics are built on it. Both passes work
// on contiguous copies (Gloo needs dense memory; the input stays untouched).
struct DifferentiableAllReduce : torch::autograd::Function<DifferentiableAllReduce> {
  static at::Tensor Reduce(const char* op, const at::Tensor& t) {
    std::vector<at::Tensor> ts{t.clone(at::MemoryFormat::Contiguous)};
    c10d::AllreduceOptions o;
    o.reduceOp = c10d::ReduceOp::SUM;
    RunCollective(op, [&](c10d::ProcessGroup& pg) { return pg.allreduce(ts, o); });
    return ts[0];
  }
  static at::Tensor forward(torch::autograd::AutogradContext*, const at::Tensor& t) {
    return Reduce("nn.functional.allReduce", t);
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext*,
                                                 torch::autograd::variable_list grads) {
    return {Reduce("nn.functional.allReduce (backward)", grads[0])};
  }
};

Napi::Value AllReduceDifferentiable(const Info& info) {  // (tensor) -> new tensor
  return Ret(info, DifferentiableAllReduce::apply(Tns(info, 0)));
}

Napi::Value Broadcast(const Info& info) {  // (tensor, src)
  std::vector<at::Tensor> ts{Tns(info, 0)};
  c10d::BroadcastOptions o;
  o.rootRank = static_cast<int64_t>(Int(info, 1));
  RunCollective("broadcast", [&](c10d::ProcessGroup& pg) { return pg.broadcast(ts, o); });
  return Self(info);
}

Napi::Value AllGather(const Info& info) {  // (outputs[], tensor)
  std::vector<std::vector<at::Tensor>> outs{TensorList(info, 0)};
  std::vector<at::Tensor> in{Tns(info, 1)};
  RunCollective("allGather", [&](c10d::ProcessGroup& pg) { return pg.allgather(outs, in); });
  return info.Env().Undefined();
}

Napi::Value Barrier(const Info& info) {
  RunCollective("barrier", [&](c10d::ProcessGroup& pg) { return pg.barrier(); });
  return info.Env().Undefined();
}

Napi::Value BroadcastCoalesced(const Info& info) {  // (tensors[], src, bufferBytes)
  std::vector<at::Tensor> ts = TensorList(info, 0);
  int src = static_cast<int>(Int(info, 1));
  size_t bytes = static_cast<size_t>(Int(info, 2));
  c10::NoGradGuard no_grad;
  Named("broadcastCoalesced", [&] {
    c10d::broadcast_coalesced(g_group->pg, ts, bytes, src);
    return 0;
  });
  return info.Env().Undefined();
}

c10d::Reducer& ReducerAt(const Info& info, size_t i) {
  auto it = Reducers().find(static_cast<int32_t>(Int(info, i)));
  TORCH_CHECK(it != Reducers().end(), "DistributedDataParallel: this module wrapper was already released");
  return *it->second;
}

// (params[], bucketCapBytes, findUnusedParameters, gradientAsBucketView) -> reducer id.
// As torch/nn/parallel/distributed.py: one bucket at first (or size-capped buckets when
// looking for unused parameters), rebuilt after the first backward in the order gradients
// became ready, with a 1 MiB first bucket and `bucketCapBytes` after it.
Napi::Value ReducerNew(const Info& info) {
  std::vector<at::Tensor> params = TensorList(info, 0);
  int64_t cap = Int(info, 1);
  bool findUnused = Bool(info, 2), asView = Bool(info, 3);
  return Named("DistributedDataParallel", [&]() -> Napi::Value {
    std::vector<bool> sparse(params.size(), false);
    std::vector<size_t> limits;
    if (!findUnused)
      limits = {std::numeric_limits<size_t>::max()};
    else if (c10d::kDefaultFirstBucketBytes < cap)
      limits = {static_cast<size_t>(c10d::kDefaultFirstBucketBytes), static_cast<size_t>(cap)};
    else
      limits = {static_cast<size_t>(cap)};
    auto [buckets, perBucketLimits] = c10d::compute_bucket_assignment_by_size(params, limits, sparse);
    std::reverse(buckets.begin(), buckets.end());
    std::unordered_map<size_t, std::string> names;
    auto reducer = std::make_unique<c10d::Reducer>(params, std::move(buckets), g_group->pg, sparse, cap, findUnused,
                                                   asView, names, c10d::kDefaultFirstBucketBytes,
                                                   /*skip_all_reduce_unused_params=*/false,
                                                   /*use_python_reducer=*/false,
                                                   /*bucket_bytes_cap_list=*/std::vector<int64_t>{});
    int32_t id = g_next_reducer++;
    Reducers().emplace(id, std::move(reducer));
    return Napi::Number::New(info.Env(), id);
  });
}

// (id): before a grad-enabled forward, as DDP's _pre_forward.
Napi::Value ReducerPreForward(const Info& info) {
  c10d::Reducer& r = ReducerAt(info, 0);
  Named("DistributedDataParallel.forward", [&] {
    r.prepare_for_forward();
    r.rebuild_buckets();
    return 0;
  });
  return info.Env().Undefined();
}

// (id, outputs[]): after a grad-enabled forward; the outputs matter only when looking for
// unused parameters.
Napi::Value ReducerPostForward(const Info& info) {
  c10d::Reducer& r = ReducerAt(info, 0);
  std::vector<at::Tensor> outputs = TensorList(info, 1);
  Named("DistributedDataParallel.forward", [&] {
    r.prepare_for_backward(outputs);
    return 0;
  });
  return info.Env().Undefined();
}

Napi::Value ReducerFree(const Info& info) {
  Reducers().erase(static_cast<int32_t>(Int(info, 0)));
  return info.Env().Undefined();
}

}  // namespace

void RegisterDistributed(Napi::Env env, Napi::Object exports) {
  Napi::Object avail = Napi::Object::New(env);
  avail.Set("gloo", true);
#ifdef TORCHTS_NCCL
  avail.Set("nccl", true);
#else
  avail.Set("nccl", false);
#endif
  exports.Set("distBackends", avail);
  Def<Init>(env, exports, "distInit");
  Def<Destroy>(env, exports, "distDestroy");
  TORCHTS_DEF("distIsInitialized", { return Napi::Boolean::New(info.Env(), g_group != nullptr); });
  TORCHTS_DEF("distRank", { return Napi::Number::New(info.Env(), Current("getRank").rank); });
  TORCHTS_DEF("distWorldSize", { return Napi::Number::New(info.Env(), Current("getWorldSize").size); });
  TORCHTS_DEF("distBackend", { return Napi::String::New(info.Env(), Current("getBackend").backend); });
  Def<AllReduce>(env, exports, "distAllReduce");
  Def<AllReduceDifferentiable>(env, exports, "distAllReduceDifferentiable");
  Def<Broadcast>(env, exports, "distBroadcast");
  Def<AllGather>(env, exports, "distAllGather");
  Def<Barrier>(env, exports, "distBarrier");
  Def<BroadcastCoalesced>(env, exports, "distBroadcastCoalesced");
  Def<ReducerNew>(env, exports, "ddpNew");
  Def<ReducerPreForward>(env, exports, "ddpPreForward");
  Def<ReducerPostForward>(env, exports, "ddpPostForward");
  Def<ReducerFree>(env, exports, "ddpFree");
}

}  // namespace torchts
