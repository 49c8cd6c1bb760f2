/** Prometheus text-format metrics of the inference server (`GET /metrics`). */

/** A cumulative histogram in Prometheus' form (le buckets, _sum, _count). */
export class Histogram {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;

  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
  ) {
    this.counts = buckets.map(() => 0);
  }

  observe(v: number): void {
    this.sum += v;
    this.count += 1;
    for (let i = 0; i < this.buckets.length; i++) if (v <= this.buckets[i]) this.counts[i] += 1;
  }

  /** The value below which a fraction `q` of the observations fall, bucket-resolved (the bucket's upper bound). */
  quantile(q: number): number {
    const target = q * this.count;
    for (let i = 0; i < this.buckets.length; i++) if (this.counts[i] >= target) return this.buckets[i];
    return Number.POSITIVE_INFINITY;
  }

  get total(): number {
    return this.count;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    this.buckets.forEach((b, i) => {
      lines.push(`${this.name}_bucket{le="${b}"} ${this.counts[i]}`);
    });
    lines.push(`${this.name}_bucket{le="+Inf"} ${this.count}`);
    lines.push(`${this.name}_sum ${this.sum}`);
    lines.push(`${this.name}_count ${this.count}`);
    return lines.join('\n');
  }
}

/** The server's counters, gauges and histograms. */
export class ServerMetrics {
  /** Requests answered, by HTTP status code. */
  readonly requests = new Map<number, number>();
  readonly batchSize = new Histogram('torchts_batch_size', 'Images per model forward.', [1, 2, 4, 8, 16, 32, 64, 128]);
  readonly latency = new Histogram(
    'torchts_request_duration_seconds',
    'Time from a prediction request arriving to its answer being sent.',
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  );
  readonly forward = new Histogram(
    'torchts_forward_duration_seconds',
    'Time of one batched model forward (queued on the inference thread included).',
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  );

  constructor(private readonly gauges: () => { queueDepth: number; inFlight: number; liveTensors: number }) {}

  countRequest(status: number): void {
    this.requests.set(status, (this.requests.get(status) ?? 0) + 1);
  }

  render(): string {
    const g = this.gauges();
    const out = [
      '# HELP torchts_requests_total Prediction requests answered, by HTTP status code.',
      '# TYPE torchts_requests_total counter',
      ...[...this.requests.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([code, n]) => `torchts_requests_total{code="${code}"} ${n}`),
      '# HELP torchts_queue_depth Images waiting for a batch.',
      '# TYPE torchts_queue_depth gauge',
      `torchts_queue_depth ${g.queueDepth}`,
      '# HELP torchts_in_flight_requests Prediction requests received and not yet answered.',
      '# TYPE torchts_in_flight_requests gauge',
      `torchts_in_flight_requests ${g.inFlight}`,
      '# HELP torchts_live_tensors Tensors alive in the server process (torch.memory()).',
      '# TYPE torchts_live_tensors gauge',
      `torchts_live_tensors ${g.liveTensors}`,
      '# HELP process_resident_memory_bytes Resident memory size in bytes.',
      '# TYPE process_resident_memory_bytes gauge',
      `process_resident_memory_bytes ${process.memoryUsage.rss()}`,
      this.batchSize.render(),
      this.latency.render(),
      this.forward.render(),
    ];
    return `${out.join('\n')}\n`;
  }
}
