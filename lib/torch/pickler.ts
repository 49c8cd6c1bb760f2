/**
 * A small pickle writer, protocol 2 (what `torch.save` writes by default), the counterpart
 * of pickle.ts. It emits opcodes only; what to write for each value is pth_writer.ts's
 * business. Opcode choices follow CPython's pickler (BININT1/BININT2/BININT before LONG1,
 * BINFLOAT, BINUNICODE, MARK ... APPENDS/SETITEMS in batches of 1000), so `pickle` and
 * `torch.load(weights_only=True)` read the result as they read a file PyTorch wrote.
 */

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** CPython writes APPENDS/SETITEMS in batches of this many items. */
export const BATCH = 1000;

/** Little-endian two's complement in the fewest bytes (CPython's `encode_long`; 0 is empty). */
function encodeLong(n: bigint): Buffer {
  if (n === 0n) return Buffer.alloc(0);
  const out: number[] = [];
  let v = n;
  for (;;) {
    out.push(Number(v & 0xffn));
    v >>= 8n; // arithmetic shift: -1 stays -1
    const signBit = out[out.length - 1] & 0x80;
    if ((v === 0n && !signBit) || (v === -1n && signBit)) break;
  }
  return Buffer.from(out);
}

export class Pickler {
  private parts: Buffer[] = [];
  private small: number[] = [];
  private nextMemo = 0;
  private readonly globals = new Map<string, number>();
  private readonly strings = new Map<string, number>();
  private readonly internal = new Map<string, number>();

  constructor() {
    this.op(0x80, 2); // PROTO 2
  }

  private op(...bytes: number[]): void {
    for (const b of bytes) this.small.push(b);
  }
  private raw(b: Buffer): void {
    if (b.length < 64) {
      for (const x of b) this.small.push(x);
      return;
    }
    this.flushSmall();
    this.parts.push(b);
  }
  private flushSmall(): void {
    if (this.small.length) this.parts.push(Buffer.from(this.small));
    this.small = [];
  }
  private u32(n: number): void {
    this.op(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);
  }

  /** Stores the top of the stack in the memo; returns its index. */
  put(): number {
    const i = this.nextMemo++;
    if (i < 256)
      this.op(0x71, i); // BINPUT
    else {
      this.op(0x72); // LONG_BINPUT
      this.u32(i);
    }
    return i;
  }
  /** Pushes memo entry `i`. */
  get(i: number): void {
    if (i < 256)
      this.op(0x68, i); // BINGET
    else {
      this.op(0x6a); // LONG_BINGET
      this.u32(i);
    }
  }

  none(): void {
    this.op(0x4e); // NONE
  }
  bool(v: boolean): void {
    this.op(v ? 0x88 : 0x89); // NEWTRUE / NEWFALSE
  }
  /** A Python int; the caller checks that it lies within int64. */
  int(v: number | bigint): void {
    const n = BigInt(v);
    if (n < INT64_MIN || n > INT64_MAX) throw new RangeError(`${n} is outside int64`);
    if (n >= 0n && n <= 0xffn)
      this.op(0x4b, Number(n)); // BININT1
    else if (n >= 0n && n <= 0xffffn)
      this.op(0x4d, Number(n) & 0xff, Number(n) >> 8); // BININT2
    else if (n >= -(2n ** 31n) && n < 2n ** 31n) {
      this.op(0x4a); // BININT
      this.u32(Number(BigInt.asUintN(32, n)));
    } else {
      const b = encodeLong(n);
      this.op(0x8a, b.length); // LONG1
      this.raw(b);
    }
  }
  float(v: number): void {
    const b = Buffer.alloc(9);
    b[0] = 0x47; // BINFLOAT, big-endian IEEE 754 double
    b.writeDoubleBE(v, 1);
    this.raw(b);
  }
  /**
   * A str (BINUNICODE). CPython memoises a str *object* it meets again; strings here are
   * memoised by value within a namespace (`'data'` for the object's own strings,
   * `'internal'` for the constants torch.save writes, which are other objects than equal
   * strings in the data), or not at all (`null`: one-off payloads such as a bytes object's
   * text), so that the bytes match what CPython writes for the object read back.
   */
  string(s: string, memo: 'data' | 'internal' | null = 'data'): void {
    const table = memo === null ? undefined : memo === 'data' ? this.strings : this.internal;
    const known = table?.get(s);
    if (known !== undefined) {
      this.get(known);
      return;
    }
    const utf8 = Buffer.from(s, 'utf8');
    this.op(0x58); // BINUNICODE
    this.u32(utf8.length);
    this.raw(utf8);
    const i = this.put();
    table?.set(s, i);
  }
  /** `module.name` (GLOBAL), memoised. */
  global(module: string, name: string): void {
    const q = `${module}\n${name}\n`;
    const known = this.globals.get(q);
    if (known !== undefined) {
      this.get(known);
      return;
    }
    this.op(0x63); // GLOBAL
    this.raw(Buffer.from(q, 'latin1'));
    this.globals.set(q, this.put());
  }
  mark(): void {
    this.op(0x28); // MARK
  }
  /** Builds a tuple of the `n` items pushed since the matching `mark()` (or, for n <= 3, without one). */
  tuple(n: number, marked: boolean): void {
    if (!marked && n === 0)
      this.op(0x29); // EMPTY_TUPLE
    else if (!marked && n === 1)
      this.op(0x85); // TUPLE1
    else if (!marked && n === 2)
      this.op(0x86); // TUPLE2
    else if (!marked && n === 3)
      this.op(0x87); // TUPLE3
    else this.op(0x74); // TUPLE
  }
  emptyList(): void {
    this.op(0x5d); // EMPTY_LIST
  }
  appends(): void {
    this.op(0x65); // APPENDS
  }
  append(): void {
    this.op(0x61); // APPEND
  }
  emptyDict(): void {
    this.op(0x7d); // EMPTY_DICT
  }
  setitems(): void {
    this.op(0x75); // SETITEMS
  }
  setitem(): void {
    this.op(0x73); // SETITEM
  }
  reduce(): void {
    this.op(0x52); // REDUCE
  }
  persistentId(): void {
    this.op(0x51); // BINPERSID
  }

  /** Ends the pickle (STOP) and returns its bytes. */
  finish(): Buffer {
    this.op(0x2e); // STOP
    this.flushSmall();
    const out = Buffer.concat(this.parts);
    this.parts = [];
    return out;
  }
}
