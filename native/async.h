// Work off the JS thread, on threads the addon owns (not libuv's pool, which sharp, fs and
// zlib share). A job runs libtorch code there (no JS, no Node-API) and returns tensors; the
// environment that queued it gets them as table handles through one ThreadSafeFunction per
// environment, on its own thread. Queued jobs can be cancelled until they start.
#pragma once
#include <ATen/ATen.h>
#include <napi.h>

#include <functional>
#include <vector>

namespace torchts {

// What a job computes, run on an inference thread. Its outputs are tensors; `single` tells
// JS whether they stand for one value or a tuple/list.
struct AsyncResult {
  std::vector<at::Tensor> tensors;
  bool single = true;
};
using AsyncFn = std::function<AsyncResult()>;

// Queues `fn` for this environment (JS thread only) and returns the job's id. The callback
// given to asyncInit is called with (id, error message | null, handles | null, single) when
// it ends. The caller's thread-local libtorch state (grad mode, inference mode, autocast)
// applies inside `fn`, as it would to a synchronous call.
int64_t SubmitAsync(Napi::Env env, AsyncFn fn);

}  // namespace torchts
