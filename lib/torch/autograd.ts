/** Grad-mode scopes: `noGrad`, `enableGrad`, `inferenceMode`, `setGradEnabled`. */
import { N } from '../native';
import { checkBool } from './errors';

function scoped<T>(enter: () => void, exit: () => void, fn: () => T): T {
  if (typeof fn !== 'function') throw new TypeError(`Expected a function for fn but received ${typeof fn}`);
  enter();
  let result: T;
  try {
    result = fn();
  } catch (e) {
    exit();
    throw e;
  }
  if (result instanceof Promise) {
    // The mode is per thread, not per async context: it stays switched until the promise settles.
    return result.finally(exit) as T;
  }
  exit();
  return result;
}

function withGradMode<T>(enabled: boolean, fn: () => T): T {
  let prev = true;
  return scoped(
    () => (prev = N.setGradEnabled(enabled)),
    () => N.setGradEnabled(prev),
    fn,
  );
}

/** Runs `fn` without recording operations for autograd (`with torch.no_grad():`). */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/** Runs `fn` with autograd recording on, even inside `noGrad`. */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode(true, fn);
}

/**
 * Runs `fn` in inference mode (`with torch.inference_mode():`): no autograd and no
 * version counting; tensors made inside cannot be used in autograd later.
 */
export function inferenceMode<T>(fn: () => T, mode = true): T {
  checkBool(mode, 'mode');
  return scoped(
    () => N.enterInferenceMode(mode),
    () => N.exitInferenceMode(),
    fn,
  );
}

/** Switches autograd recording globally; returns the previous setting. */
export function setGradEnabled(enabled: boolean): boolean {
  return N.setGradEnabled(checkBool(enabled, 'enabled'));
}

export function isGradEnabled(): boolean {
  return N.isGradEnabled();
}

export function isInferenceModeEnabled(): boolean {
  return N.isInferenceMode();
}
