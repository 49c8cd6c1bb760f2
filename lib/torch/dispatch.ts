/**
 * The generic op path: calls any libtorch operator through one native entry point
 * (`N.opCall`), choosing the overload as PyTorch's Python binding does (python_arg_parser).
 *
 * Each Python-level name (`torch.add`, `Tensor.sum`, ...) has its overloads as compact
 * signature strings, generated from libtorch's schema by scripts/gen_ops.py
 * (lib/torch/generated/signatures.ts). A call tries them in order: positional arguments
 * bind in order, a trailing plain object holds keyword arguments (camelCase), and the first
 * overload whose every argument passes its type's check is called. Values are converted to
 * what the native side takes (handles, dtype codes, ...), placed by the schema's argument names
 * (read from libtorch once per op, so a libtorch whose schema orders them differently still
 * works), and results come back as Tensors through `_wrap`, or as the very input Tensor for
 * in-place and out= forms.
 */
import { N } from '../native';
import { dtypeName, optDtypeCode } from './dtype';
import { describe, nearestKey, TorchError } from './errors';
import { Generator } from './generator';
import { _wrap as wrap, Tensor } from './tensor';

// ---- signatures ------------------------------------------------------------------------

/** Argument kinds; lists and optional-ness are flags on the parameter. */
enum K {
  Tensor,
  Scalar,
  Int,
  Float,
  Bool,
  DType,
  Layout,
  Device,
  MemoryFormat,
  Str,
  Generator,
  Out,
}

const KINDS: Record<string, K> = {
  T: K.Tensor,
  S: K.Scalar,
  I: K.Int,
  F: K.Float,
  B: K.Bool,
  D: K.DType,
  L: K.Layout,
  V: K.Device,
  M: K.MemoryFormat,
  s: K.Str,
  G: K.Generator,
  O: K.Out,
};

/** How each kind reads in messages (TypeScript's spelling of the schema type). */
const KIND_NAMES: Record<K, string> = {
  [K.Tensor]: 'a Tensor',
  [K.Scalar]: 'a number or boolean',
  [K.Int]: 'an integer',
  [K.Float]: 'a number',
  [K.Bool]: 'a boolean',
  [K.DType]: 'a dtype name',
  [K.Layout]: "a layout ('strided')",
  [K.Device]: "a device ('cpu', 'cuda', 'cuda:<index>')",
  [K.MemoryFormat]: "a memory format ('contiguousFormat', 'channelsLast', ...)",
  [K.Str]: 'a string',
  [K.Generator]: 'a torch.Generator',
  [K.Out]: 'a Tensor',
};

interface Param {
  /** Python's name (snake_case), as the schema spells it. */
  py: string;
  /** The name callers use in options objects (camelCase). */
  js: string;
  kind: K;
  list: boolean;
  /** List size where the schema fixes it (int[2]); a single value then stands for all. */
  size: number;
  nullable: boolean;
  /** Tensor?[]: list elements may be null. */
  elemNullable: boolean;
  kwOnly: boolean;
  optional: boolean;
  /** Numbers are accepted for this Tensor argument (wrapped numbers). */
  numbers: boolean;
  /** out=: how many tensors (1 or n). */
  outCount: number;
  /** The schema's spelling of the type, for messages. */
  type: string;
}

interface OpRef {
  name: string;
  overload: string;
  id: number;
  /** Native argument count. */
  nargs: number;
  /** For each param: the schema position it fills, -1 when this op has none. out= params hold the first of theirs. */
  pos: Int16Array;
  /** Schema position of `self` for methods, -1 otherwise. */
  selfPos: number;
}

interface Sig {
  text: string;
  params: Param[];
  byName: Map<string, number>;
  nPos: number;
  /** view(2, 3) as view([2, 3]): a single positional int list may be given as varargs. */
  varargs: boolean;
  base: OpRef;
  out: OpRef | null;
  outParam: number;
  requiresGradParam: number;
  returns: string[];
  fields: string[] | null;
  /** The compiled positional-only form (see compileFast); undefined until first tried, null when not eligible. */
  fast?: FastFn | null;
}

/** A signature compiled for positional arguments: a result, NO (certainly no match) or FALLBACK. */
type FastFn = (self: Tensor | undefined, args: readonly unknown[], n: number) => unknown;

/** One Python-level name with its overloads, parsed on first use. */
export interface Entry {
  /** How messages name it: `torch.add`, `Tensor.add`. */
  readonly label: string;
  readonly method: boolean;
  readonly texts: readonly string[];
  sigs: Sig[] | null;
}

function snakeToCamel(s: string): string {
  return s.replace(/([a-z0-9])_([a-z0-9])/gi, (_m, a: string, b: string) => a + b.toUpperCase());
}

function parseParam(text: string, numbers: boolean): Param {
  const kwOnly = text.startsWith('*');
  const body = kwOnly ? text.slice(1) : text;
  const optional = body.endsWith('=');
  const spec = optional ? body.slice(0, -1) : body;
  const colon = spec.indexOf(':');
  const py = spec.slice(0, colon);
  let code = spec.slice(colon + 1);
  const type = code;
  let outCount = 0;
  if (code.startsWith('O')) {
    outCount = code.length > 1 ? Number(code.slice(1)) : 1;
    code = 'O';
  }
  let nullable = false;
  if (code.endsWith('?')) {
    nullable = true;
    code = code.slice(0, -1);
  }
  let list = false;
  let size = 0;
  let elemNullable = false;
  const m = /^(\w)(\?)?\[(\d*)\]$/.exec(code);
  if (m) {
    list = true;
    code = m[1];
    elemNullable = m[2] === '?';
    size = m[3] ? Number(m[3]) : 0;
  }
  const kind = KINDS[code];
  if (kind === undefined) throw new Error(`torchts: unknown type code ${type} in a generated signature`);
  return {
    py,
    js: snakeToCamel(py),
    kind,
    list,
    size,
    nullable: nullable || outCount > 0,
    elemNullable,
    kwOnly,
    optional: optional || outCount > 0,
    numbers: numbers && kind === K.Tensor && !list,
    outCount,
    type,
  };
}

function opRef(name: string): OpRef {
  const dot = name.indexOf('.');
  return {
    name: dot < 0 ? name : name.slice(0, dot),
    overload: dot < 0 ? '' : name.slice(dot + 1),
    id: -1,
    nargs: 0,
    pos: new Int16Array(0),
    selfPos: -1,
  };
}

function parseSig(text: string): Sig {
  let t = text;
  const numbers = t.startsWith('#');
  if (numbers) t = t.slice(1);
  const arrow = t.indexOf(' > ');
  const head = (arrow < 0 ? t : t.slice(0, arrow)).split(' ').filter(Boolean);
  const rets =
    arrow < 0
      ? []
      : t
          .slice(arrow + 3)
          .split(' ')
          .filter(Boolean);
  const [ops, ...paramTexts] = head;
  const [baseName, outName] = ops.split('|');
  const params = paramTexts.map((p) => parseParam(p, numbers));
  const byName = new Map<string, number>();
  for (let i = 0; i < params.length; i++) byName.set(params[i].js, i);
  const nPos = params.filter((p) => !p.kwOnly).length;
  let fields: string[] | null = null;
  const returns = rets.map((r) => {
    const c = r.lastIndexOf(':');
    if (c < 0) return r;
    if (fields === null) fields = [];
    fields.push(snakeToCamel(r.slice(0, c)));
    return r.slice(c + 1);
  });
  return {
    text,
    params,
    byName,
    nPos,
    varargs: nPos === 1 && params[0].kind === K.Int && params[0].list && !params[0].kwOnly,
    base: opRef(baseName),
    out: outName ? opRef(outName) : null,
    outParam: params.findIndex((p) => p.outCount > 0),
    requiresGradParam: params.findIndex((p) => p.py === 'requires_grad'),
    returns,
    fields,
  };
}

/** Looks the op up in libtorch and places each parameter by the schema's argument names. */
function resolve(op: OpRef, sig: Sig, method: boolean): void {
  const id = N.opResolve(`aten::${op.name}`, op.overload);
  const args = N.opArgs(id);
  const index = new Map<string, number>();
  const outs: number[] = [];
  args.forEach(([name, , flags], k) => {
    index.set(name, k);
    if (flags & 1) outs.push(k);
  });
  const pos = new Int16Array(sig.params.length).fill(-1);
  sig.params.forEach((p, i) => {
    if (p.outCount > 0) {
      if (outs.length > 0) pos[i] = outs[0];
      return;
    }
    const k = index.get(p.py) ?? (p.py === 'input' ? index.get('self') : undefined);
    if (k !== undefined) pos[i] = k;
  });
  op.pos = pos;
  op.nargs = args.length;
  op.selfPos = method ? (index.get('self') ?? -1) : -1;
  op.id = id;
}

function sigsOf(e: Entry): Sig[] {
  if (e.sigs === null) e.sigs = e.texts.map((t) => parseSig(t));
  return e.sigs;
}

// ---- argument conversion ---------------------------------------------------------------

/** Marks a failed match; anything else is a converted value. */
const NO = Symbol('no match');

const LAYOUTS: Record<string, number> = { strided: 0, sparseCoo: 1, sparseCsr: 2, mkldnn: 3 };
const LAYOUT_NAMES = Object.keys(LAYOUTS);
const MEMORY_FORMATS: Record<string, number> = {
  contiguousFormat: 0,
  preserveFormat: 1,
  channelsLast: 2,
  channelsLast3d: 3,
};
const DEVICE = /^(cpu|cuda|meta)(:\d+)?$/;

function isOptions(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** A 0-dim tensor that does not require grad, read as a number (python_arg_parser accepts those for numbers). */
function scalarOfTensor(t: Tensor, integral: boolean): unknown {
  if (t.ndim !== 0 || t.requiresGrad) return NO;
  const d = t.dtype;
  const isInt = d !== 'float32' && d !== 'float64' && d !== 'float16' && d !== 'bfloat16' && d !== 'bool';
  if (integral && !isInt) return NO;
  return t.item();
}

function element(p: Param, v: unknown): unknown {
  switch (p.kind) {
    case K.Tensor:
    case K.Out:
      if (v instanceof Tensor) return v.handle;
      if (p.elemNullable && v === null) return null;
      return NO;
    case K.Scalar:
      if (typeof v === 'number' || typeof v === 'boolean') return v;
      return v instanceof Tensor ? scalarOfTensor(v, false) : NO;
    case K.Int:
      if (typeof v === 'number') return Number.isSafeInteger(v) ? v : NO;
      return v instanceof Tensor ? scalarOfTensor(v, true) : NO;
    case K.Float:
      if (typeof v === 'number') return v;
      return v instanceof Tensor ? scalarOfTensor(v, false) : NO;
    case K.Bool:
      return typeof v === 'boolean' ? v : NO;
    case K.DType: {
      if (typeof v !== 'string') return NO;
      try {
        return optDtypeCode(v);
      } catch {
        return NO;
      }
    }
    case K.Layout:
      return typeof v === 'string' && LAYOUTS[v] !== undefined ? LAYOUTS[v] : NO;
    case K.Device:
      if (typeof v === 'string') return DEVICE.test(v) ? v : NO;
      return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? `cuda:${v}` : NO;
    case K.MemoryFormat:
      return typeof v === 'string' && MEMORY_FORMATS[v] !== undefined ? MEMORY_FORMATS[v] : NO;
    case K.Str:
      return typeof v === 'string' ? v : NO;
    case K.Generator:
      return v instanceof Generator ? v.handle : NO;
  }
}

/** Converts one bound value for the native call, or NO. `undefined` (omitted) passes as is. */
function convert(p: Param, v: unknown): unknown {
  if (v === undefined) return undefined;
  if (v === null) return p.nullable ? null : NO;
  if (!p.list) {
    if (p.numbers && (typeof v === 'number' || typeof v === 'boolean')) return v;
    return element(p, v);
  }
  if (!Array.isArray(v)) {
    // int[2] stride=1 and int[1]? dim=0: one int stands for the list, as in Python.
    if (p.size > 0 && p.kind === K.Int) {
      const x = element(p, v);
      return x === NO ? NO : new Array<unknown>(p.size).fill(x);
    }
    return NO;
  }
  const out = new Array<unknown>(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = element(p, v[i]);
    if (x === NO) return NO;
    out[i] = x;
  }
  return out;
}

// ---- calling ---------------------------------------------------------------------------

/** Why the last overload tried did not match, for the error when none does. */
interface Miss {
  sig: Sig;
  param: Param | null;
  value: unknown;
  reason: 'type' | 'missing' | 'count' | 'unknown' | 'twice' | 'out';
  key?: string;
}
let lastMiss: Miss | null = null;

function bind(
  sig: Sig,
  method: boolean,
  self: Tensor | undefined,
  args: readonly unknown[],
  n: number,
  opts: Record<string, unknown> | undefined,
): unknown {
  const params = sig.params;
  let positional = args;
  let np = n;
  if (sig.varargs && n > 0 && typeof args[0] === 'number') {
    positional = [args.slice(0, n)];
    np = 1;
  }
  if (np > sig.nPos) {
    lastMiss = { sig, param: null, value: np, reason: 'count' };
    return NO;
  }
  if (opts !== undefined) {
    for (const key in opts) {
      const i = sig.byName.get(key);
      if (i === undefined) {
        lastMiss = { sig, param: null, value: opts[key], reason: 'unknown', key };
        return NO;
      }
      if (i < np && opts[key] !== undefined) {
        lastMiss = { sig, param: params[i], value: opts[key], reason: 'twice' };
        return NO;
      }
    }
  }
  const outValue = sig.outParam >= 0 && opts !== undefined ? opts[params[sig.outParam].js] : undefined;
  const op = outValue !== undefined && outValue !== null && sig.out !== null ? sig.out : sig.base;
  if (op.id < 0) resolve(op, sig, method);
  const values = new Array<unknown>(op.nargs);
  let wrapped = 0;
  let requiresGrad = false;
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    const raw = i < np ? positional[i] : opts === undefined ? undefined : opts[p.js];
    if (raw === undefined) {
      if (!p.optional) {
        lastMiss = { sig, param: p, value: undefined, reason: 'missing' };
        return NO;
      }
      continue;
    }
    if (p.outCount > 1) {
      if (raw === null) continue;
      if (!Array.isArray(raw) || raw.length !== p.outCount || !raw.every((t) => t instanceof Tensor)) {
        lastMiss = { sig, param: p, value: raw, reason: 'type' };
        return NO;
      }
      const first = op.pos[i];
      for (let k = 0; k < p.outCount; k++) values[first + k] = (raw[k] as Tensor).handle;
      continue;
    }
    const v = convert(p, raw);
    if (v === NO) {
      lastMiss = { sig, param: p, value: raw, reason: 'type' };
      return NO;
    }
    const at = op.pos[i];
    if (at < 0) {
      if (i === sig.requiresGradParam) requiresGrad = v === true;
      else if (v !== null && !(p.kind === K.Bool && v === false)) {
        // The out= form of a factory takes no dtype/device: PyTorch checks them against out; refuse instead.
        lastMiss = { sig, param: p, value: raw, reason: 'out' };
        return NO;
      }
      continue;
    }
    values[at] = v;
    if (p.numbers && typeof raw !== 'object' && at < 15) wrapped |= 1 << at;
  }
  if (op.selfPos >= 0) values[op.selfPos] = (self as Tensor).handle;
  const r = callNative(op.id + wrapped * 65536, values);
  const result = decode(sig, op, r, self, args, np, positional, opts);
  if (requiresGrad) (result as Tensor).requiresGrad_(true);
  return result;
}

/** N.opCall without a spread call for the common argument counts (a spread costs more than the call). */
function callNative(code: number, v: unknown[]): unknown {
  const f = N.opCall;
  switch (v.length) {
    case 0:
      return f(code);
    case 1:
      return f(code, v[0]);
    case 2:
      return f(code, v[0], v[1]);
    case 3:
      return f(code, v[0], v[1], v[2]);
    case 4:
      return f(code, v[0], v[1], v[2], v[3]);
    case 5:
      return f(code, v[0], v[1], v[2], v[3], v[4]);
    case 6:
      return f(code, v[0], v[1], v[2], v[3], v[4], v[5]);
    default:
      return f(code, ...v);
  }
}

/** The JS object that was passed at schema position k (for results that are an input tensor). */
function inputAt(
  sig: Sig,
  op: OpRef,
  k: number,
  self: Tensor | undefined,
  np: number,
  positional: readonly unknown[],
  opts: Record<string, unknown> | undefined,
): unknown {
  if (k === op.selfPos) return self;
  for (let i = 0; i < sig.params.length; i++) {
    const first = op.pos[i];
    const p = sig.params[i];
    if (first < 0) continue;
    const count = Math.max(p.outCount, 1);
    if (k >= first && k < first + count) {
      const raw = i < np ? positional[i] : opts?.[p.js];
      return p.outCount > 1 ? (raw as unknown[])[k - first] : raw;
    }
  }
  throw new TorchError(`torchts: aten::${op.name} returned an input that torchts cannot find`);
}

function decodeOne(
  code: string,
  v: unknown,
  sig: Sig,
  op: OpRef,
  self: Tensor | undefined,
  np: number,
  positional: readonly unknown[],
  opts: Record<string, unknown> | undefined,
): unknown {
  switch (code) {
    case 'T':
    case 'T?': {
      const h = v as number;
      if (h >= 0) return wrap(h);
      if (h === -1) return null;
      return inputAt(sig, op, -h - 2, self, np, positional, opts);
    }
    case 'T[]':
    case 'T?[]':
      return (v as number[]).map((h) =>
        h === null ? null : h >= 0 ? wrap(h) : h === -1 ? null : inputAt(sig, op, -h - 2, self, np, positional, opts),
      );
    case 'D':
      return dtypeName(v as number);
    case 'L':
      return LAYOUT_NAMES[v as number] ?? v;
    default:
      return v;
  }
}

function decode(
  sig: Sig,
  op: OpRef,
  r: unknown,
  self: Tensor | undefined,
  args: readonly unknown[],
  np: number,
  positional: readonly unknown[],
  opts: Record<string, unknown> | undefined,
): unknown {
  void args;
  const rets = sig.returns;
  if (rets.length === 0) return undefined;
  if (rets.length === 1) return decodeOne(rets[0], r, sig, op, self, np, positional, opts);
  const arr = r as unknown[];
  const out = rets.map((c, i) => decodeOne(c, arr[i], sig, op, self, np, positional, opts)) as unknown[] &
    Record<string, unknown>;
  if (sig.fields) for (let i = 0; i < sig.fields.length; i++) out[sig.fields[i]] = out[i];
  return out;
}

/**
 * Calls the Python-level name `e` with `args` (`self` for Tensor methods): the first overload
 * that accepts them, as python_arg_parser chooses.
 */
// biome-ignore lint/suspicious/noExplicitAny: results are typed by the generated declarations
export function call(e: Entry, self: Tensor | undefined, args: readonly unknown[]): any {
  const sigs = e.sigs ?? sigsOf(e);
  let n = args.length;
  let opts: Record<string, unknown> | undefined;
  if (n > 0) {
    const last = args[n - 1];
    if (typeof last === 'object' && last !== null && !(last instanceof Tensor) && isOptions(last)) {
      opts = last;
      n--;
    }
  }
  if (opts === undefined) {
    // Positional calls, the common case: each signature's compiled form decides at once.
    for (let i = 0; i < sigs.length; i++) {
      const sig = sigs[i];
      const fast = sig.fast === undefined ? compileFast(sig, e.method) : sig.fast;
      if (fast === null) break;
      const r = fast(self, args, n);
      if (r === FALLBACK) break;
      if (r !== NO) return r;
      if (i === sigs.length - 1) break;
    }
  }
  let first: Miss | null = null;
  for (let i = 0; i < sigs.length; i++) {
    const r = bind(sigs[i], e.method, self, args, n, opts);
    if (r !== NO) return r;
    first ??= lastMiss;
  }
  throw mismatch(e, sigs, first, args, n, opts);
}

// ---- compiled signatures -----------------------------------------------------------------

/** The compiled form could not decide (a value only the general path converts): use bind(). */
const FALLBACK = Symbol('fallback');

const FAST_KINDS = new Set([K.Tensor, K.Scalar, K.Int, K.Float, K.Bool]);

/**
 * Compiles `sig` for positional calls into straight-line code (one type test per argument,
 * the native call with the op id and schema positions inlined), which costs a fraction of
 * the general binder's loop. Only for signatures whose positional parameters are tensors,
 * numbers or booleans; the op is resolved here, once. Its checks are the general path's
 * (convert/element), except that a Tensor given for a number, which needs .item(), falls back.
 */
function compileFast(sig: Sig, method: boolean): FastFn | null {
  sig.fast = null;
  // A required keyword-only argument: no positional call can match this signature.
  if (sig.params.some((p) => p.kwOnly && !p.optional)) {
    sig.fast = () => NO;
    return sig.fast;
  }
  const pos = sig.params.slice(0, sig.nPos);
  if (sig.varargs || pos.some((p) => p.list || !FAST_KINDS.has(p.kind))) return null;
  if (sig.returns.length !== 1 || (sig.returns[0] !== 'T' && sig.returns[0] !== 'T?')) return null;
  const op = sig.base;
  if (op.id < 0) resolve(op, sig, method);
  if (pos.some((_, i) => op.pos[i] < 0)) return null;
  const required = pos.filter((p) => !p.optional).length;
  const lines: string[] = [`if (n > ${pos.length} || n < ${required}) return NO;`, 'let m = 0;'];
  const slots: string[] = new Array<string>(op.nargs).fill('undefined');
  if (op.selfPos >= 0) slots[op.selfPos] = 'self.handle';
  pos.forEach((p, i) => {
    const v = `v${i}`;
    const a = `a${i}`;
    lines.push(`const ${a} = args[${i}]; let ${v};`);
    const nil =
      `if (${a} === undefined) { ${p.optional ? `${v} = undefined;` : 'return NO;'} }` +
      ` else if (${a} === null) { ${p.nullable ? `${v} = null;` : 'return NO;'} }`;
    let test: string;
    switch (p.kind) {
      case K.Tensor:
        test = `else if (${a} instanceof Tensor) ${v} = ${a}.handle;`;
        if (p.numbers && op.pos[i] < 15)
          test += ` else if (typeof ${a} === 'number' || typeof ${a} === 'boolean') { ${v} = ${a}; m |= ${1 << op.pos[i]}; }`;
        break;
      case K.Scalar:
        test = `else if (typeof ${a} === 'number' || typeof ${a} === 'boolean') ${v} = ${a}; else if (${a} instanceof Tensor) return FALLBACK;`;
        break;
      case K.Int:
        test = `else if (typeof ${a} === 'number') { if (!Number.isSafeInteger(${a})) return NO; ${v} = ${a}; } else if (${a} instanceof Tensor) return FALLBACK;`;
        break;
      case K.Float:
        test = `else if (typeof ${a} === 'number') ${v} = ${a}; else if (${a} instanceof Tensor) return FALLBACK;`;
        break;
      default:
        test = `else if (typeof ${a} === 'boolean') ${v} = ${a};`;
    }
    lines.push(`${nil} ${test} else return NO;`);
    slots[op.pos[i]] = v;
  });
  // Trailing undefined arguments are what the native side reads for omitted ones anyway.
  let last = slots.length;
  while (last > 0 && slots[last - 1] === 'undefined') last--;
  lines.push(
    `const r = N.opCall(${op.id} + m * 65536${slots
      .slice(0, last)
      .map((x) => `, ${x}`)
      .join('')});`,
  );
  lines.push(`return r >= 0 ? wrap(r) : slow(r, self, args, n);`);
  const slow = (r: unknown, self: Tensor | undefined, args: readonly unknown[], n: number): unknown =>
    decode(sig, op, r, self, args, n, args, undefined);
  const make = new Function(
    'N',
    'Tensor',
    'wrap',
    'NO',
    'FALLBACK',
    'slow',
    `return function fast(self, args, n) {\n${lines.join('\n')}\n};`,
  );
  sig.fast = make(N, Tensor, wrap, NO, FALLBACK, slow) as FastFn;
  return sig.fast;
}

// ---- messages --------------------------------------------------------------------------

function paramType(p: Param): string {
  let t = KIND_NAMES[p.kind];
  if (p.numbers) t = 'a Tensor or a number';
  if (p.list) t = `an array of ${t.replace(/^an? /, '')}s${p.size ? ` (or one, for all ${p.size})` : ''}`;
  if (p.outCount > 1) t = `an array of ${p.outCount} Tensors`;
  return p.nullable && p.outCount === 0 ? `${t} or null` : t;
}

const TS_NAMES: Record<K, string> = {
  [K.Tensor]: 'Tensor',
  [K.Scalar]: 'number | boolean',
  [K.Int]: 'int',
  [K.Float]: 'number',
  [K.Bool]: 'boolean',
  [K.DType]: 'DType',
  [K.Layout]: 'Layout',
  [K.Device]: 'Device',
  [K.MemoryFormat]: 'MemoryFormat',
  [K.Str]: 'string',
  [K.Generator]: 'Generator',
  [K.Out]: 'Tensor',
};

function typeText(p: Param): string {
  let t = TS_NAMES[p.kind];
  if (p.numbers) t = 'Tensor | number';
  if (p.list) t = `${p.elemNullable ? '(Tensor | null)' : t.includes('|') ? `(${t})` : t}[${p.size || ''}]`;
  if (p.outCount > 1) t = `Tensor[${p.outCount}]`;
  return p.nullable && p.outCount === 0 ? `${t} | null` : t;
}

/** `torch.add(input: Tensor | number, other: Tensor | number, { alpha?: number | boolean, out?: Tensor })` */
function sigText(e: Entry, sig: Sig): string {
  const pos = sig.params.filter((p) => !p.kwOnly).map((p) => `${p.js}${p.optional ? '?' : ''}: ${typeText(p)}`);
  const kw = sig.params.filter((p) => p.kwOnly).map((p) => `${p.js}?: ${typeText(p)}`);
  if (kw.length) pos.push(`{ ${kw.join(', ')} }`);
  return `${e.label}(${pos.join(', ')})`;
}

function mismatch(
  e: Entry,
  sigs: Sig[],
  miss: Miss | null,
  args: readonly unknown[],
  n: number,
  opts: Record<string, unknown> | undefined,
): Error {
  if (sigs.length === 1 && miss) {
    // The project's shape, `Expected <what> for <argument> but received <value>`, then the signature.
    const where = ` (${sigText(e, miss.sig)})`;
    const p = miss.param;
    switch (miss.reason) {
      case 'type':
        return new TypeError(
          `Expected ${paramType(p as Param)} for ${(p as Param).js} but received ${describe(miss.value)}${where}`,
        );
      case 'missing':
        return new TypeError(`Expected ${paramType(p as Param)} for ${(p as Param).js} but received nothing${where}`);
      case 'count':
        return new TypeError(
          `Expected at most ${miss.sig.nPos} positional arguments for ${e.label} but received ${miss.value}${where}`,
        );
      case 'twice':
        return new TypeError(
          `Expected ${(p as Param).js} once for ${e.label} but received it positionally and as an option${where}`,
        );
      case 'out':
        return new TypeError(
          `Expected no ${(p as Param).js} with out= for ${e.label} but received ${describe(miss.value)}${where}`,
        );
      case 'unknown': {
        const names = miss.sig.params.map((q) => q.js);
        const near = nearestKey(miss.key ?? '', names);
        return new TypeError(
          `Expected one of the options ${names.join(', ')} for ${e.label} but received '${miss.key}'` +
            (near ? ` (did you mean '${near}'?)` : ''),
        );
      }
    }
  }
  // An unknown key that no overload knows: name it and the nearest valid one.
  if (opts) {
    const all = new Set(sigs.flatMap((s) => s.params.map((p) => p.js)));
    for (const key of Object.keys(opts)) {
      if (!all.has(key)) {
        const near = nearestKey(key, [...all]);
        return new TypeError(
          `Expected one of the options ${[...all].join(', ')} for ${e.label} but received '${key}'` +
            (near ? ` (did you mean '${near}'?)` : ''),
        );
      }
    }
  }
  const got: string[] = args
    .slice(0, n)
    .map((a) => (a instanceof Tensor ? 'Tensor' : Array.isArray(a) ? 'array' : a === null ? 'null' : typeof a));
  if (opts) got.push(`{ ${Object.keys(opts).join(', ')} }`);
  return new TypeError(
    `Expected arguments matching one of\n${sigs.map((s) => `  ${sigText(e, s)}`).join('\n')}\n` +
      `for ${e.label} but received (${got.join(', ')})`,
  );
}

// ---- namespaces ------------------------------------------------------------------------

// biome-ignore lint/suspicious/noExplicitAny: each is given its overloads by the generated declarations
type Fn = (...args: unknown[]) => any;

/** Layouts (`torch.strided`, ...). */
export type Layout = 'strided' | 'sparseCoo' | 'sparseCsr' | 'mkldnn';

/** Entries for a generated table, and plain functions calling them (`functions.add(a, b)`). */
export function namespace(
  table: Record<string, readonly string[]>,
  label: string,
): { entries: Record<string, Entry>; functions: Record<string, Fn> } {
  const entries: Record<string, Entry> = Object.create(null);
  const functions: Record<string, Fn> = Object.create(null);
  for (const [name, texts] of Object.entries(table)) {
    const e: Entry = { label: `${label}.${name}`, method: false, texts, sigs: null };
    entries[name] = e;
    functions[name] = (...args: unknown[]) => call(e, undefined, args);
  }
  return { entries, functions };
}

/** Entries for Tensor methods. */
export function methodEntries(table: Record<string, readonly string[]>): Record<string, Entry> {
  const out: Record<string, Entry> = {};
  for (const [name, texts] of Object.entries(table))
    out[name] = { label: `Tensor.${name}`, method: true, texts, sigs: null };
  return out;
}
