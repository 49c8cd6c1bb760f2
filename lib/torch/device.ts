/** Devices: `'cpu'`, `'cuda'` or `'cuda:<index>'`. */
import { typeError } from './errors';

export type Device = 'cpu' | 'cuda' | `cuda:${number}`;

const DEVICE = /^(cpu|cuda(:\d+)?)$/;

/** Validates a device string; null/undefined pass through as "not given". */
export function checkDevice(device: unknown, argument = 'device'): string | null {
  if (device === undefined || device === null) return null;
  if (typeof device !== 'string' || !DEVICE.test(device)) {
    throw typeError("a device ('cpu', 'cuda' or 'cuda:<index>')", argument, device);
  }
  return device;
}
