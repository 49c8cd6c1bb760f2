/**
 * `torch._inductor`: AOTInductor packages. Python compiles an exported model ahead of time
 * (`torch._inductor.aoti_compile_and_package(torch.export.export(model, args))` writes a
 * `.pt2` file holding a shared library and the weights); `aotiLoadPackage` loads it through
 * libtorch's AOTIModelPackageLoader and runs it without Python (native/jit_aoti.cc).
 */
import * as fs from 'node:fs';

import { N as native } from '../native';
import { checkOptions, optionKeys, TorchError, typeError } from './errors';
import { _wrap as wrap, Tensor } from './tensor';

/** native/jit_aoti.cc's functions. */
interface AotiNative {
  aotiLoad(path: string, modelName: string, deviceIndex: number): number;
  aotiFree(h: number): void;
  aotiRun(h: number, inputs: number[]): number[];
  aotiMetadata(h: number): Record<string, string>;
  aotiCallSpec(h: number): string[];
}
const N = native as unknown as AotiNative;

const finalizer = new FinalizationRegistry<number>((h) => N.aotiFree(h));

/**
 * A loaded AOTInductor package (Python's `AOTICompiledModel`): `forward(...inputs)` runs the
 * compiled model. Inputs must have the shapes, dtypes and device the model was exported with
 * (or within its dynamic dimensions); they are checked, and a mismatch throws a TorchError.
 */
export class AOTIModel {
  #h: number;

  /** @internal Use `aotiLoadPackage`. */
  constructor(handle: number) {
    this.#h = handle;
    finalizer.register(this, handle, this);
  }

  #handle(): number {
    if (this.#h < 0) throw new TorchError('AOTI package was disposed: it cannot be used any more');
    return this.#h;
  }

  /** Runs the model on tensors; returns its flat outputs. */
  run(inputs: Tensor[]): Tensor[] {
    if (!Array.isArray(inputs)) throw typeError('an array of Tensors', 'inputs', inputs);
    const hs = inputs.map((t, k) => {
      if (!(t instanceof Tensor)) throw typeError('a Tensor', `inputs[${k}]`, t);
      return t.handle;
    });
    return N.aotiRun(this.#handle(), hs).map(wrap);
  }

  /** Runs the model: one Tensor back when it has one output, else an array. */
  forward(...inputs: Tensor[]): Tensor | Tensor[] {
    const out = this.run(inputs);
    return out.length === 1 ? out[0] : out;
  }

  /** The package's metadata (`AOTI_DEVICE_KEY`: the device it was compiled for, ...). */
  metadata(): Record<string, string> {
    return N.aotiMetadata(this.#handle());
  }

  /** The pytree specs of the inputs and outputs, as Python serialised them ([in_spec, out_spec]). */
  callSpec(): string[] {
    return N.aotiCallSpec(this.#handle());
  }

  /** Frees the loaded model now (otherwise the garbage collector does). */
  dispose(): void {
    if (this.#h < 0) return;
    finalizer.unregister(this);
    N.aotiFree(this.#h);
    this.#h = -1;
  }
  [Symbol.dispose](): void {
    this.dispose();
  }
}

/**
 * Loads an AOTInductor package (`torch._inductor.aoti_load_package`). `modelName` picks a
 * model inside a package holding several (default `'model'`); `deviceIndex` the CUDA device
 * for a CUDA package (default: the current one). A file that is not a package, or one
 * compiled for a device or libtorch this process cannot run, throws a TorchError saying so.
 */
/** Options of `aotiLoadPackage`. */
export interface AotiLoadOptions {
  modelName?: string;
  deviceIndex?: number;
}
const AOTI_LOAD_KEYS = optionKeys<AotiLoadOptions>({ modelName: 1, deviceIndex: 1 });

export function aotiLoadPackage(path: string, options: AotiLoadOptions = {}): AOTIModel {
  if (typeof path !== 'string') throw typeError('a file path', 'path', path);
  const o = checkOptions<AotiLoadOptions>(options, 'aotiLoadPackage options', AOTI_LOAD_KEYS);
  const modelName = o.modelName ?? 'model';
  if (typeof modelName !== 'string') throw typeError('a string', 'modelName', modelName);
  const deviceIndex = o.deviceIndex ?? -1;
  if (!Number.isInteger(deviceIndex) || deviceIndex < -1) throw typeError('a device index', 'deviceIndex', deviceIndex);
  if (!fs.existsSync(path)) throw new TorchError(`aotiLoadPackage: no such file: ${path}`);
  try {
    return new AOTIModel(N.aotiLoad(path, modelName, deviceIndex));
  } catch (e) {
    if (e instanceof TorchError)
      throw new TorchError(`aotiLoadPackage: cannot load ${path} as an AOTInductor package: ${e.message}`);
    throw e;
  }
}
