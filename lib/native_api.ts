/**
 * The native boundary, typed: every function the addon exports (native/*.cc), with the forms
 * its arguments cross in. Tensors cross as handles into the native tensor table (H); -1 or
 * null stand for "no tensor"; dtypes cross as at::ScalarType codes (-1: not given); devices as
 * strings. The TypeScript layer validates before calling; the native side still checks types
 * and throws instead of misbehaving. The long tail of ops goes through opResolve/opCall.
 */

/** A tensor handle (native/tensor_table.h). */
export type H = number;
/** A number or boolean passed as an at::Scalar. */
type S = number | boolean;
/** at::ScalarType code, -1 when not given. */
type DCode = number;
type Dev = string | null;
type Pair = [H, H];

/** Unary ops with an in-place form (native/ops/pointwise.cc UNARY_). */
type UnaryName =
  | 'neg'
  | 'abs'
  | 'exp'
  | 'log'
  | 'log2'
  | 'log10'
  | 'log1p'
  | 'expm1'
  | 'sqrt'
  | 'rsqrt'
  | 'square'
  | 'sin'
  | 'cos'
  | 'tan'
  | 'asin'
  | 'acos'
  | 'atan'
  | 'sinh'
  | 'cosh'
  | 'tanh'
  | 'sigmoid'
  | 'relu'
  | 'erf'
  | 'floor'
  | 'ceil'
  | 'round'
  | 'trunc'
  | 'frac'
  | 'sign'
  | 'reciprocal'
  | 'logicalNot';
/** Binary ops in four forms: x, xS (scalar), x_, xS_ (native/ops/pointwise.cc BINARY). */
type BinaryName =
  | 'mul'
  | 'div'
  | 'pow'
  | 'remainder'
  | 'fmod'
  | 'floorDivide'
  | 'eq'
  | 'ne'
  | 'lt'
  | 'le'
  | 'gt'
  | 'ge';

type Unary = Record<UnaryName | 'isnan' | 'isinf' | 'isfinite', (self: H) => H> &
  Record<`${UnaryName}_`, (self: H) => H>;
type Binary = Record<BinaryName, (self: H, other: H) => H> &
  Record<`${BinaryName}S`, (self: H, other: S) => H> &
  Record<`${BinaryName}_`, (self: H, other: H) => H> &
  Record<`${BinaryName}S_`, (self: H, other: S) => H>;

/** What native/ops/data.cc's toTyped returns. */
type Typed = Float32Array | Float64Array | Int32Array | Int16Array | Int8Array | Uint8Array | BigInt64Array;

export interface NativeApi extends Unary, Binary {
  readonly torchVersion: string;
  readonly builtWithCuda: boolean;
  readonly distBackends?: Record<string, boolean>;
  libtorchPath(): string | null;
  setErrorClass(ctor: new (message: string) => Error): void;

  // ---- the generic op (native/ops/dispatch.cc) --------------------------------------
  /** Resolves `aten::name` + overload to an op id, once per op. */
  opResolve(name: string, overload: string): number;
  /** The schema's arguments: [name, type, flags (1: out=, 2: optional)]. */
  opArgs(id: number): [name: string, type: string, flags: number][];
  /** The schema as libtorch prints it. */
  opSchema(id: number): string;
  /** Calls op `id` (+ wrapped-number mask << 16) with its arguments in schema order. */
  opCall(code: number, ...args: unknown[]): unknown;

  // ---- tensor table and metadata (runtime.cc, data.cc) ------------------------------
  free(h: H): void;
  liveCount(): number;
  memoryStats(): unknown;
  /** Weak references and scope membership for new tensors: [tensor, handle, scope, ...] -> sweep due. */
  watch(items: unknown[]): boolean;
  /** Frees the slots of collected tensors (young ones, or all with `full`); returns how many. */
  sweep(full: boolean): number;
  fullSweepDue(): boolean;
  watchedCount(): number;
  /** Where the table flags much new tensor data (memory.ts's pressure flag). */
  setPressureFlag(flag: Int32Array): void;
  unscope(handles: H[], kept: boolean): void;
  openScope(): number;
  /** Ends a scope; returns the JS Tensor objects of the slots it freed. */
  closeScope(scope: number, parent: number, returned: H[], stored: H[]): object[];
  /** [identity, bytes] of the tensor's storage. */
  storageInfo(h: H): [number, number];
  /** The storage's bytes (a view of CPU memory with `alias`, else a copy). */
  storageBytes(h: H, alias: boolean): Buffer;
  shape(h: H): number[];
  strides(h: H): number[];
  storageOffset(h: H): number;
  dim(h: H): number;
  numel(h: H): number;
  dtype(h: H): DCode;
  device(h: H): string;
  isContiguous(h: H): boolean;
  isContiguousAs(h: H, memoryFormat: number): boolean;
  sameStorage(a: H, b: H): boolean;
  isPinned(h: H): boolean;
  isInference(h: H): boolean;
  item(h: H): number | boolean;
  toTyped(h: H): Typed;
  toBytes(h: H): Buffer;
  dataAsync(h: H): Promise<Typed>;
  fromTyped(data: ArrayBufferView, shape: readonly number[], dtype: DCode, device: Dev): H;
  fromBytes(bytes: Uint8Array, shape: readonly number[], dtype: DCode): H;

  // ---- runtime, seeds, threads --------------------------------------------------------
  manualSeed(seed: number): void;
  initialSeed(): number;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  backendFlag(name: string, value?: boolean): boolean;
  generatorNew(seed: number | bigint): number;
  generatorSeed(g: number, seed: number | bigint): void;
  generatorGetState(g: number): H;
  generatorSetState(g: number, state: H): void;
  getRngState(): H;
  setRngState(state: H): void;

  // ---- creation (creation.cc) ---------------------------------------------------------
  zeros(size: readonly number[], dtype: DCode, device: Dev): H;
  ones(size: readonly number[], dtype: DCode, device: Dev): H;
  empty(size: readonly number[], dtype: DCode, device: Dev): H;
  rand(size: readonly number[], dtype: DCode, device: Dev): H;
  randn(size: readonly number[], dtype: DCode, device: Dev): H;
  full(size: readonly number[], value: S, dtype: DCode, device: Dev): H;
  randint(low: number, high: number, size: readonly number[], dtype: DCode, device: Dev): H;
  randperm(n: number, generator: number): H;
  arange(start: number, end: number, step: number, dtype: DCode, device: Dev): H;
  linspace(start: number, end: number, steps: number, dtype: DCode, device: Dev): H;
  eye(n: number, m: number, dtype: DCode, device: Dev): H;
  normal_(self: H, mean: S, std: S): H;
  uniform_(self: H, from: S, to: S): H;
  bernoulli_(self: H, p: S): H;
  fill_(self: H, value: S): H;
  zero_(self: H): H;

  // ---- pointwise (pointwise.cc) -------------------------------------------------------
  add(self: H, other: H, alpha: S): H;
  addS(self: H, other: S, alpha: S): H;
  add_(self: H, other: H, alpha: S): H;
  addS_(self: H, other: S, alpha: S): H;
  sub(self: H, other: H, alpha: S): H;
  subS(self: H, other: S, alpha: S): H;
  sub_(self: H, other: H, alpha: S): H;
  subS_(self: H, other: S, alpha: S): H;
  rsubS(self: H, other: S): H;
  rpowS(self: H, base: S): H;
  maximum(a: H, b: H): H;
  minimum(a: H, b: H): H;
  atan2(a: H, b: H): H;
  logicalAnd(a: H, b: H): H;
  logicalOr(a: H, b: H): H;
  logicalXor(a: H, b: H): H;
  where(condition: H, a: H, b: H): H;
  clamp(self: H, min: S | null, max: S | null): H;
  clamp_(self: H, min: S | null, max: S | null): H;
  addcmul_(self: H, t1: H, t2: H, value: S): H;
  addcdiv_(self: H, t1: H, t2: H, value: S): H;
  lerp_(self: H, end: H, weight: S): H;
  copy_(self: H, src: H, nonBlocking: boolean): H;
  maskedFill(self: H, mask: H, value: S): H;
  maskedFill_(self: H, mask: H, value: S): H;
  allclose(a: H, b: H, rtol: number, atol: number, equalNan: boolean): boolean;
  equal(a: H, b: H): boolean;
  matmul(a: H, b: H): H;
  mm(a: H, b: H): H;
  bmm(a: H, b: H): H;
  dot(a: H, b: H): H;
  outer(a: H, b: H): H;
  softmax(self: H, dim: number, dtype: DCode): H;
  logSoftmax(self: H, dim: number, dtype: DCode): H;

  // ---- reductions (reduction.cc) ------------------------------------------------------
  sum(self: H, dims: number[] | null, keepdim: boolean, dtype: DCode): H;
  mean(self: H, dims: number[] | null, keepdim: boolean, dtype: DCode): H;
  prod(self: H, dim: number | null, keepdim: boolean, dtype: DCode): H;
  max(self: H): H;
  min(self: H): H;
  maxDim(self: H, dim: number, keepdim: boolean): Pair;
  minDim(self: H, dim: number, keepdim: boolean): Pair;
  amax(self: H, dims: number[], keepdim: boolean): H;
  amin(self: H, dims: number[], keepdim: boolean): H;
  logsumexp(self: H, dims: number[], keepdim: boolean): H;
  argmax(self: H, dim: number | null, keepdim: boolean): H;
  argmin(self: H, dim: number | null, keepdim: boolean): H;
  all(self: H, dim: number | null, keepdim: boolean): H;
  any(self: H, dim: number | null, keepdim: boolean): H;
  std(self: H, dims: number[] | null, correction: S, keepdim: boolean): H;
  var(self: H, dims: number[] | null, correction: S, keepdim: boolean): H;
  norm(self: H, p: S, dims: number[] | null, keepdim: boolean): H;
  topk(self: H, k: number, dim: number, largest: boolean, sorted: boolean): Pair;
  sort(self: H, dim: number, descending: boolean): Pair;
  cumsum(self: H, dim: number, dtype: DCode): H;

  // ---- shape, views, indexing (shape.cc) ---------------------------------------------
  view(self: H, shape: readonly number[]): H;
  reshape(self: H, shape: readonly number[]): H;
  expand(self: H, size: readonly number[]): H;
  repeat(self: H, repeats: readonly number[]): H;
  permute(self: H, dims: readonly number[]): H;
  flip(self: H, dims: readonly number[]): H;
  transpose(self: H, dim0: number, dim1: number): H;
  t(self: H): H;
  flatten(self: H, startDim: number, endDim: number): H;
  squeeze(self: H, dim: number | null): H;
  unsqueeze(self: H, dim: number): H;
  cat(tensors: readonly H[], dim: number): H;
  stack(tensors: readonly H[], dim: number): H;
  split(self: H, size: number | readonly number[], dim: number): H[];
  chunk(self: H, chunks: number, dim: number): H[];
  unbind(self: H, dim: number): H[];
  narrow(self: H, dim: number, start: number, length: number): H;
  select(self: H, dim: number, index: number): H;
  indexSelect(self: H, dim: number, index: H): H;
  gather(self: H, dim: number, index: H): H;
  index(self: H, spec: unknown[]): H;
  indexPut_(self: H, spec: unknown[], value: H): H;
  indexPutS_(self: H, spec: unknown[], value: S): H;
  viewDtype(self: H, dtype: DCode): H;
  contiguous(self: H, memoryFormat: number | null): H;
  asStrided(self: H, size: readonly number[], stride: readonly number[], storageOffset: number): H;
  clone(self: H): H;
  detach(self: H): H;
  detach_(self: H): H;
  to(self: H, dtype: DCode, device: Dev, nonBlocking: boolean, copy: boolean, memoryFormat: number | null): H;
  pinMemory(self: H): H;

  // ---- autograd (autograd.cc) ---------------------------------------------------------
  backward(self: H, gradient: H, retainGraph: boolean, createGraph: boolean): void;
  requiresGrad(self: H): boolean;
  setRequiresGrad(self: H, value: boolean): H;
  isLeaf(self: H): boolean;
  retainGrad(self: H): H;
  hasGrad(self: H): boolean;
  grad(self: H): H;
  setGrad(self: H, grad: H): void;
  gradFn(self: H): string | null;
  /** Returns the previous setting. */
  setGradEnabled(enabled: boolean): boolean;
  isGradEnabled(): boolean;
  enterInferenceMode(mode: boolean): void;
  exitInferenceMode(): boolean;
  isInferenceMode(): boolean;

  // ---- nn, optimizers, amp (nn.cc, optim.cc, amp.cc) ---------------------------------
  setData(self: H, data: H): H;
  sgdStep(...args: unknown[]): unknown;
  adamStep(...args: unknown[]): unknown;
  zeroGrad(...args: unknown[]): unknown;
  ampUnscale(grads: readonly H[], foundInf: H, invScale: H): void;
  ampUpdateScale(...args: unknown[]): unknown;
  autocastSet(deviceType: string, enabled: boolean, dtype: DCode, cacheEnabled: boolean, enter: boolean): void;
  autocastState(deviceType: string): { enabled: boolean; dtype: number; cacheEnabled: boolean };

  // ---- images (image.cc) --------------------------------------------------------------
  imageFromHWC(data: Uint8Array, height: number, width: number, channels: number, luma: boolean): H;
  imageResize(img: H, size: readonly number[], antialias: boolean): H;
  imagePad(img: H, padding: readonly number[], mode: number, fill: number): H;
  imageGrayscale(img: H): H;
  imageCrop(...args: unknown[]): H;
  imageAdjustBrightness(img: H, factor: number): H;
  imageAdjustContrast(img: H, factor: number): H;
  imageAdjustSaturation(img: H, factor: number): H;
  imageAdjustHue(img: H, factor: number): H;

  // ---- CUDA (cuda.cc) -----------------------------------------------------------------
  cudaIsAvailable(): boolean;
  cudaDeviceCount(): number;
  cudaVersions(): { cuda: number; cudnn: number };
  cudaManualSeed(seed: number, device: number): void;
  cudaCurrentDevice(): number;
  cudaSetDevice(device: number | null): void;
  cudaDeviceName(device: number | null): string;
  cudaSynchronize(device: number | null): void;
  cudaEmptyCache(): void;
  cudaMemoryStats(device: number | null): Record<string, number>;
  cudaResetPeakMemoryStats(device: number | null): void;
  cudaIsCapturing(): boolean;
  cudaStreamEnter(): void;
  cudaStreamExit(): void;
  cudaGraphNew(): number;
  cudaGraphCaptureBegin(graph: number, pool: number): void;
  cudaGraphCaptureEnd(graph: number): void;
  cudaGraphReplay(graph: number): void;
  cudaGraphFree(graph: number): void;

  // ---- torch.distributed (distributed.cc) ---------------------------------------------
  distInit(backend: string, host: string, port: number, rank: number, worldSize: number, timeout: number): void;
  distIsInitialized(): boolean;
  distRank(): number;
  distWorldSize(): number;
  distBackend(): string;
  distBarrier(): void;
  distDestroy(): void;
  distAllReduce(tensor: H, op: string): void;
  /** Summing all-reduce into a new tensor that autograd differentiates (its backward all-reduces the gradient). */
  distAllReduceDifferentiable(tensor: H): H;
  distBroadcast(tensor: H, src: number): void;
  distAllGather(...args: unknown[]): void;
  distBroadcastCoalesced(...args: unknown[]): void;
  ddpNew(...args: unknown[]): number;
  ddpFree(id: number): void;
  ddpPreForward(id: number): void;
  ddpPostForward(id: number, outputs: readonly H[]): void;

  // ---- optimizers (native/ops/optim*.cc) -------------------------------------------------
  /** One step of `algorithm` over a parameter group; returns the state entries it created. */
  optimStep(
    algorithm: string,
    params: H[],
    state: Record<string, H[]>,
    hyper: Record<string, number | boolean>,
    mode: 'single' | 'foreach' | 'fused',
  ): Record<string, H[]>;
  lbfgsFlatGrad(params: H[]): H;
  lbfgsAddGrad(params: H[], stepSize: number, update: H): void;
  lbfgsCloneParams(params: H[]): H[];
  lbfgsSetParams(params: H[], copies: H[]): void;
  /** [direction, al_0, ..., al_{n-1}]: L-BFGS's two-loop recursion. */
  lbfgsDirection(flatGrad: H, dirs: H[], stps: H[], ro: H[], hDiagTensor: H, hDiag: number): H[];
  /** Why CUDA is not usable (libtorch's message), or null when it is. */
  cudaStatus(): string | null;

  // ---- inference threads and TorchScript modules (async.cc, script_module.cc) -----------
  /** Where this environment's finished jobs are delivered: (id, error, handles, single). */
  asyncInit(done: (id: number, error: string | null, handles: H[] | null, single: boolean) => void): void;
  /** Cancels a queued job; false once it started. */
  asyncCancel(id: number): boolean;
  asyncStats(): { queued: number; threads: number };
  scriptLoad(path: string, device: Dev): ScriptHandle;
  scriptTrain(m: ScriptHandle, training: boolean): void;
  scriptForward(m: ScriptHandle, inputs: H[]): [H[], boolean];
  /** Queues a forward on the inference threads; returns the job id (asyncInit's callback). */
  scriptForwardAsync(m: ScriptHandle, inputs: H[]): number;
}

/** A native torch::jit::Module (script_module.cc). */
export interface ScriptHandle {
  readonly __brand: 'torchts.ScriptModule';
}
