/**
 * A restricted unpickler for the data that `torch.save` writes (`data.pkl`): Python's
 * pickle protocols 2 to 5, minus everything that could run code. Globals are resolved
 * only through the caller's `findGlobal`, which returns a plain JS function from a short
 * allow list or throws; REDUCE/NEWOBJ call those functions with plain JS arguments.
 * Nothing is imported or executed, and out-of-band buffers and extension codes are
 * refused.
 *
 * Values come back as: `null`, booleans, numbers (bigint for integers beyond 2^53),
 * strings, `Buffer` (bytes), arrays (lists and tuples), `PyDict` (dicts, keys kept as
 * Python gave them) and whatever the allowed globals return.
 */
import type { TorchError } from './errors';

/** A Python dict (or OrderedDict) in insertion order. */
export class PyDict {
  readonly map = new Map<unknown, unknown>();
}

/** An allowed Python callable: receives the REDUCE arguments. */
export type PyCallable = (args: unknown[]) => unknown;

export interface UnpickleHooks {
  /** Resolves `module.name` to an allowed callable, or throws. */
  findGlobal(module: string, name: string): PyCallable;
  /** Resolves a persistent id (the tuple `torch.save` writes for a storage). */
  persistentLoad(pid: unknown): unknown;
}

/** A reference to an allowed global, as it sits on the stack (before REDUCE, or as a value). */
export class PyGlobal {
  constructor(
    readonly qualname: string,
    readonly fn: PyCallable,
  ) {}
}

/** Longest integer accepted from LONG1/LONG4 (bytes). */
const MAX_LONG_BYTES = 256;

/**
 * Unpickles `data`. `fail(why)` builds the error thrown for malformed input (it names the
 * file); errors thrown by hooks pass through.
 */
export function unpickle(data: Buffer, hooks: UnpickleHooks, fail: (why: string) => TorchError): unknown {
  let pos = 0;
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();

  const need = (n: number, what: string): void => {
    if (n < 0 || pos + n > data.length) throw fail(`the pickle ends inside ${what} at byte ${pos}`);
  };
  const u8 = (): number => {
    need(1, 'an argument');
    return data[pos++];
  };
  const u16 = (): number => {
    need(2, 'an argument');
    pos += 2;
    return data.readUInt16LE(pos - 2);
  };
  const u32 = (): number => {
    need(4, 'an argument');
    pos += 4;
    return data.readUInt32LE(pos - 4);
  };
  const i32 = (): number => {
    need(4, 'an argument');
    pos += 4;
    return data.readInt32LE(pos - 4);
  };
  const u64 = (): number => {
    need(8, 'an argument');
    const v = data.readBigUInt64LE(pos);
    pos += 8;
    if (v > BigInt(data.length)) throw fail(`a length of ${v} bytes at byte ${pos - 8} is larger than the pickle`);
    return Number(v);
  };
  const bytes = (n: number, what: string): Buffer => {
    need(n, what);
    pos += n;
    return data.subarray(pos - n, pos);
  };
  const line = (): string => {
    const end = data.indexOf(0x0a, pos);
    if (end < 0) throw fail(`the pickle ends inside a text argument at byte ${pos}`);
    const s = data.toString('latin1', pos, end);
    pos = end + 1;
    return s;
  };
  const pop = (): unknown => {
    if (stack.length === 0 || (marks.length && stack.length <= marks[marks.length - 1]))
      throw fail(`stack underflow at byte ${pos - 1}`);
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) throw fail(`stack underflow at byte ${pos - 1}`);
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const m = marks.pop();
    if (m === undefined) throw fail(`no MARK before byte ${pos - 1}`);
    return stack.splice(m);
  };
  const int = (n: bigint): number | bigint =>
    n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
  const long = (b: Buffer): number | bigint => {
    if (b.length > MAX_LONG_BYTES) throw fail(`an integer of ${b.length} bytes is too long`);
    if (b.length === 0) return 0;
    let n = BigInt(`0x${Buffer.from(b).reverse().toString('hex')}`);
    if (b[b.length - 1] & 0x80) n -= 1n << BigInt(8 * b.length);
    return int(n);
  };
  const textInt = (s: string): number | bigint | boolean => {
    if (s === '00') return false; // protocol 0 spells booleans I00 / I01
    if (s === '01') return true;
    const t = s.endsWith('L') ? s.slice(0, -1) : s;
    if (!/^[-+]?\d{1,300}$/.test(t)) throw fail(`bad integer ${JSON.stringify(s.slice(0, 40))}`);
    return int(BigInt(t));
  };
  const dictOf = (v: unknown, op: string): PyDict => {
    if (!(v instanceof PyDict)) throw fail(`${op} applied to something that is not a dict at byte ${pos - 1}`);
    return v;
  };
  const listOf = (v: unknown, op: string): unknown[] => {
    if (!Array.isArray(v)) throw fail(`${op} applied to something that is not a list at byte ${pos - 1}`);
    return v;
  };
  const setItems = (d: PyDict, items: unknown[]): void => {
    if (items.length % 2) throw fail(`SETITEMS with an odd number of items at byte ${pos - 1}`);
    for (let i = 0; i < items.length; i += 2) d.map.set(items[i], items[i + 1]);
  };
  const global = (module: string, name: string): PyGlobal =>
    new PyGlobal(`${module}.${name}`, hooks.findGlobal(module, name));
  const call = (callee: unknown, args: unknown, op: string): unknown => {
    if (!(callee instanceof PyGlobal))
      throw fail(`${op} of something that is not an allowed global at byte ${pos - 1}`);
    if (!Array.isArray(args)) throw fail(`${op} of ${callee.qualname} without an argument tuple at byte ${pos - 1}`);
    return callee.fn(args);
  };
  const get = (i: number): unknown => {
    if (!memo.has(i)) throw fail(`memo entry ${i} is read before it is written`);
    return memo.get(i);
  };

  for (;;) {
    need(1, 'an opcode');
    const op = data[pos++];
    switch (op) {
      case 0x80: {
        // PROTO
        const v = u8();
        if (v > 5) throw fail(`pickle protocol ${v} is newer than the 2 to 5 that torchts reads`);
        break;
      }
      case 0x95: // FRAME: a length hint only
        u64();
        break;
      case 0x2e: // STOP
        if (stack.length !== 1 || marks.length) throw fail(`the pickle stops with ${stack.length} values on its stack`);
        return stack[0];
      case 0x28:
        marks.push(stack.length);
        break; // MARK
      case 0x30:
        pop();
        break; // POP
      case 0x31:
        popMark();
        break; // POP_MARK
      case 0x32:
        stack.push(top());
        break; // DUP
      // ---- numbers ----
      case 0x4b:
        stack.push(u8());
        break; // BININT1
      case 0x4d:
        stack.push(u16());
        break; // BININT2
      case 0x4a:
        stack.push(i32());
        break; // BININT
      case 0x49:
        stack.push(textInt(line()));
        break; // INT
      case 0x4c: {
        // LONG
        const v = textInt(line());
        stack.push(typeof v === 'boolean' ? Number(v) : v);
        break;
      }
      case 0x8a:
        stack.push(long(bytes(u8(), 'LONG1')));
        break; // LONG1
      case 0x8b: {
        // LONG4
        const n = i32();
        if (n < 0) throw fail(`negative LONG4 length at byte ${pos - 4}`);
        stack.push(long(bytes(n, 'LONG4')));
        break;
      }
      case 0x47:
        stack.push(bytes(8, 'BINFLOAT').readDoubleBE(0));
        break; // BINFLOAT
      case 0x46: {
        // FLOAT
        const s = line().trim();
        const v = Number(s);
        if (s === '' || (Number.isNaN(v) && s.toLowerCase() !== 'nan'))
          throw fail(`bad float ${JSON.stringify(s.slice(0, 40))}`);
        stack.push(v);
        break;
      }
      // ---- constants ----
      case 0x4e:
        stack.push(null);
        break; // NONE
      case 0x88:
        stack.push(true);
        break; // NEWTRUE
      case 0x89:
        stack.push(false);
        break; // NEWFALSE
      // ---- strings and bytes ----
      case 0x58:
        stack.push(bytes(u32(), 'BINUNICODE').toString('utf8'));
        break; // BINUNICODE
      case 0x8c:
        stack.push(bytes(u8(), 'SHORT_BINUNICODE').toString('utf8'));
        break; // SHORT_BINUNICODE
      case 0x8d:
        stack.push(bytes(u64(), 'BINUNICODE8').toString('utf8'));
        break; // BINUNICODE8
      case 0x56:
        stack.push(line());
        break; // UNICODE (raw-unicode-escape; ASCII in practice)
      case 0x55:
        stack.push(bytes(u8(), 'SHORT_BINSTRING').toString('latin1'));
        break; // SHORT_BINSTRING
      case 0x54: {
        // BINSTRING
        const n = i32();
        if (n < 0) throw fail(`negative BINSTRING length at byte ${pos - 4}`);
        stack.push(bytes(n, 'BINSTRING').toString('latin1'));
        break;
      }
      case 0x43:
        stack.push(Buffer.from(bytes(u8(), 'SHORT_BINBYTES')));
        break; // SHORT_BINBYTES
      case 0x42:
        stack.push(Buffer.from(bytes(u32(), 'BINBYTES')));
        break; // BINBYTES
      case 0x8e:
        stack.push(Buffer.from(bytes(u64(), 'BINBYTES8')));
        break; // BINBYTES8
      case 0x96:
        stack.push(Buffer.from(bytes(u64(), 'BYTEARRAY8')));
        break; // BYTEARRAY8
      // ---- tuples and lists ----
      case 0x29:
        stack.push([]);
        break; // EMPTY_TUPLE
      case 0x85:
        stack.push([pop()]);
        break; // TUPLE1
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push([pop(), b]);
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      }
      case 0x74:
        stack.push(popMark());
        break; // TUPLE
      case 0x5d:
        stack.push([]);
        break; // EMPTY_LIST
      case 0x6c:
        stack.push(popMark());
        break; // LIST
      case 0x61: {
        // APPEND
        const v = pop();
        listOf(top(), 'APPEND').push(v);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        const list = listOf(top(), 'APPENDS');
        for (const v of items) list.push(v);
        break;
      }
      // ---- dicts ----
      case 0x7d:
        stack.push(new PyDict());
        break; // EMPTY_DICT
      case 0x64: {
        // DICT
        const d = new PyDict();
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        dictOf(top(), 'SETITEM').map.set(k, v);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(dictOf(top(), 'SETITEMS'), items);
        break;
      }
      // ---- memo ----
      case 0x67:
        stack.push(get(Number(textInt(line()))));
        break; // GET
      case 0x68:
        stack.push(get(u8()));
        break; // BINGET
      case 0x6a:
        stack.push(get(u32()));
        break; // LONG_BINGET
      case 0x70:
        memo.set(Number(textInt(line())), top());
        break; // PUT
      case 0x71:
        memo.set(u8(), top());
        break; // BINPUT
      case 0x72:
        memo.set(u32(), top());
        break; // LONG_BINPUT
      case 0x94:
        memo.set(memo.size, top());
        break; // MEMOIZE
      // ---- objects ----
      case 0x63: {
        // GLOBAL
        const module = line();
        stack.push(global(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string')
          throw fail(`STACK_GLOBAL without a module and name at byte ${pos - 1}`);
        stack.push(global(module, name));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const callee = pop();
        stack.push(call(callee, args, 'REDUCE'));
        break;
      }
      case 0x81: {
        // NEWOBJ: cls.__new__(cls, *args), only for allowed globals
        const args = pop();
        const cls = pop();
        stack.push(call(cls, args, 'NEWOBJ'));
        break;
      }
      case 0x92: {
        // NEWOBJ_EX
        const kwargs = pop();
        const args = pop();
        const cls = pop();
        if (!(kwargs instanceof PyDict) || kwargs.map.size)
          throw fail(`NEWOBJ_EX with keyword arguments at byte ${pos - 1}`);
        stack.push(call(cls, args, 'NEWOBJ_EX'));
        break;
      }
      case 0x62: {
        // BUILD: state for the object below it
        pop();
        const obj = top();
        // An OrderedDict's state is its attributes (a state dict's `_metadata`): not part of the data.
        if (!(obj instanceof PyDict))
          throw fail(`BUILD (setting object state) is only supported on dicts (at byte ${pos - 1})`);
        break;
      }
      case 0x51:
        stack.push(hooks.persistentLoad(pop()));
        break; // BINPERSID
      case 0x50:
        stack.push(hooks.persistentLoad(line()));
        break; // PERSID
      case 0x69: {
        // INST: names a class to instantiate
        const module = line();
        hooks.findGlobal(module, line());
        throw fail(`INST (class instantiation) is not supported at byte ${pos - 1}`);
      }
      case 0x6f:
        throw fail(`OBJ (class instantiation) is not supported at byte ${pos - 1}`);
      case 0x82:
      case 0x83:
      case 0x84:
        throw fail(`pickle extension codes (EXT1/2/4) are not supported at byte ${pos - 1}`);
      case 0x97:
      case 0x98:
        throw fail(`out-of-band buffers (protocol 5) are not supported at byte ${pos - 1}`);
      case 0x8f:
      case 0x90:
      case 0x91:
        throw fail(`sets are not supported (opcode 0x${op.toString(16)} at byte ${pos - 1})`);
      default:
        throw fail(`unknown pickle opcode 0x${op.toString(16).padStart(2, '0')} at byte ${pos - 1}`);
    }
  }
}
