#include "async.h"

#include <ATen/ThreadLocalState.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "args.h"
#include "state.h"

namespace torchts {

namespace {

// One per environment: where finished jobs go back to JS. `alive` turns false when the
// environment ends (the ThreadSafeFunction's finalizer), after which results are dropped.
struct EnvChannel {
  std::mutex m;
  bool alive = false;
  napi_threadsafe_function tsfn = nullptr;
  int32_t env_id = 0;
  int64_t pending = 0;  // JS thread only: jobs queued or running, for Ref/Unref
};

struct Job {
  int64_t id = 0;
  std::shared_ptr<EnvChannel> channel;
  AsyncFn fn;
  // The submitting thread's libtorch state, captured when the job is made (on the JS thread).
  at::ThreadLocalState tls;
  AsyncResult result;
  std::string error;
  bool failed = false;
};

// The inference threads: a FIFO shared by every environment of the process. Started on first
// use and never joined (they sleep on the queue; the process may end at any time).
class Runner {
 public:
  static Runner& Get() {
    static Runner* runner = new Runner();  // leaked on purpose: no static destructor at exit
    return *runner;
  }
  void Submit(std::unique_ptr<Job> job) {
    {
      std::lock_guard<std::mutex> lock(m_);
      Start();
      queue_.push_back(std::move(job));
    }
    cv_.notify_one();
  }
  // Removes a queued job; false when it started already (or never existed).
  bool Cancel(int64_t id, int32_t env_id) {
    std::lock_guard<std::mutex> lock(m_);
    auto it = std::find_if(queue_.begin(), queue_.end(),
                           [&](const std::unique_ptr<Job>& j) { return j->id == id && j->channel->env_id == env_id; });
    if (it == queue_.end()) return false;
    queue_.erase(it);
    return true;
  }
  // Drops the queued jobs of an environment that ended.
  void CancelEnv(int32_t env_id) {
    std::lock_guard<std::mutex> lock(m_);
    std::erase_if(queue_, [&](const std::unique_ptr<Job>& j) { return j->channel->env_id == env_id; });
  }
  int64_t Queued() {
    std::lock_guard<std::mutex> lock(m_);
    return static_cast<int64_t>(queue_.size());
  }
  int32_t threads() const { return threads_; }

 private:
  Runner() {
    // TORCHTS_INFERENCE_THREADS: how many jobs may run at once (default 1: one forward at a time
    // uses libtorch's intra-op threads; more only helps models too small to use them).
    const char* n = std::getenv("TORCHTS_INFERENCE_THREADS");
    threads_ = n ? std::clamp(std::atoi(n), 1, 64) : 1;
  }
  void Start() {
    if (started_) return;
    started_ = true;
    for (int32_t i = 0; i < threads_; ++i) std::thread([this] { Loop(); }).detach();
  }
  void Loop() {
    for (;;) {
      std::unique_ptr<Job> job;
      {
        std::unique_lock<std::mutex> lock(m_);
        cv_.wait(lock, [&] { return !queue_.empty(); });
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      Run(std::move(job));
    }
  }
  static void Run(std::unique_ptr<Job> job) {
    {
      at::ThreadLocalStateGuard guard(job->tls);
      try {
        job->result = job->fn();
      } catch (const c10::Error& e) {
        job->failed = true;
        job->error = e.what_without_backtrace();
      } catch (const std::exception& e) {
        job->failed = true;
        job->error = e.what();
      } catch (...) {
        job->failed = true;
        job->error = "unknown native error";
      }
      job->fn = nullptr;  // frees what the work captured (modules, inputs) on this thread
    }
    std::shared_ptr<EnvChannel> channel = job->channel;
    std::lock_guard<std::mutex> lock(channel->m);
    if (!channel->alive) return;  // the environment ended: drop the result here
    Job* raw = job.release();
    if (napi_call_threadsafe_function(channel->tsfn, raw, napi_tsfn_nonblocking) != napi_ok) delete raw;
  }

  std::mutex m_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Job>> queue_;
  int32_t threads_ = 1;
  bool started_ = false;
};

std::atomic<int64_t> g_next_job{1};

// Delivers a finished job on its environment's thread: (id, error | null, handles | null, single).
// Node calls it with a null env when the environment ends with the job still undelivered.
void Deliver(napi_env raw_env, napi_value done, void*, void* data) {
  std::unique_ptr<Job> job(static_cast<Job*>(data));
  if (raw_env == nullptr || done == nullptr) return;
  Napi::Env env(raw_env);
  EnvChannel& c = *job->channel;
  if (--c.pending == 0) napi_unref_threadsafe_function(raw_env, c.tsfn);
  Napi::HandleScope scope(env);
  try {
    Napi::Value err = env.Null(), handles = env.Null();
    if (job->failed) {
      err = Napi::String::New(env, job->error);
    } else {
      Napi::Array out = Napi::Array::New(env, job->result.tensors.size());
      for (uint32_t k = 0; k < job->result.tensors.size(); ++k)
        out.Set(k, Napi::Number::New(env, Table().Add(env, std::move(job->result.tensors[k]))));
      handles = out;
    }
    Napi::Function(env, done).Call(
        {Napi::Number::New(env, double(job->id)), err, handles, Napi::Boolean::New(env, job->result.single)});
  } catch (const Napi::Error& e) {
    // The JS callback threw: report it as an uncaught exception, as an event handler's would be.
    napi_fatal_exception(raw_env, e.Value());
  }
}

EnvChannel& Channel(Napi::Env env) {
  std::shared_ptr<void>& p = State().parts["async"];
  if (!p) throw Napi::Error::New(env, "asyncInit was not called in this environment");
  return *static_cast<EnvChannel*>(p.get());
}

}  // namespace

int64_t SubmitAsync(Napi::Env env, AsyncFn fn) {
  std::shared_ptr<void>& p = State().parts["async"];
  if (!p) throw Napi::Error::New(env, "asyncInit was not called in this environment");
  auto channel = std::static_pointer_cast<EnvChannel>(p);
  auto job = std::make_unique<Job>();
  job->id = g_next_job.fetch_add(1);
  job->channel = channel;
  job->fn = std::move(fn);
  int64_t id = job->id;
  if (channel->pending++ == 0) napi_ref_threadsafe_function(env, channel->tsfn);
  Runner::Get().Submit(std::move(job));
  return id;
}

void RegisterAsync(Napi::Env env, Napi::Object exports) {
  // (done(id, error, handles, single)): where this environment's finished jobs are delivered.
  TORCHTS_DEF("asyncInit", {
    Napi::Env env = info.Env();
    AddonState& state = State();
    if (state.parts.count("async")) throw Napi::Error::New(env, "asyncInit was called already");
    auto channel = std::make_shared<EnvChannel>();
    channel->env_id = state.id;
    // The finalizer runs on this thread when the environment ends; it holds its own reference
    // to the channel, since the state may be gone by then.
    auto* keep = new std::shared_ptr<EnvChannel>(channel);
    napi_value name = Napi::String::New(env, "torchts.inference");
    napi_status st = napi_create_threadsafe_function(
        env, info[0], nullptr, name, 0, 1, keep,
        [](napi_env, void* data, void*) {
          auto* c = static_cast<std::shared_ptr<EnvChannel>*>(data);
          {
            std::lock_guard<std::mutex> lock((*c)->m);
            (*c)->alive = false;
          }
          Runner::Get().CancelEnv((*c)->env_id);
          delete c;
        },
        nullptr, Deliver, &channel->tsfn);
    if (st != napi_ok) {
      delete keep;
      throw Napi::Error::New(env, "asyncInit: napi_create_threadsafe_function failed");
    }
    channel->alive = true;
    napi_unref_threadsafe_function(env, channel->tsfn);  // only pending jobs keep the event loop alive
    state.parts["async"] = channel;
    return env.Undefined();
  });
  // (id) -> whether the job was still queued and is now cancelled (it will not be delivered).
  TORCHTS_DEF("asyncCancel", {
    Napi::Env env = info.Env();
    EnvChannel& c = Channel(env);
    bool removed = Runner::Get().Cancel(Int(info, 0), c.env_id);
    if (removed && --c.pending == 0) napi_unref_threadsafe_function(env, c.tsfn);
    return Napi::Boolean::New(env, removed);
  });
  // -> { queued, threads }: jobs of every environment waiting for an inference thread.
  TORCHTS_DEF("asyncStats", {
    Napi::Object out = Napi::Object::New(info.Env());
    out.Set("queued", Napi::Number::New(info.Env(), double(Runner::Get().Queued())));
    out.Set("threads", Napi::Number::New(info.Env(), Runner::Get().threads()));
    return out;
  });
}

}  // namespace torchts
