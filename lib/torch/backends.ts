/**
 * `torch.backends`: switches of the cuDNN and cuBLAS backends, as properties
 * (`torch.backends.cudnn.benchmark = true`). They are process-wide libtorch settings and can
 * be set on any build; they only change anything on CUDA.
 */
import { N } from '../native';
import { checkBool } from './errors';

function flag(name: string, argument: string): PropertyDescriptor {
  return {
    enumerable: true,
    get: () => N.backendFlag(name) as boolean,
    set: (v: unknown) => void N.backendFlag(name, checkBool(v, argument)),
  };
}

export interface CudnnBackend {
  /** Let cuDNN time its algorithms per input shape and pick the fastest (default false). */
  benchmark: boolean;
  /** Only deterministic cuDNN algorithms (default false). */
  deterministic: boolean;
  enabled: boolean;
  /** TF32 tensor cores in cuDNN convolutions (default true). */
  allowTF32: boolean;
}
export interface CudaBackend {
  /** TF32 tensor cores in cuBLAS float32 matmuls (default false). */
  matmul: { allowTF32: boolean };
}

export const cudnn = Object.defineProperties({} as CudnnBackend, {
  benchmark: flag('cudnn.benchmark', 'torch.backends.cudnn.benchmark'),
  deterministic: flag('cudnn.deterministic', 'torch.backends.cudnn.deterministic'),
  enabled: flag('cudnn.enabled', 'torch.backends.cudnn.enabled'),
  allowTF32: flag('cudnn.allowTF32', 'torch.backends.cudnn.allowTF32'),
});
export const cuda: CudaBackend = {
  matmul: Object.defineProperties({} as { allowTF32: boolean }, {
    allowTF32: flag('cuda.matmul.allowTF32', 'torch.backends.cuda.matmul.allowTF32'),
  }),
};
