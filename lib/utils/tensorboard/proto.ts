/**
 * A minimal protobuf writer and the encodings of the TensorBoard messages torchts writes:
 * `Event`, `Summary` (scalar, histogram and image values), `HistogramProto`, `Summary.Image`
 * and `SourceMetadata`. Field numbers are those of tensorboard/compat/proto/{event,summary,
 * histogram}.proto. Only encoding: nothing here reads protobuf.
 */

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;

const utf8 = new TextEncoder();

/** Appends protobuf fields to a list of byte chunks; `finish()` joins them. */
export class ProtoWriter {
  private readonly parts: Uint8Array[] = [];
  private length = 0;

  private push(bytes: Uint8Array): void {
    this.parts.push(bytes);
    this.length += bytes.length;
  }

  /** A base-128 varint; negative values are written as 64-bit two's complement (10 bytes). */
  varint(value: number | bigint): this {
    let v = BigInt.asUintN(64, BigInt(value));
    if (v < 0x80n) {
      this.push(Uint8Array.of(Number(v)));
      return this;
    }
    const out: number[] = [];
    while (v >= 0x80n) {
      out.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(Number(v));
    this.push(Uint8Array.from(out));
    return this;
  }

  private key(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  /** An int32/int64/bool field (varint). */
  int(field: number, value: number | bigint): this {
    this.key(field, WIRE_VARINT);
    return this.varint(value);
  }

  /** A `double` field (fixed64, little-endian IEEE 754). */
  double(field: number, value: number): this {
    this.key(field, WIRE_FIXED64);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, value, true);
    this.push(b);
    return this;
  }

  /** A `float` field (fixed32, little-endian IEEE 754 single precision). */
  float(field: number, value: number): this {
    this.key(field, WIRE_FIXED32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.push(b);
    return this;
  }

  /** A `bytes` field, or an embedded message already encoded. */
  bytes(field: number, value: Uint8Array): this {
    this.key(field, WIRE_BYTES);
    this.varint(value.length);
    this.push(value);
    return this;
  }

  /** A `string` field (UTF-8). */
  string(field: number, value: string): this {
    return this.bytes(field, utf8.encode(value));
  }

  /** A packed `repeated double` field. */
  packedDoubles(field: number, values: ArrayLike<number>): this {
    const b = new Uint8Array(values.length * 8);
    const view = new DataView(b.buffer);
    for (let i = 0; i < values.length; i++) view.setFloat64(i * 8, values[i], true);
    return this.bytes(field, b);
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let pos = 0;
    for (const p of this.parts) {
      out.set(p, pos);
      pos += p.length;
    }
    return out;
  }
}

/** tensorboard.HistogramProto. */
export interface HistogramProto {
  min: number;
  max: number;
  num: number;
  sum: number;
  sumSquares: number;
  /** Right edge of each bucket (the first bucket's left edge is implied by `min`). */
  bucketLimit: ArrayLike<number>;
  /** Count in each bucket (a double in the proto). */
  bucket: ArrayLike<number>;
}

/** tensorboard.Summary.Image: an encoded (PNG) image. */
export interface ImageProto {
  height: number;
  width: number;
  /** 1 grayscale, 2 grayscale + alpha, 3 RGB, 4 RGBA. */
  colorspace: number;
  encodedImageString: Uint8Array;
}

/** One tensorboard.Summary.Value: a tag and exactly one kind of value. */
export type SummaryValue =
  | { tag: string; simpleValue: number }
  | { tag: string; histo: HistogramProto }
  | { tag: string; image: ImageProto };

export function encodeHistogram(h: HistogramProto): Uint8Array {
  return new ProtoWriter()
    .double(1, h.min)
    .double(2, h.max)
    .double(3, h.num)
    .double(4, h.sum)
    .double(5, h.sumSquares)
    .packedDoubles(6, h.bucketLimit)
    .packedDoubles(7, h.bucket)
    .finish();
}

export function encodeImage(img: ImageProto): Uint8Array {
  return new ProtoWriter()
    .int(1, img.height)
    .int(2, img.width)
    .int(3, img.colorspace)
    .bytes(4, img.encodedImageString)
    .finish();
}

/** tensorboard.Summary with the given values. */
export function encodeSummary(values: readonly SummaryValue[]): Uint8Array {
  const w = new ProtoWriter();
  for (const v of values) {
    const value = new ProtoWriter().string(1, v.tag);
    if ('simpleValue' in v) value.float(2, v.simpleValue);
    else if ('histo' in v) value.bytes(5, encodeHistogram(v.histo));
    else value.bytes(4, encodeImage(v.image));
    w.bytes(1, value.finish());
  }
  return w.finish();
}

/** The fields of tensorboard.Event that torchts writes. */
export interface EventProto {
  /** Seconds since the Unix epoch. */
  wallTime: number;
  step?: number;
  fileVersion?: string;
  /** An encoded tensorboard.Summary. */
  summary?: Uint8Array;
  /** SourceMetadata.writer: which program wrote the file. */
  sourceWriter?: string;
}

export function encodeEvent(e: EventProto): Uint8Array {
  const w = new ProtoWriter().double(1, e.wallTime);
  if (e.step !== undefined && e.step !== 0) w.int(2, e.step);
  if (e.fileVersion !== undefined) w.string(3, e.fileVersion);
  if (e.summary !== undefined) w.bytes(5, e.summary);
  if (e.sourceWriter !== undefined) w.bytes(10, new ProtoWriter().string(1, e.sourceWriter).finish());
  return w.finish();
}
