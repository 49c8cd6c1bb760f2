/**
 * `torch.jit`: TorchScript modules. `load` runs what PyTorch scripted or traced and saved
 * (`torch.jit.save`); `trace` records a torchts model into TorchScript, which PyTorch's
 * `torch.jit.load` can run; `freeze` and `optimizeForInference` are libtorch's own passes
 * (batch norm folded into convolutions, convolutions and linear layers fused with their
 * activations by oneDNN Graph on CPU, cuDNN conv + add + ReLU on CUDA).
 *
 * Native side: native/jit.cc (its header, jit.h, says how to run a module's forward from
 * native code on another thread, given `ScriptModule._handle`).
 */
import * as fs from 'node:fs';

import { N as native } from '../native';
import { Module } from '../nn/module';
import { noGrad } from './autograd';
import { checkDevice, type Device } from './device';
import { type DType, dtypeCode } from './dtype';
import { checkBool, checkOptions, describe, optionKeys, TorchError, typeError } from './errors';
import { type ForwardAsyncOptions, forwardAsyncArgs, runAsync } from './async_jobs';
import { tidy } from './memory';
import { _wrap as wrap, Tensor } from './tensor';

/** native/jit.cc's functions (handles: jit.h's module table; values: `Encoded`). */
interface JitNative {
  jitLoad(path: string, device: string | null): number;
  jitFree(h: number): void;
  jitMethods(h: number): string[];
  jitCall(h: number, method: string, args: Encoded[]): Encoded;
  jitNamedParameters(h: number, recurse: boolean): [string, number][];
  jitNamedBuffers(h: number, recurse: boolean): [string, number][];
  jitTrain(h: number, on: boolean): void;
  jitIsTraining(h: number): boolean;
  jitTo(h: number, device: string | null, dtype: number): void;
  jitSave(h: number, path: string): void;
  jitGraph(h: number, method: string): string;
  jitTrace(
    modules: [string, string, boolean][],
    params: [string, number][],
    buffers: [string, number][],
    inputs: number[],
    forward: () => number[],
  ): number;
  jitFreeze(h: number): number;
  jitOptimizeForInference(h: number): number;
  /** Queues `forward` on the inference threads (native/async_jit.cc); returns the job id. */
  jitForwardAsync(h: number, inputs: number[]): number;
  /** native/jit_fuse.cc: [module, null], or [unfused frozen module, why fusion failed]. */
  jitOptimizeOneDNN(h: number, inputs: number[], winograd: boolean): [number, string | null];
  jitLastExecutedOptimizedGraph(): string | null;
}
const N = native as unknown as JitNative;

/** What TorchScript methods take and return: tensors, numbers, booleans, strings, None, lists/tuples, str-keyed dicts. */
export type ScriptValue = Tensor | number | boolean | string | null | ScriptValue[] | { [key: string]: ScriptValue };

/** The native forms (native/jit.cc): a tensor is its handle, a number `{n}`, a dict `{d}`. */
type Encoded = number | boolean | string | null | { n: number } | { d: [string, Encoded][] } | Encoded[];

function encode(v: unknown, argument: string): Encoded {
  if (v instanceof Tensor) return v.handle;
  if (typeof v === 'number') return { n: v };
  if (typeof v === 'boolean' || typeof v === 'string' || v === null || v === undefined) return v ?? null;
  if (Array.isArray(v)) return v.map((e, k) => encode(e, `${argument}[${k}]`));
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype)
    return { d: Object.entries(v).map(([k, e]) => [k, encode(e, `${argument}.${k}`)]) };
  throw typeError('a Tensor, number, boolean, string, null, array or plain object', argument, v);
}

function decode(v: Encoded): ScriptValue {
  if (typeof v === 'number') return wrap(v);
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(decode);
  if ('n' in v) return v.n;
  const out: { [key: string]: ScriptValue } = {};
  for (const [k, e] of v.d) out[k] = decode(e);
  return out;
}

const finalizer = new FinalizationRegistry<number>((h) => N.jitFree(h));

/**
 * A TorchScript module (PyTorch's `torch.jit.ScriptModule`): from `jit.load`, `jit.trace`,
 * `jit.freeze` or `jit.optimizeForInference`. Its methods run in libtorch's graph executor.
 */
/** Options of `ScriptModule.to`. */
export interface ScriptToOptions {
  device?: Device;
  dtype?: DType;
}
const SCRIPT_TO_KEYS = optionKeys<ScriptToOptions>({ device: 1, dtype: 1 });

/** Options of `jit.load`. */
export interface JitLoadOptions {
  /** Where to put the module's tensors (default: where they were saved). */
  mapLocation?: Device;
}
const JIT_LOAD_KEYS = optionKeys<JitLoadOptions>({ mapLocation: 1 });

export class ScriptModule {
  #h: number;

  /** @internal Use `jit.load`, `jit.trace` or `jit.optimizeForInference`. */
  constructor(handle: number) {
    this.#h = handle;
    finalizer.register(this, handle, this);
  }

  /** @internal The native module handle (native/jit.h: `JitModuleAt`); throws once disposed. */
  get _handle(): number {
    if (this.#h < 0) throw new TorchError('ScriptModule was disposed: it cannot be used any more');
    return this.#h;
  }

  /** Runs `forward`. Arguments are converted by the method's TorchScript signature. */
  forward(...args: ScriptValue[]): ScriptValue {
    return this.callMethod('forward', ...args);
  }

  /**
   * Runs `forward` on torchts's inference thread (native/async.h: threads of the addon's own,
   * not libuv's pool, which sharp and fs use) and resolves with its result: the event loop is
   * free meanwhile. Arguments are tensors, optionally followed by `{ signal }` (an AbortSignal:
   * a queued call never runs; a running one finishes and its result is freed, while the promise
   * rejects at once). The inputs are held, not copied: do not modify them in place meanwhile.
   * Grad mode, inference mode and autocast of the caller apply, as they do to `forward`.
   * Concurrent calls queue in order; TORCHTS_INFERENCE_THREADS sets how many run at once
   * (default 1, leaving the cores to libtorch's intra-op threads).
   */
  forwardAsync(...args: [...Tensor[], ForwardAsyncOptions] | Tensor[]): Promise<Tensor | Tensor[]> {
    const { inputs, signal } = forwardAsyncArgs(args);
    const h = this._handle;
    const handles = inputs.map((t) => t.handle);
    return runAsync(() => N.jitForwardAsync(h, handles), signal);
  }

  /** Runs the named method (`m.callMethod('encode', x)` for Python's `m.encode(x)`). */
  callMethod(name: string, ...args: ScriptValue[]): ScriptValue {
    if (typeof name !== 'string') throw typeError('a method name', 'name', name);
    const encoded = args.map((a, k) => encode(a, `argument ${k}`));
    return decode(N.jitCall(this._handle, name, encoded));
  }

  /** The names of the module's own methods (`forward` and the `@torch.jit.export`ed ones). */
  methods(): string[] {
    return N.jitMethods(this._handle);
  }

  /** Whether the module has the method `name`. */
  hasMethod(name: string): boolean {
    return this.methods().includes(name);
  }

  /** Parameters with their dotted names. The tensors share the module's memory. */
  namedParameters(recurse = true): [string, Tensor][] {
    return N.jitNamedParameters(this._handle, checkBool(recurse, 'recurse')).map(([k, h]) => [k, wrap(h)]);
  }
  parameters(recurse = true): Tensor[] {
    return this.namedParameters(recurse).map(([, t]) => t);
  }
  /** Buffers (running statistics, ...) with their dotted names; they share the module's memory. */
  namedBuffers(recurse = true): [string, Tensor][] {
    return N.jitNamedBuffers(this._handle, checkBool(recurse, 'recurse')).map(([k, h]) => [k, wrap(h)]);
  }
  buffers(recurse = true): Tensor[] {
    return this.namedBuffers(recurse).map(([, t]) => t);
  }
  /** Parameters and buffers under their dotted names, as `state_dict()`. */
  stateDict(): Record<string, Tensor> {
    return Object.fromEntries([...this.namedParameters(), ...this.namedBuffers()]);
  }

  /** Whether the module is in training mode. */
  get training(): boolean {
    return N.jitIsTraining(this._handle);
  }
  /** Sets training mode on the module and its submodules. */
  train(mode = true): this {
    N.jitTrain(this._handle, checkBool(mode, 'mode'));
    return this;
  }
  /** Evaluation mode: `train(false)`. */
  eval(): this {
    return this.train(false);
  }

  /** Moves and/or casts the module's parameters and buffers in place: `to('cuda')`, `to('float64')`, `to({ device, dtype })`. */
  to(target: Device | DType | ScriptToOptions): this {
    let device: string | null = null;
    let dtype = -1;
    if (typeof target === 'string') {
      if (/^(cpu|cuda)/.test(target)) device = checkDevice(target, 'target');
      else dtype = dtypeCode(target, 'target');
    } else {
      const o = checkOptions<ScriptToOptions>(target, 'ScriptModule.to target', SCRIPT_TO_KEYS);
      device = checkDevice(o.device, 'device');
      if (o.dtype !== undefined) dtype = dtypeCode(o.dtype, 'dtype');
    }
    N.jitTo(this._handle, device, dtype);
    return this;
  }

  /** Writes the module in TorchScript's format (`torch.jit.save`); PyTorch's `torch.jit.load` reads it. */
  save(path: string): void {
    if (typeof path !== 'string') throw typeError('a file path', 'path', path);
    N.jitSave(this._handle, path);
  }

  /** The TorchScript graph of a method (`forward` by default), as text (Python's `str(m.graph)`). */
  graph(method = 'forward'): string {
    return N.jitGraph(this._handle, method);
  }

  /** Frees the native module now (otherwise the garbage collector does). */
  dispose(): void {
    if (this.#h < 0) return;
    finalizer.unregister(this);
    N.jitFree(this.#h);
    this.#h = -1;
  }
  [Symbol.dispose](): void {
    this.dispose();
  }
}

/**
 * Loads a TorchScript file written by PyTorch (`torch.jit.save` of a scripted or traced
 * module) or by `ScriptModule.save`. `mapLocation` puts its tensors on that device.
 */
export function load(path: string, options: JitLoadOptions = {}): ScriptModule {
  if (typeof path !== 'string') throw typeError('a file path', 'path', path);
  const o = checkOptions<JitLoadOptions>(options, 'jit.load options', JIT_LOAD_KEYS);
  const device = checkDevice(o.mapLocation, 'mapLocation');
  if (!fs.existsSync(path)) throw new TorchError(`torch.jit.load: no such file: ${path}`);
  try {
    return new ScriptModule(N.jitLoad(path, device));
  } catch (e) {
    if (e instanceof TorchError)
      throw new TorchError(`torch.jit.load: ${path} is not a TorchScript file libtorch can read: ${e.message}`);
    throw e;
  }
}

/** Writes `module` in TorchScript's format (`torch.jit.save(m, f)`). */
export function save(module: ScriptModule, path: string): void {
  if (!(module instanceof ScriptModule)) throw typeError('a ScriptModule', 'module', module);
  module.save(path);
}

function exampleList(example: unknown): Tensor[] {
  const list = Array.isArray(example) ? example : [example];
  list.forEach((t, k) => {
    if (!(t instanceof Tensor)) throw typeError('a Tensor or an array of Tensors', `exampleInputs[${k}]`, t);
  });
  return list as Tensor[];
}

/** One call of `model.forward(...inputs)` recorded by libtorch's tracer into a new ScriptModule. */
function traceModule(model: Module, inputs: Tensor[]): ScriptModule {
  const mods = model
    .namedModules()
    .map(([path, m]): [string, string, boolean] => [path, m.constructor.name, m.training]);
  const params = model.namedParameters().map(([k, t]): [string, number] => [k, t.handle]);
  const buffers = model.namedBuffers().map(([k, t]): [string, number] => [k, t.handle]);
  const handle = noGrad(() =>
    tidy(() =>
      N.jitTrace(
        mods,
        params,
        buffers,
        inputs.map((t) => t.handle),
        () => {
          const out: unknown = (model.forward as (...a: Tensor[]) => unknown)(...inputs);
          const list = out instanceof Tensor ? [out] : out;
          if (!Array.isArray(list) || list.length === 0 || !list.every((t) => t instanceof Tensor))
            throw new TorchError(
              `torch.jit.trace: forward must return a Tensor or an array of Tensors but returned ${describe(out)}`,
            );
          return (list as Tensor[]).map((t) => t.handle);
        },
      ),
    ),
  );
  return new ScriptModule(handle);
}

/**
 * Records one `model.forward(...exampleInputs)` with libtorch's tracer (`torch.jit.trace`):
 * the result is a ScriptModule whose graph reads the model's parameters and buffers (the
 * same tensors) and can be saved for PyTorch. As in PyTorch, the trace holds the ops that
 * ran: control flow that depends on data, and sizes read into JS numbers, are fixed to
 * what this example did. `forward` must take tensors and return a Tensor or an array of them.
 */
export function trace(model: Module, exampleInputs: Tensor | Tensor[]): ScriptModule {
  if (!(model instanceof Module)) throw typeError('a torchts nn.Module', 'model', model);
  return traceModule(model, exampleList(exampleInputs));
}

/** Inlines a module's parameters, buffers and submodules into its graph as constants (`torch.jit.freeze`). */
export function freeze(module: ScriptModule): ScriptModule {
  if (!(module instanceof ScriptModule)) throw typeError('a ScriptModule', 'module', module);
  if (module.training)
    throw new TorchError(
      'Freezing is currently only implemented for modules in eval mode. Please call .eval() on your module before freezing.',
    );
  return new ScriptModule(N.jitFreeze(module._handle));
}

/** At most this many input signatures are kept by an InferenceModule (the oldest is dropped). */
const MAX_SIGNATURES = 8;

/**
 * What `optimizeForInference` returns for a torchts model: `forward` takes the model's
 * tensor inputs and returns what the model's forward returns, computed by a frozen,
 * optimised TorchScript graph. The graph is made on the first call for each input
 * signature (shapes, dtypes, devices) by tracing the model once, so results follow the
 * eager model for any input; the weights are those the model had then (later changes to
 * the model are not seen, as with PyTorch's freezing).
 */
export class InferenceModule<M extends Module = Module> {
  readonly #model: M;
  readonly #oneDNN: boolean;
  readonly #winograd: boolean;
  readonly #graphs = new Map<string, ScriptModule>();
  #warned = false;

  /** @internal Use `optimizeForInference`. */
  constructor(model: M, oneDNN: boolean, winograd: boolean) {
    this.#model = model;
    this.#oneDNN = oneDNN;
    this.#winograd = winograd;
  }

  /** The eager model this module was made from. */
  get model(): M {
    return this.#model;
  }

  /** The optimised ScriptModule for these inputs (made now if new): for saving, `graph()`, or native serving. */
  scriptFor(...inputs: Tensor[]): ScriptModule {
    exampleList(inputs);
    const key = inputs.map((t) => `${t.shape.join('x')}:${t.dtype}:${t.device}`).join(',');
    let m = this.#graphs.get(key);
    if (m === undefined) {
      if (this.#model.training)
        throw new TorchError('optimizeForInference: the model was put back in training mode; call model.eval()');
      const traced = traceModule(this.#model, inputs).eval();
      const cpu = inputs.every((t) => t.device === 'cpu' && t.dtype === 'float32');
      try {
        if (this.#oneDNN && cpu) {
          const [h, failure] = N.jitOptimizeOneDNN(
            traced._handle,
            inputs.map((t) => t.handle),
            this.#winograd,
          );
          m = new ScriptModule(h);
          if (failure !== null && !this.#warned) {
            this.#warned = true;
            console.warn(
              `torchts: optimizeForInference: oneDNN Graph fusion failed, running the frozen graph unfused (${failure})`,
            );
          }
        } else m = new ScriptModule(N.jitOptimizeForInference(traced._handle));
      } finally {
        traced.dispose();
      }
      if (this.#graphs.size >= MAX_SIGNATURES) {
        const [oldest, old] = this.#graphs.entries().next().value as [string, ScriptModule];
        this.#graphs.delete(oldest);
        old.dispose();
      }
      this.#graphs.set(key, m);
    }
    return m;
  }

  /** Runs the optimised graph; the same result as `model.forward(...inputs)` (within float rounding). */
  forward(...inputs: Parameters<M['forward']>): ReturnType<M['forward']> {
    const args = inputs as unknown as Tensor[];
    return this.scriptFor(...args).forward(...args) as ReturnType<M['forward']>;
  }

  /**
   * `forward` on torchts's inference thread (see `ScriptModule.forwardAsync`): the optimised
   * graph for these inputs is made on this thread first if it is new (a trace of the JS forward).
   */
  forwardAsync(...args: [...Tensor[], ForwardAsyncOptions] | Tensor[]): Promise<Tensor | Tensor[]> {
    const { inputs, signal } = forwardAsyncArgs(args);
    const m = this.scriptFor(...inputs);
    return signal ? m.forwardAsync(...inputs, { signal }) : m.forwardAsync(...inputs);
  }

  /** Frees the optimised graphs (the eager model stays). */
  dispose(): void {
    for (const m of this.#graphs.values()) m.dispose();
    this.#graphs.clear();
  }
  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** Options of `optimizeForInference`. */
export interface OptimizeOptions {
  /**
   * CPU float32 inputs of a torchts model: run the frozen graph through oneDNN Graph's fuser
   * (default true), as `torch.jit.enable_onednn_fusion(True)` does in Python: convolutions
   * with their ReLU and residual add, pooling and linear layers become partitions that oneDNN
   * compiles once for the input's sizes, weights prepacked and cached. The module's executor
   * holds the fused plan (`lastExecutedOptimizedGraph()` after a forward shows it); `graph()`
   * shows the frozen graph it was made from. false: libtorch's `optimize_for_inference`
   * passes, as for other inputs.
   */
  oneDNN?: boolean;
  /**
   * With `oneDNN`: compute 3x3 stride-1 convolutions with Winograd's F(4x4, 3x3) or
   * F(2x2, 3x3) algorithm (default true) where the input's sizes make it faster: 4x or 2.25x
   * fewer multiply-adds, at a relative error of about 1e-5 per layer instead of a direct
   * convolution's 1e-7 (and a NaN or infinity spreads to its whole tile). false: every
   * convolution runs oneDNN's direct kernels.
   */
  winograd?: boolean;
}
const OPTIMIZE_KEYS = optionKeys<OptimizeOptions>({ oneDNN: 1, winograd: 1 });

/**
 * Prepares a model for fast inference (`torch.jit.optimize_for_inference`): freezes it
 * (parameters become constants), folds batch norm into convolutions, and fuses.
 *
 * - A torchts model (library or user-written), in eval mode: returns an InferenceModule,
 *   whose graphs come from tracing the model's forward (see `trace` for what tracing records).
 *   For CPU float32 inputs, 2-D convolutions become oneDNN's fused convolutions (see
 *   `OptimizeOptions.oneDNN`); otherwise libtorch's `optimize_for_inference` runs (oneDNN
 *   conversion on CPU, cuDNN conv + add + ReLU on CUDA).
 * - A ScriptModule (from `jit.load` or `jit.trace`): puts it in eval mode, as PyTorch does,
 *   and returns a new ScriptModule optimised by libtorch's `optimize_for_inference`.
 */
export function optimizeForInference<M extends Module>(model: M, options?: OptimizeOptions): InferenceModule<M>;
export function optimizeForInference(model: ScriptModule): ScriptModule;
export function optimizeForInference(
  model: Module | ScriptModule,
  options: OptimizeOptions = {},
): InferenceModule | ScriptModule {
  if (model instanceof ScriptModule) return new ScriptModule(N.jitOptimizeForInference(model.eval()._handle));
  if (!(model instanceof Module)) throw typeError('a torchts nn.Module or a ScriptModule', 'model', model);
  const o = checkOptions<OptimizeOptions>(options, 'optimizeForInference options', OPTIMIZE_KEYS);
  if (model.training)
    throw new TorchError('optimizeForInference expects a model in eval mode: call model.eval() first');
  return new InferenceModule(model, checkBool(o.oneDNN ?? true, 'oneDNN'), checkBool(o.winograd ?? true, 'winograd'));
}

/**
 * The graph that TorchScript's executor last ran on this thread, after its optimisations, as
 * text (Python's `torch.jit.last_executed_optimized_graph()`); null before any run. For an
 * `optimizeForInference` module this is the fused plan: `prim::oneDNNFusionGroup` nodes.
 */
export function lastExecutedOptimizedGraph(): string | null {
  return N.jitLastExecutedOptimizedGraph();
}
