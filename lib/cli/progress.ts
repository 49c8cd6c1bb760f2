/** A one-line progress bar for training (redrawn on a terminal, periodic lines otherwise). */
export class Progress {
  private readonly started = Date.now();
  private lastPrint = 0;
  private readonly tty = Boolean(process.stderr.isTTY);

  constructor(
    private readonly label: string,
    private readonly total: number,
  ) {}

  private line(step: number, stats: Record<string, string>): string {
    const elapsed = (Date.now() - this.started) / 1000;
    const rate = step / Math.max(elapsed, 1e-9);
    const eta = (this.total - step) / Math.max(rate, 1e-9);
    const width = 24;
    const done = Math.round((width * step) / this.total);
    const bar = '='.repeat(Math.max(0, done - 1)) + (done > 0 ? '>' : '') + ' '.repeat(width - done);
    const fmt = (s: number): string => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
    const extra = Object.entries(stats)
      .map(([k, v]) => `${k} ${v}`)
      .join('  ');
    return `${this.label} [${bar}] ${step}/${this.total}  ${rate.toFixed(1)} it/s  ${extra}  ETA ${fmt(eta)}`;
  }

  update(step: number, stats: Record<string, string>): void {
    const now = Date.now();
    if (this.tty) {
      if (now - this.lastPrint > 100 || step === this.total) {
        process.stderr.write(`\r${this.line(step, stats)}\x1b[K`);
        this.lastPrint = now;
      }
    } else if (now - this.lastPrint > 10_000 || step === this.total) {
      process.stderr.write(`${this.line(step, stats)}\n`);
      this.lastPrint = now;
    }
  }

  done(): void {
    if (this.tty) process.stderr.write('\n');
  }
}
