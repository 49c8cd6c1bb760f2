/** The `torch` namespace. */
import { describeFlavour, minorOf } from '../libtorch';
import { N, nativeInfo } from '../native';
import { cudaStatus } from './cuda_status';

export { Tensor, type IndexItem, type MemoryFormat, type NestedArray, type TensorData } from './tensor';
export { TorchError } from './errors';
export type { DType } from './dtype';
export type { Device } from './device';
export * from './creation';
export * from './functions';
// Everything else libtorch's schema has (torch.*, torch.linalg, torch.special), generated.
export * from './generated/functions';
// torch/functional.py's Python-level forms of some of them (variadic, string options, tuples).
export {
  atleast1d,
  atleast2d,
  atleast3d,
  blockDiag,
  broadcastShapes,
  broadcastTensors,
  cartesianProd,
  cdist,
  chainMatmul,
  einsum,
  meshgrid,
  nonzero,
  norm,
  split,
  tensordot,
  unique,
  uniqueConsecutive,
  unravelIndex,
} from './functional';
export { Generator, randperm, getRngState, setRngState } from './generator';
export { noGrad, enableGrad, inferenceMode, setGradEnabled, isGradEnabled, isInferenceModeEnabled } from './autograd';
export { tidy, keep, memory, type MemoryReport } from './memory';
export {
  fromTransferable,
  transferList,
  type FromTransferableOptions,
  type ToTransferableOptions,
  type TransferableTensor,
} from './transfer';
export { save, load, saveAsync, loadAsync, type LoadOptions, type SaveOptions, type SaveFormat } from './serialization';
export * as cuda from './cuda';
export * as backends from './backends';
export * as amp from './amp/index';
export { autocast } from './amp/autocast';
export * as jit from './jit';
export * as _inductor from './inductor';

// dtype names as PyTorch spells them: torch.float32, torch.long, ...
export const float32 = 'float32';
export const float = 'float32';
export const float64 = 'float64';
export const double = 'float64';
export const float16 = 'float16';
export const half = 'float16';
export const bfloat16 = 'bfloat16';
export const int64 = 'int64';
export const long = 'int64';
export const int32 = 'int32';
export const int = 'int32';
export const int16 = 'int16';
export const int8 = 'int8';
export const uint8 = 'uint8';
export const bool = 'bool';
// memory formats
export const contiguousFormat = 'contiguousFormat';
export const channelsLast = 'channelsLast';
export const preserveFormat = 'preserveFormat';

/** The libtorch version torchts runs on (`2.13.0`). */
export const version: string = N.torchVersion;

/** Sets the number of threads libtorch uses for intra-op parallelism. */
export function setNumThreads(n: number): void {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`Expected an integer >= 1 for n but received ${n}`);
  N.setNumThreads(n);
}
export function getNumThreads(): number {
  return N.getNumThreads();
}

/** 12040 -> '12.4' (CUDA encodes major*1000 + minor*10). */
function formatCudaVersion(v: number): string {
  return v > 0 ? `${Math.floor(v / 1000)}.${Math.floor((v % 1000) / 10)}` : 'none';
}
/** 90100 -> '9.1.0' (cuDNN 9 encodes major*10000 + minor*100 + patch). */
function formatCudnnVersion(v: number): string {
  if (v <= 0) return 'none';
  return v >= 10000
    ? `${Math.floor(v / 10000)}.${Math.floor((v % 10000) / 100)}.${v % 100}`
    : `${Math.floor(v / 1000)}.${Math.floor((v % 1000) / 100)}.${v % 100}`;
}

/**
 * Versions and devices, as `torchts info` prints them: which binary was loaded (a prebuilt
 * variant, a source build or TORCHTS_BINARY) and which libtorch, whether CUDA is usable and,
 * if not, why.
 */
export function info(): Record<string, string | number | boolean> {
  const cuda = cudaStatus();
  return {
    torchts: require('../../package.json').version as string,
    libtorch: nativeInfo.loaded ?? N.torchVersion,
    'libtorch flavour': nativeInfo.flavour ? describeFlavour(nativeInfo.flavour) : '(unknown)',
    'compiled against': N.torchVersion,
    'libtorch dir': nativeInfo.libtorchDir ?? '(unknown)',
    'libtorch found by': nativeInfo.libtorchSource,
    binary: nativeInfo.binary,
    'binary kind': nativeInfo.variant ? `prebuilt ${nativeInfo.variant}` : nativeInfo.kind,
    'built with CUDA': N.builtWithCuda,
    'cuda available': cuda.usable,
    'cuda unavailable': cuda.reason ?? '-',
    'cuda devices': N.cudaDeviceCount(),
    'cuda runtime': formatCudaVersion(N.cudaVersions().cuda),
    cudnn: formatCudnnVersion(N.cudaVersions().cudnn),
    threads: N.getNumThreads(),
    // torch.distributed backends compiled in (Gloo needs its headers at build time, NCCL a CUDA build).
    distributed:
      ['gloo', 'nccl']
        .filter((b) => Boolean((N.distBackends as Record<string, boolean> | undefined)?.[b]))
        .join(', ') || 'none',
    'libtorch minor': minorOf(N.torchVersion),
  };
}
