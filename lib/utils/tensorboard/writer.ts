/**
 * `SummaryWriter`, mirroring torch.utils.tensorboard.SummaryWriter: scalars, grouped
 * scalars, histograms and images written to TensorBoard event files.
 *
 * All methods are synchronous. Events are queued in memory and written to disk when more
 * than `maxQueue` are pending, every `flushSecs` seconds, on `flush()`, on `close()`, and at
 * process exit for writers left open.
 */
import * as os from 'node:os';
import * as path from 'node:path';

import { bindArgs, type WithOptions } from '../../torch/args';
import { checkInt, rangeError, typeError, TorchError } from '../../torch/errors';
import { EventFileWriter, now } from './event_file';
import { encodeEvent, encodeSummary, type SummaryValue } from './proto';
import { histogram, image, scalar, scalarOf, type Bins, type DataFormats } from './summary';
import type { Tensor } from '../../torch/tensor';

export interface SummaryWriterOptions {
  /** Appended to the default log directory name; ignored when `logDir` is given. */
  comment?: string;
  /** Not supported: must be null or left out (PyTorch's `purge_step`, which drops events after a crash). */
  purgeStep?: null;
  /** Seconds between automatic flushes of pending events (default 120). */
  flushSecs?: number;
  /** Pending events kept in memory before they are written (default 10). */
  maxQueue?: number;
  /** Appended to every event file name (default ''). */
  filenameSuffix?: string;
}

/** PyTorch's positional order after logDir. */
const WRITER_POSITIONAL = ['comment', 'purgeStep', 'maxQueue', 'flushSecs', 'filenameSuffix'] as const;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** PyTorch's default: `runs/<%b%d_%H-%M-%S>_<hostname><comment>`, in local time. */
function defaultLogDir(comment: string): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${MONTHS[d.getMonth()]}${p(d.getDate())}_${p(d.getHours())}-${p(d.getMinutes())}-${p(d.getSeconds())}`;
  return path.join('runs', `${stamp}_${os.hostname()}${comment}`);
}

function checkString(value: unknown, argument: string): string {
  if (typeof value !== 'string') throw typeError('a string', argument, value);
  return value;
}

function checkStep(value: unknown): number | undefined {
  return value === undefined || value === null ? undefined : checkInt(value, 'globalStep');
}

function checkWalltime(value: unknown): number {
  if (value === undefined || value === null) return now();
  if (typeof value !== 'number') throw typeError('a number of seconds', 'walltime', value);
  if (!Number.isFinite(value)) throw rangeError('a finite number of seconds', 'walltime', value);
  return value;
}

/**
 * Writes entries to event files in `logDir` for TensorBoard to read.
 *
 *     const writer = new utils.tensorboard.SummaryWriter('runs/exp1');
 *     writer.addScalar('Loss/train', loss, step);
 *     writer.close();
 */
export class SummaryWriter {
  private readonly logDir: string;
  private readonly maxQueue: number;
  private readonly flushSecs: number;
  private readonly filenameSuffix: string;
  /** The main file writer and one per `addScalars` key, by directory. */
  private writers: Map<string, EventFileWriter> | null = new Map();
  private readonly fileWriter: EventFileWriter;

  /** `logDir`, then comment, purgeStep, maxQueue, flushSecs, filenameSuffix positional (PyTorch's order) or named. */
  constructor(
    logDir?: string | null,
    ...args: WithOptions<
      [comment: string, purgeStep: null, maxQueue: number, flushSecs: number, filenameSuffix: string],
      SummaryWriterOptions
    >
  ) {
    const o = bindArgs<SummaryWriterOptions>(args, WRITER_POSITIONAL, 'SummaryWriter');
    if (o.purgeStep !== undefined && o.purgeStep !== null)
      throw rangeError('null (purgeStep is not supported)', 'purgeStep', o.purgeStep);
    const comment = o.comment === undefined ? '' : checkString(o.comment, 'comment');
    if (logDir !== undefined && logDir !== null) {
      checkString(logDir, 'logDir');
      if (logDir === '') throw rangeError('a non-empty directory name', 'logDir', logDir);
    }
    this.logDir = logDir ?? defaultLogDir(comment);
    this.maxQueue = o.maxQueue === undefined ? 10 : checkInt(o.maxQueue, 'maxQueue', 0);
    if (o.flushSecs === undefined) this.flushSecs = 120;
    else if (typeof o.flushSecs !== 'number') throw typeError('a number of seconds', 'flushSecs', o.flushSecs);
    else if (!(o.flushSecs > 0 && o.flushSecs <= 2147483))
      throw rangeError('a number of seconds in (0, 2147483]', 'flushSecs', o.flushSecs);
    else this.flushSecs = o.flushSecs;
    this.filenameSuffix = o.filenameSuffix === undefined ? '' : checkString(o.filenameSuffix, 'filenameSuffix');
    if (/[/\\]/.test(this.filenameSuffix))
      throw rangeError('a suffix without path separators', 'filenameSuffix', this.filenameSuffix);
    this.fileWriter = this.open(this.logDir);
  }

  private open(dir: string): EventFileWriter {
    const w = new EventFileWriter(dir, {
      maxQueue: this.maxQueue,
      flushSecs: this.flushSecs,
      filenameSuffix: this.filenameSuffix,
    });
    this.checkOpen().set(dir, w);
    return w;
  }

  private checkOpen(): Map<string, EventFileWriter> {
    if (this.writers === null)
      throw new TorchError(`SummaryWriter for ${this.logDir} was closed: it cannot be written to any more`);
    return this.writers;
  }

  private write(writer: EventFileWriter, values: SummaryValue[], step: number | undefined, wallTime: number): void {
    writer.add(encodeEvent({ wallTime, step, summary: encodeSummary(values) }));
  }

  /** The directory event files are written to. */
  getLogdir(): string {
    return this.logDir;
  }

  /**
   * Adds a scalar (a number, or a one-element tensor) under `tag`. Stored as float32 like
   * PyTorch's default; NaN and infinities are written as they are.
   */
  addScalar(tag: string, scalarValue: number | Tensor, globalStep?: number | null, walltime?: number | null): void {
    this.checkOpen();
    checkString(tag, 'tag');
    const value = scalarOf(scalarValue, 'scalarValue');
    const step = checkStep(globalStep);
    this.write(this.fileWriter, [scalar(tag, value)], step, checkWalltime(walltime));
  }

  /**
   * Adds several scalars to one chart: each key `k` is written with tag `mainTag` to its own
   * event file in `<logDir>/<mainTag with '/' as '_'>_<k>/`, as PyTorch does.
   */
  addScalars(
    mainTag: string,
    tagScalarDict: Record<string, number | Tensor>,
    globalStep?: number | null,
    walltime?: number | null,
  ): void {
    const writers = this.checkOpen();
    checkString(mainTag, 'mainTag');
    if (tagScalarDict === null || typeof tagScalarDict !== 'object' || Array.isArray(tagScalarDict)) {
      throw typeError('an object of numbers or one-element Tensors', 'tagScalarDict', tagScalarDict);
    }
    const entries = Object.entries(tagScalarDict).map(([k, v]) => [k, scalarOf(v, `tagScalarDict["${k}"]`)] as const);
    const step = checkStep(globalStep);
    const wallTime = checkWalltime(walltime);
    for (const [key, value] of entries) {
      const dir = `${this.logDir}/${mainTag.replace(/\//g, '_')}_${key}`;
      const w = writers.get(dir) ?? this.open(dir);
      this.write(w, [scalar(mainTag, value)], step, wallTime);
    }
  }

  /**
   * Adds a histogram of `values` (a tensor or numbers). `bins` is 'tensorflow' (TensorFlow's
   * exponential buckets, the default), a bin count over [min, max], or the bin edges, as
   * numpy.histogram takes them. Values must be finite.
   */
  addHistogram(
    tag: string,
    values: Tensor | readonly number[] | Float32Array | Float64Array,
    globalStep?: number | null,
    bins: Bins = 'tensorflow',
    walltime?: number | null,
  ): void {
    this.checkOpen();
    checkString(tag, 'tag');
    const step = checkStep(globalStep);
    const wallTime = checkWalltime(walltime);
    this.write(this.fileWriter, [histogram(tag, values, bins)], step, wallTime);
  }

  /**
   * Adds an image: a float tensor in [0, 1] (scaled by 255, clamped) or a uint8 tensor,
   * laid out as `dataformats` ('CHW', 'HWC' or 'HW') with 1, 3 or 4 channels; stored as PNG
   * (one channel is repeated to RGB, as in PyTorch).
   */
  addImage(
    tag: string,
    imgTensor: Tensor,
    globalStep?: number | null,
    walltime?: number | null,
    dataformats: DataFormats = 'CHW',
  ): void {
    this.checkOpen();
    checkString(tag, 'tag');
    const step = checkStep(globalStep);
    const wallTime = checkWalltime(walltime);
    this.write(this.fileWriter, [image(tag, imgTensor, dataformats)], step, wallTime);
  }

  /** Writes every pending event of every event file to disk. Does nothing once closed. */
  flush(): void {
    if (this.writers === null) return;
    for (const w of this.writers.values()) w.flush();
  }

  /** Flushes and closes every event file. Further `add*` calls throw; closing again does nothing. */
  close(): void {
    if (this.writers === null) return;
    const writers = [...this.writers.values()];
    this.writers = null;
    let error: unknown = null;
    for (const w of writers) {
      try {
        w.close();
      } catch (e) {
        error ??= e;
      }
    }
    if (error !== null) throw error;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
