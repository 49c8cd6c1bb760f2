/**
 * Why CUDA can or cannot be used here, for `torchts info`: the binary (built with CUDA or
 * not), the libtorch it runs on (CPU or CUDA build), the NVIDIA driver (can libcuda.so.1 be
 * loaded), the devices (libtorch's own message from asking the driver) and
 * CUDA_VISIBLE_DEVICES.
 */
import * as os from 'node:os';

import { describeFlavour } from '../libtorch';
import { N, nativeInfo } from '../native';

export interface CudaStatus {
  usable: boolean;
  /** Why not, when not usable. */
  reason: string | null;
}

/** Whether the NVIDIA driver library loads: null when it does, else why not. */
function driverProblem(): string | null {
  if (process.platform !== 'linux') return null;
  try {
    // Not an addon: process.dlopen loads it, then complains that it did not self-register.
    process.dlopen({ exports: {} } as NodeJS.Module, 'libcuda.so.1', os.constants.dlopen.RTLD_LAZY);
    return null;
  } catch (e) {
    const message = (e as Error).message;
    if (/self-register/.test(message)) return null;
    if (/cannot open shared object file/.test(message))
      return 'no NVIDIA driver: libcuda.so.1 is not installed (or not on the loader path)';
    return `the NVIDIA driver library libcuda.so.1 does not load: ${message.split('\n')[0]}`;
  }
}

export function cudaStatus(): CudaStatus {
  if (N.cudaIsAvailable()) return { usable: true, reason: null };
  const flavour = nativeInfo.flavour;
  const driver = driverProblem();
  if (!N.builtWithCuda) {
    if (flavour?.kind === 'cuda')
      return {
        usable: false,
        reason: `this torchts binary was built without CUDA but the libtorch it runs on is a CUDA build (${describeFlavour(flavour)}): build it for that libtorch with \`npx torchts build\``,
      };
    const which = nativeInfo.loaded ? `libtorch ${nativeInfo.loaded}` : 'libtorch';
    const hint = driver ? '' : '; an NVIDIA driver is installed, so a CUDA build of torch could use it';
    return { usable: false, reason: `${which} is a CPU build (no libtorch_cuda.so)${hint}` };
  }
  const visible = process.env.CUDA_VISIBLE_DEVICES;
  const hidden =
    visible !== undefined && !/^\s*(\d+|GPU-|MIG-)/.test(visible)
      ? `CUDA_VISIBLE_DEVICES=${JSON.stringify(visible)} hides every device`
      : null;
  const said = typeof N.cudaStatus === 'function' ? (N.cudaStatus() as string | null) : null;
  const why = [driver, hidden, said ? `libtorch says: ${said}` : driver || hidden ? null : 'no CUDA device is visible'];
  return { usable: false, reason: why.filter(Boolean).join('; ') };
}
