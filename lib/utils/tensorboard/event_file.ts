/**
 * TFRecord event files: `events.out.tfevents.<seconds>.<hostname>.<pid>.<n><suffix>`, each
 * record framed as uint64 LE length, masked CRC32C of the length, the data, masked CRC32C of
 * the data. The first record is an Event with file_version "brain.Event:2".
 *
 * Writes are synchronous (`fs.writeSync`): records are queued in memory and written when
 * more than `maxQueue` are pending, every `flushSecs` seconds (an unref'd timer), on
 * `flush()`/`close()`, and at process exit for files still open.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { encodeEvent } from './proto';

// ---- CRC32C (Castagnoli, reflected polynomial 0x82F63B78) -------------------------------

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC32C of `data`, as an unsigned 32-bit number. */
export function crc32c(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = CRC32C_TABLE[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** TFRecord's masked CRC32C: rotate right by 15 and add 0xa282ead8 (mod 2^32). */
export function maskedCrc32c(data: Uint8Array): number {
  const crc = crc32c(data);
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** One TFRecord: length, masked CRC of the length, data, masked CRC of the data. */
export function tfRecord(data: Uint8Array): Buffer {
  const out = Buffer.alloc(8 + 4 + data.length + 4);
  out.writeBigUInt64LE(BigInt(data.length), 0);
  out.writeUInt32LE(maskedCrc32c(out.subarray(0, 8)), 8);
  out.set(data, 12);
  out.writeUInt32LE(maskedCrc32c(data), 12 + data.length);
  return out;
}

// ---- open files, flushed at exit --------------------------------------------------------

const openWriters = new Set<EventFileWriter>();
let exitHookInstalled = false;
let fileCounter = 0;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const w of [...openWriters]) {
      try {
        w.close();
      } catch {
        // Nothing useful can be done with an error while the process exits.
      }
    }
  });
}

/** Seconds since the Unix epoch, with sub-millisecond resolution. */
export function now(): number {
  return (performance.timeOrigin + performance.now()) / 1000;
}

export interface EventFileWriterOptions {
  maxQueue: number;
  flushSecs: number;
  filenameSuffix: string;
}

/** Writes encoded Events to one event file in `logDir` (created if missing). */
export class EventFileWriter {
  readonly logDir: string;
  readonly fileName: string;
  private fd: number | null;
  private queue: Buffer[] = [];
  private readonly maxQueue: number;
  private timer: NodeJS.Timeout | null;
  /** An error raised by a timer flush, rethrown by the next call. */
  private pendingError: unknown = null;

  constructor(logDir: string, options: EventFileWriterOptions) {
    this.logDir = logDir;
    this.maxQueue = options.maxQueue;
    fs.mkdirSync(logDir, { recursive: true });
    const seconds = String(Math.floor(Date.now() / 1000)).padStart(10, '0');
    const base = `events.out.tfevents.${seconds}.${os.hostname()}.${process.pid}.${fileCounter++}`;
    this.fileName = path.join(logDir, base + options.filenameSuffix);
    this.fd = fs.openSync(this.fileName, 'w');
    openWriters.add(this);
    installExitHook();
    this.add(encodeEvent({ wallTime: now(), fileVersion: 'brain.Event:2', sourceWriter: 'torchts' }));
    this.flush();
    this.timer = setInterval(() => {
      try {
        this.flush();
      } catch (e) {
        this.pendingError ??= e;
      }
    }, options.flushSecs * 1000);
    this.timer.unref();
  }

  get closed(): boolean {
    return this.fd === null;
  }

  private rethrow(): void {
    if (this.pendingError !== null) {
      const e = this.pendingError;
      this.pendingError = null;
      throw e;
    }
  }

  /** Queues one encoded Event; writes the queue once more than `maxQueue` are pending. */
  add(event: Uint8Array): void {
    if (this.fd === null) throw new Error(`Event file ${this.fileName} is closed`);
    this.rethrow();
    this.queue.push(tfRecord(event));
    if (this.queue.length > this.maxQueue) this.flush();
  }

  /** Writes every queued record to the file (synchronously). */
  flush(): void {
    if (this.fd === null) return;
    const queued = this.queue;
    this.queue = [];
    if (queued.length > 0) {
      const data = queued.length === 1 ? queued[0] : Buffer.concat(queued);
      let off = 0;
      while (off < data.length) off += fs.writeSync(this.fd, data, off, data.length - off);
    }
    this.rethrow();
  }

  /** Flushes, stops the timer and closes the file. Closing twice does nothing. */
  close(): void {
    if (this.fd === null) return;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    try {
      this.flush();
    } finally {
      fs.closeSync(this.fd);
      this.fd = null;
      openWriters.delete(this);
    }
  }
}
