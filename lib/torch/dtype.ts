/** Data types. They cross into C++ as at::ScalarType codes. */
import { rangeError, typeError } from './errors';

/** The dtypes torchts supports, named as in PyTorch (`torch.float32` is `'float32'`). */
export type DType =
  | 'float32'
  | 'float64'
  | 'float16'
  | 'bfloat16'
  | 'int64'
  | 'int32'
  | 'int16'
  | 'int8'
  | 'uint8'
  | 'bool';

/** at::ScalarType codes (c10/core/ScalarType.h). */
const CODES: Record<DType, number> = {
  uint8: 0,
  int8: 1,
  int16: 2,
  int32: 3,
  int64: 4,
  float16: 5,
  float32: 6,
  float64: 7,
  bool: 11,
  bfloat16: 15,
};
const NAMES: DType[] = [];
for (const [name, code] of Object.entries(CODES)) NAMES[code] = name as DType;

/** PyTorch's aliases (`torch.float`, `torch.long`, ...). */
const ALIASES: Record<string, DType> = {
  float: 'float32',
  double: 'float64',
  half: 'float16',
  long: 'int64',
  int: 'int32',
  short: 'int16',
};

export function dtypeCode(dtype: unknown, argument = 'dtype'): number {
  if (typeof dtype !== 'string') throw typeError('a dtype name such as "float32"', argument, dtype);
  const code = CODES[(ALIASES[dtype] ?? dtype) as DType];
  if (code === undefined) {
    throw rangeError(`one of ${Object.keys(CODES).join(', ')}`, argument, dtype);
  }
  return code;
}

/** The code for an optional dtype; -1 means "not given". */
export function optDtypeCode(dtype: unknown, argument = 'dtype'): number {
  return dtype === undefined || dtype === null ? -1 : dtypeCode(dtype, argument);
}

export function dtypeName(code: number): DType {
  const n = NAMES[code];
  if (n === undefined) throw new RangeError(`torchts does not know dtype code ${code}`);
  return n;
}

export function isFloatingPoint(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64' || dtype === 'float16' || dtype === 'bfloat16';
}

/** Every dtype torchts knows. */
export const DTYPES = Object.keys(CODES) as DType[];
