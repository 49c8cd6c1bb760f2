/**
 * Tensor methods generated from libtorch's schema (lib/torch/generated/): each one calls its
 * operator through the generic op path (dispatch.ts). Installed on Tensor.prototype by
 * tensor.ts, after the hand-written methods, which keep their names.
 */
import { call, methodEntries } from './dispatch';
import { METHODS } from './generated/signatures';
import type { Tensor } from './tensor';

/** Defines every generated method that `proto` does not have yet; returns their names. */
export function installGeneratedMethods(proto: object): string[] {
  const installed: string[] = [];
  for (const [name, e] of Object.entries(methodEntries(METHODS))) {
    if (name in proto) continue;
    const value = function (this: Tensor, ...args: unknown[]): unknown {
      return call(e, this, args);
    };
    Object.defineProperty(value, 'name', { value: name });
    Object.defineProperty(proto, name, { value, writable: true, configurable: true });
    installed.push(name);
  }
  return installed;
}
