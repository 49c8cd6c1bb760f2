// A worker process for test/distributed.test.ts: joins the default process group from the
// environment (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT), runs one scenario, and prints
// its results as one JSON line prefixed with RESULT.
'use strict';
const { torch, nn, optim, distributed: dist } = require('../../dist/index.js');

const scenario = process.argv[2];
const timeout = Number(process.env.TEST_TIMEOUT_MS ?? 20000);
const out = (value) => console.log(`RESULT ${JSON.stringify(value)}`);
const arr = (t) => Array.from(t.detach().contiguous().toTypedArray(), Number);

function model(batchNorm = true) {
  return new nn.Sequential(
    new nn.Conv2d(1, 4, 3),
    batchNorm ? new nn.BatchNorm2d(4) : new nn.Identity(),
    new nn.ReLU(),
    new nn.Flatten(),
    new nn.Linear(4 * 6 * 6, 3),
  );
}
/** The same global batch on every rank; each rank trains on its contiguous share. */
function batch(step, n) {
  torch.manualSeed(100 + step);
  const x = torch.randn([n, 1, 8, 8]);
  const y = torch.randint(0, 3, [n]);
  return [x, y];
}
function share(t, rank, size) {
  const per = t.shape[0] / size;
  return t.narrow(0, rank * per, per);
}

function main() {
  dist.initProcessGroup({ backend: 'gloo', timeout });
  const rank = dist.getRank();
  const size = dist.getWorldSize();
  if (scenario === 'collectives') {
    const a = torch.tensor([rank + 1, 10 * (rank + 1)], { dtype: 'float32' });
    dist.allReduce(a);
    const m = torch.tensor([rank + 1], { dtype: 'float64' });
    dist.allReduce(m, 'max');
    const b = rank === 1 ? torch.tensor([7, 8, 9]) : torch.zeros([3], { dtype: 'int64' });
    dist.broadcast(b, 1);
    const parts = Array.from({ length: size }, () => torch.zeros([2]));
    dist.allGather(parts, torch.full([2], rank * 2 + 0.5));
    const t0 = Date.now();
    if (rank === 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
    dist.barrier();
    out({
      rank,
      size,
      backend: dist.getBackend(),
      sum: arr(a),
      max: arr(m),
      bcast: arr(b),
      gathered: parts.map(arr),
      waitedMs: Date.now() - t0,
    });
  } else if (scenario === 'ddp-grad') {
    // Gradients of one DDP step, and (rank 0) the single-process gradients on the whole batch.
    // No BatchNorm here: its batch statistics differ between a share and the whole batch.
    torch.manualSeed(rank); // different initial weights: DDP must broadcast rank 0's
    const m = model(false);
    const ddp = new nn.parallel.DistributedDataParallel(m);
    const [x, y] = batch(0, 8);
    new nn.CrossEntropyLoss().forward(ddp.forward(share(x, rank, size)), share(y, rank, size)).backward();
    const grads = m.parameters().map((p) => arr(p.grad));
    let reference = null;
    if (rank === 0) {
      torch.manualSeed(0);
      const single = model(false);
      new nn.CrossEntropyLoss().forward(single.forward(x), y).backward();
      reference = single.parameters().map((p) => arr(p.grad));
    }
    out({ rank, grads, reference });
  } else if (scenario === 'ddp-steps') {
    torch.manualSeed(10 + rank);
    const m = model();
    const ddp = new nn.parallel.DistributedDataParallel(m, { bucketCapMb: 0.0005 });
    const opt = new optim.SGD(ddp.parameters(), { lr: 0.1, momentum: 0.9 });
    const crit = new nn.CrossEntropyLoss();
    const losses = [];
    for (let step = 0; step < 5; step++) {
      torch.tidy(() => {
        const [x, y] = batch(step, 16);
        opt.zeroGrad();
        const loss = crit.forward(ddp.forward(share(x, rank, size)), share(y, rank, size));
        loss.backward();
        opt.step();
        losses.push(loss.item());
      });
    }
    // Each rank's last forward updated its own running statistics; the next forward starts
    // from rank 0's (broadcastBuffers), and in eval mode leaves them as they are.
    ddp.eval();
    torch.noGrad(() => ddp.forward(batch(99, 2)[0]));
    const state = Object.fromEntries(Object.entries(ddp.stateDict()).map(([k, v]) => [k, arr(v.to('float64'))]));
    out({ rank, losses, state });
  } else if (scenario === 'ddp-amp') {
    // DDP with bfloat16 autocast and a GradScaler; at step 2 only rank 1's batch overflows.
    // The allreduce spreads the inf, so both ranks skip that step and back off alike.
    torch.manualSeed(20 + rank);
    const m = model();
    const ddp = new nn.parallel.DistributedDataParallel(m);
    const opt = new optim.SGD(ddp.parameters(), { lr: 0.05, momentum: 0.9 });
    const scaler = new torch.amp.GradScaler('cpu', { initScale: 1024, growthInterval: 2 });
    const crit = new nn.CrossEntropyLoss();
    const scales = [];
    const stepped = [];
    for (let step = 0; step < 5; step++) {
      torch.tidy(() => {
        const [x, y] = batch(step, 16);
        const xs = share(x, rank, size).clone();
        if (step === 2 && rank === 1) xs.indexPut_([0, 0, 0, 0], Infinity);
        opt.zeroGrad();
        const loss = torch.autocast('cpu', () => crit.forward(ddp.forward(xs), share(y, rank, size)));
        scaler.scale(loss).backward();
        stepped.push(scaler.step(opt));
        scaler.update();
        scales.push(scaler.getScale());
      });
    }
    const params = m.parameters().map((p) => arr(p.to('float64')));
    out({ rank, scales, stepped, params });
  } else if (scenario === 'sync-bn') {
    // scripts/reference/sync_batchnorm.py's model and batches (argv[3]), its BatchNorms
    // converted to SyncBatchNorm, under DDP: each rank steps on its half of every batch.
    const ref = torch.load(process.argv[3]);
    const m = new nn.Sequential(
      new nn.Conv2d(2, 4, 3),
      new nn.BatchNorm2d(4),
      new nn.ReLU(),
      new nn.Flatten(),
      new nn.Linear(4 * 6 * 6, 6),
      new nn.BatchNorm1d(6, { momentum: null }),
      new nn.ReLU(),
      new nn.Linear(6, 3),
    ).double();
    m.loadStateDict(ref.state);
    const sync = nn.SyncBatchNorm.convertSyncBatchnorm(m);
    const ddp = new nn.parallel.DistributedDataParallel(sync);
    const opt = new optim.SGD(ddp.parameters(), 0.1, 0.9);
    const crit = new nn.CrossEntropyLoss();
    const losses = [];
    let grads = null;
    for (let step = 0; step < 3; step++) {
      torch.tidy(() => {
        opt.zeroGrad();
        const x = share(ref.x.select(0, step), rank, size);
        const loss = crit.forward(ddp.forward(x), share(ref.y.select(0, step), rank, size));
        loss.backward();
        if (grads === null) grads = m.parameters().map((p) => arr(p.grad));
        opt.step();
        losses.push(loss.item());
      });
    }
    const kinds = m.modules().map((mod) => mod.constructor.name);
    const state = Object.fromEntries(Object.entries(m.stateDict()).map(([k, v]) => [k, arr(v.to('float64'))]));
    out({ rank, losses, grads, state, kinds });
  } else if (scenario === 'die') {
    if (rank === 1) process.exit(3);
    const t0 = Date.now();
    try {
      dist.allReduce(torch.ones([4]));
      out({ rank, error: null });
    } catch (e) {
      out({ rank, error: `${e.name}: ${e.message}`, ms: Date.now() - t0 });
    }
    process.exit(0);
  } else if (scenario === 'stall') {
    // Rank 1 stays alive but never joins the collective: rank 0 must time out.
    if (rank === 1) {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, timeout + 1000);
      process.exit(0);
    }
    const t0 = Date.now();
    try {
      dist.allReduce(torch.ones([4]));
      out({ rank, error: null });
    } catch (e) {
      out({ rank, error: `${e.name}: ${e.message}`, ms: Date.now() - t0 });
    }
    process.exit(0);
  } else {
    throw new Error(`unknown scenario ${scenario}`);
  }
  dist.destroyProcessGroup();
}

main();
