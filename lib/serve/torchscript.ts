/**
 * TorchScript models (`torch.jit.load` of a file saved by `torch.jit.script(m).save(path)` or
 * `torch.jit.trace`), with `forwardAsync`: the whole forward runs on the addon's inference
 * thread (native/async.h), so the event loop stays free while it runs.
 */
import * as fs from 'node:fs';

import { N } from '../native';
import type { ScriptHandle } from '../native_api';
import { checkSignal, runAsync } from '../torch/async_jobs';
import { checkDevice, type Device } from '../torch/device';
import { checkOptions, TorchError, typeError } from '../torch/errors';
import { _wrap as wrap, Tensor } from '../torch/tensor';

/** Options of `forwardAsync`. */
export interface ForwardAsyncOptions {
  /** Cancels the call: a queued forward never runs; a running one's result is dropped. */
  signal?: AbortSignal;
}

function splitArgs(args: unknown[]): { inputs: Tensor[]; options: ForwardAsyncOptions } {
  const last = args[args.length - 1];
  const hasOptions = typeof last === 'object' && last !== null && !(last instanceof Tensor);
  const inputs = (hasOptions ? args.slice(0, -1) : args) as unknown[];
  inputs.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw typeError('a Tensor', `input ${i}`, t);
  });
  const options = hasOptions ? checkOptions<ForwardAsyncOptions>(last, 'options', ['signal']) : {};
  return { inputs: inputs as Tensor[], options };
}

/** A TorchScript module loaded from a file. */
export class TorchScriptModel {
  private readonly m: ScriptHandle;
  private _training = false;

  private constructor(m: ScriptHandle) {
    this.m = m;
  }

  /** Loads a TorchScript file onto `device` (default: where it was saved from), in eval mode. */
  static load(file: string, options?: { device?: Device }): TorchScriptModel {
    if (typeof file !== 'string') throw typeError('a file path', 'file', file);
    const o = checkOptions<{ device: Device }>(options, 'options', ['device']);
    if (!fs.existsSync(file)) throw new TorchError(`TorchScript file not found: ${file}`);
    const model = new TorchScriptModel(N.scriptLoad(file, o.device === undefined ? null : checkDevice(o.device)));
    model.eval();
    return model;
  }

  get training(): boolean {
    return this._training;
  }
  /** Sets training mode (dropout, batch-norm statistics) on the module and its children. */
  train(mode = true): this {
    N.scriptTrain(this.m, mode);
    this._training = mode;
    return this;
  }
  eval(): this {
    return this.train(false);
  }

  /** Runs the forward on this thread. Several results (a tuple) come back as an array. */
  forward(...inputs: Tensor[]): Tensor | Tensor[] {
    const { inputs: xs } = splitArgs(inputs);
    const [handles, single] = N.scriptForward(
      this.m,
      xs.map((t) => t.handle),
    );
    const out = handles.map(wrap);
    return single ? out[0] : out;
  }

  /**
   * Runs the whole forward on the addon's inference thread and resolves with its result; the
   * event loop is free meanwhile. The inputs are held (not copied) until it ends: do not
   * modify them in place meanwhile. Grad mode and inference mode of the caller apply, as
   * they do to `forward`. Concurrent calls queue in order (TORCHTS_INFERENCE_THREADS sets how
   * many run at once; default 1). The last argument may be `{ signal }`.
   */
  forwardAsync(...args: [...Tensor[], ForwardAsyncOptions] | Tensor[]): Promise<Tensor | Tensor[]> {
    const { inputs, options } = splitArgs(args);
    const signal = checkSignal(options.signal);
    const handles = inputs.map((t) => t.handle);
    return runAsync(() => N.scriptForwardAsync(this.m, handles), signal);
  }
}
