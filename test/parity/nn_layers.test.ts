// nn layers and losses against real PyTorch (scripts/reference/nn_layers.py). PyTorch
// builds each layer with seeded weights and runs it; torchts loads the weights with
// loadStateDict (strict: the key names must be PyTorch's, in PyTorch's order), runs the
// same forward passes, backpropagates (out * proj).sum() and must reproduce the outputs,
// the input and parameter gradients, and the buffers afterwards (BatchNorm running
// statistics, num_batches_tracked).
//
// Tolerance 0 (torch.allclose with rtol = atol = 0, so NaN fails): both sides run the same
// libtorch kernels in the same order, so outputs, gradients and buffers are the same bits.
import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { nn, torch, type Tensor } from '../../lib/index';
import { expectClose, type Tolerance } from '../compare';
import { type Fixtures, readFixtures, runReference, tempDir, under, writeFixtures } from './fixtures';

const EXACT: Tolerance = { rtol: 0, atol: 0 };
const TOL: Record<string, Tolerance> = { float32: EXACT, float64: EXACT };

const seq = (): nn.Module =>
  new nn.Sequential(
    new nn.Conv2d(3, 8, 3, { padding: 1, bias: false }),
    new nn.BatchNorm2d(8),
    new nn.ReLU({ inplace: true }),
    new nn.MaxPool2d(2),
    new nn.Conv2d(8, 4, 3),
    new nn.AdaptiveAvgPool2d(1),
    new nn.Flatten(),
    new nn.Linear(4, 5),
  );

/** ModuleDict, ParameterList and ParameterDict inside a module, as `Heads` in nn_layers.py. */
class Heads extends nn.Module {
  heads = new nn.ModuleDict({ a: new nn.Linear(7, 3), b: new nn.Conv2d(3, 2, 1) });
  scales = new nn.ParameterList([new nn.Parameter(torch.randn([3])), torch.randn([1])]);
  extra = new nn.ParameterDict({ shift: new nn.Parameter(torch.randn([7])), gain: torch.randn([1]) });
  forward(x: Tensor): Tensor {
    const a = this.heads.get('a') as nn.Linear;
    const b = this.heads.get('b') as nn.Conv2d;
    const y = a.forward(x.add(this.extra.get('shift'))).mul(this.scales.at(0));
    return y.mul(this.extra.get('gain')).add(this.scales.at(1)).add(b.forward(x).mean());
  }
}

/** The torchts side of each layer case in nn_layers.py (weights come from PyTorch's state dict). */
const LAYERS: Record<string, { make: () => nn.Module; train: boolean }> = {
  conv_basic: { make: () => new nn.Conv2d(3, 4, 3), train: true },
  conv_stride_pad: { make: () => new nn.Conv2d(3, 6, [3, 5], { stride: [2, 1], padding: [1, 2] }), train: true },
  conv_same_even: { make: () => new nn.Conv2d(4, 4, [3, 4], { padding: 'same', dilation: [2, 1] }), train: true },
  conv_valid: { make: () => new nn.Conv2d(3, 2, 2, { padding: 'valid' }), train: true },
  conv_dilation: { make: () => new nn.Conv2d(3, 4, 3, { stride: 2, padding: 2, dilation: 2 }), train: true },
  conv_groups_nobias: { make: () => new nn.Conv2d(4, 8, 3, { padding: 1, groups: 2, bias: false }), train: true },
  conv_depthwise: { make: () => new nn.Conv2d(4, 4, 3, { groups: 4 }), train: true },
  conv_f64: { make: () => new nn.Conv2d(3, 4, 3, { padding: 1, dtype: 'float64' }), train: true },
  bn_train: { make: () => new nn.BatchNorm2d(3), train: true },
  bn_momentum: { make: () => new nn.BatchNorm2d(3, { momentum: 0.3 }), train: true },
  bn_momentum_none: { make: () => new nn.BatchNorm2d(3, { momentum: null }), train: true },
  bn_eval: { make: () => new nn.BatchNorm2d(3, { eps: 1e-3 }), train: false },
  bn_no_affine: { make: () => new nn.BatchNorm2d(3, { affine: false }), train: true },
  bn_no_stats_train: { make: () => new nn.BatchNorm2d(3, { trackRunningStats: false }), train: true },
  bn_no_stats_eval: { make: () => new nn.BatchNorm2d(3, { trackRunningStats: false }), train: false },
  bn_f64: { make: () => new nn.BatchNorm2d(3, { dtype: 'float64' }), train: true },
  relu: { make: () => new nn.ReLU(), train: true },
  maxpool: { make: () => new nn.MaxPool2d(2), train: true },
  maxpool_ceil: { make: () => new nn.MaxPool2d(3, { stride: 2, ceilMode: true }), train: true },
  maxpool_padding: { make: () => new nn.MaxPool2d(3, { stride: 2, padding: 1 }), train: true },
  maxpool_dilation: { make: () => new nn.MaxPool2d([2, 3], { stride: 1, dilation: 2 }), train: true },
  maxpool_tuples: { make: () => new nn.MaxPool2d([3, 3], { stride: [2, 2], padding: [1, 1] }), train: true },
  avgpool_tuples: { make: () => new nn.AvgPool2d([2, 2], [1, 2]), train: true },
  avgpool: { make: () => new nn.AvgPool2d(2), train: true },
  avgpool_ceil: { make: () => new nn.AvgPool2d(3, { stride: 2, ceilMode: true }), train: true },
  avgpool_pad_include: { make: () => new nn.AvgPool2d(3, { stride: 2, padding: 1 }), train: true },
  avgpool_pad_exclude: {
    make: () => new nn.AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: false }),
    train: true,
  },
  avgpool_ceil_pad_exclude: {
    make: () => new nn.AvgPool2d(3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }),
    train: true,
  },
  avgpool_divisor: { make: () => new nn.AvgPool2d(2, { divisorOverride: 3 }), train: true },
  adaptive_avg: { make: () => new nn.AdaptiveAvgPool2d([3, 2]), train: true },
  adaptive_avg_1: { make: () => new nn.AdaptiveAvgPool2d(1), train: true },
  linear: { make: () => new nn.Linear(5, 3), train: true },
  linear_no_bias_3d: { make: () => new nn.Linear(5, 3, { bias: false }), train: true },
  flatten: { make: () => new nn.Flatten(), train: true },
  flatten_dims: { make: () => new nn.Flatten(0, 2), train: true },
  dropout_eval: { make: () => new nn.Dropout(0.4), train: false },
  sequential_train: { make: seq, train: true },
  sequential_eval: { make: seq, train: false },
  // activations (activation.ts)
  threshold: { make: () => new nn.Threshold(0.1, 20), train: true },
  rrelu_eval: { make: () => new nn.RReLU(0.1, 0.3), train: false },
  hardtanh: { make: () => new nn.Hardtanh(-0.5, 0.7), train: true },
  relu6: { make: () => new nn.ReLU6(), train: true },
  hardsigmoid: { make: () => new nn.Hardsigmoid(), train: true },
  silu: { make: () => new nn.SiLU(), train: true },
  mish: { make: () => new nn.Mish(), train: true },
  hardswish: { make: () => new nn.Hardswish(), train: true },
  selu: { make: () => new nn.SELU(), train: true },
  elu: { make: () => new nn.ELU(0.7), train: true },
  celu: { make: () => new nn.CELU(1.3), train: true },
  glu: { make: () => new nn.GLU(1), train: true },
  gelu: { make: () => new nn.GELU(), train: true },
  gelu_tanh: { make: () => new nn.GELU({ approximate: 'tanh' }), train: true },
  hardshrink: { make: () => new nn.Hardshrink(0.3), train: true },
  softshrink: { make: () => new nn.Softshrink(), train: true },
  leaky_relu: { make: () => new nn.LeakyReLU(0.2), train: true },
  logsigmoid: { make: () => new nn.LogSigmoid(), train: true },
  softplus: { make: () => new nn.Softplus(2, 1.5), train: true },
  prelu: { make: () => new nn.PReLU(), train: true },
  prelu_channels: { make: () => new nn.PReLU(3), train: true },
  softsign: { make: () => new nn.Softsign(), train: true },
  tanhshrink: { make: () => new nn.Tanhshrink(), train: true },
  softmin: { make: () => new nn.Softmin(2), train: true },
  softmin_implicit: { make: () => new nn.Softmin(), train: true },
  softmax2d: { make: () => new nn.Softmax2d(), train: true },
  gelu_f64: { make: () => new nn.GELU(), train: true },
  // dropout.ts, eval mode (the identity); training mode is tested statistically below
  dropout1d_eval: { make: () => new nn.Dropout1d(0.3), train: false },
  dropout2d_eval: { make: () => new nn.Dropout2d(0.3), train: false },
  dropout3d_eval: { make: () => new nn.Dropout3d(0.3), train: false },
  alpha_dropout_eval: { make: () => new nn.AlphaDropout(0.3), train: false },
  feature_alpha_dropout_eval: { make: () => new nn.FeatureAlphaDropout(0.3), train: false },
  // normalization.ts
  layer_norm: { make: () => new nn.LayerNorm([7, 7]), train: true },
  layer_norm_eps_no_bias: { make: () => new nn.LayerNorm(7, 1e-3, { bias: false }), train: true },
  layer_norm_no_affine: { make: () => new nn.LayerNorm(7, { elementwiseAffine: false }), train: true },
  layer_norm_f64: { make: () => new nn.LayerNorm(7, { dtype: 'float64' }), train: true },
  group_norm: { make: () => new nn.GroupNorm(2, 4), train: true },
  group_norm_no_affine: { make: () => new nn.GroupNorm(3, 6, 1e-3, false), train: true },
  group_norm_no_bias: { make: () => new nn.GroupNorm(1, 4, { bias: false }), train: true },
  rms_norm: { make: () => new nn.RMSNorm([7]), train: true },
  rms_norm_eps: { make: () => new nn.RMSNorm(7, 1e-3, false), train: true },
  lrn: { make: () => new nn.LocalResponseNorm(3), train: true },
  lrn_3d_args: { make: () => new nn.LocalResponseNorm(2, 1e-2, 0.5, 2.0), train: true },
  unflatten: { make: () => new nn.Unflatten(1, [7, 1, 7]), train: true },
  // padding.ts
  constant_pad1d: { make: () => new nn.ConstantPad1d([1, 2], 1.5), train: true },
  constant_pad2d: { make: () => new nn.ConstantPad2d(1, -0.5), train: true },
  constant_pad3d: { make: () => new nn.ConstantPad3d([1, 0, 2, 1, 0, 1], 2.0), train: true },
  zero_pad1d: { make: () => new nn.ZeroPad1d(2), train: true },
  zero_pad2d: { make: () => new nn.ZeroPad2d([1, 2, 0, 1]), train: true },
  zero_pad3d: { make: () => new nn.ZeroPad3d(1), train: true },
  reflection_pad1d: { make: () => new nn.ReflectionPad1d([2, 1]), train: true },
  reflection_pad2d: { make: () => new nn.ReflectionPad2d([1, 2, 2, 0]), train: true },
  reflection_pad3d: { make: () => new nn.ReflectionPad3d(1), train: true },
  replication_pad1d: { make: () => new nn.ReplicationPad1d([0, 3]), train: true },
  replication_pad2d: { make: () => new nn.ReplicationPad2d(2), train: true },
  replication_pad3d: { make: () => new nn.ReplicationPad3d([1, 2, 0, 1, 1, 0]), train: true },
  circular_pad1d: { make: () => new nn.CircularPad1d([1, 2]), train: true },
  circular_pad2d: { make: () => new nn.CircularPad2d(1), train: true },
  circular_pad3d: { make: () => new nn.CircularPad3d([1, 0, 1, 2, 0, 1]), train: true },
  // pooling_more.ts
  maxpool1d: { make: () => new nn.MaxPool1d(3, 2, 1), train: true },
  maxpool1d_ceil_dilation: { make: () => new nn.MaxPool1d(2, { dilation: 2, ceilMode: true }), train: true },
  maxpool3d: { make: () => new nn.MaxPool3d([2, 2, 3], { stride: 1, padding: [0, 1, 1] }), train: true },
  avgpool1d: { make: () => new nn.AvgPool1d(3, 2, 1, { countIncludePad: false }), train: true },
  avgpool3d_divisor: { make: () => new nn.AvgPool3d(2, { divisorOverride: 3 }), train: true },
  avgpool3d_ceil: { make: () => new nn.AvgPool3d([2, 3, 2], [1, 2, 2], 1, true), train: true },
  adaptive_avg1d: { make: () => new nn.AdaptiveAvgPool1d(4), train: true },
  adaptive_avg3d: { make: () => new nn.AdaptiveAvgPool3d([2, null, 3]), train: true },
  adaptive_max1d: { make: () => new nn.AdaptiveMaxPool1d(4), train: true },
  adaptive_max3d: { make: () => new nn.AdaptiveMaxPool3d([2, 3, 2]), train: true },
  lppool1d: { make: () => new nn.LPPool1d(2, 3, 2), train: true },
  lppool2d: { make: () => new nn.LPPool2d(2, [2, 3], [1, 2], true), train: true },
  lppool3d: { make: () => new nn.LPPool3d(1, 2), train: true },
  fractional_maxpool2d: {
    make: () => new nn.FractionalMaxPool2d(2, [4, 3], { randomSamples: torch.zeros([2, 3, 2]) }),
    train: true,
  },
  fractional_maxpool3d: {
    make: () => new nn.FractionalMaxPool3d(2, { outputRatio: 0.5, randomSamples: torch.zeros([1, 2, 3]) }),
    train: true,
  },
  // conv.ts: Conv1d/3d, transposed convolutions
  conv1d: { make: () => new nn.Conv1d(3, 4, 3, 2, 1), train: true },
  conv1d_same_reflect: {
    make: () => new nn.Conv1d(3, 4, 4, { padding: 'same', dilation: 2, paddingMode: 'reflect' }),
    train: true,
  },
  conv1d_circular_groups: {
    make: () => new nn.Conv1d(4, 6, 3, { padding: 2, groups: 2, bias: false, paddingMode: 'circular' }),
    train: true,
  },
  conv3d: { make: () => new nn.Conv3d(2, 3, [2, 3, 3], { stride: [1, 2, 1], padding: 1 }), train: true },
  conv3d_replicate: { make: () => new nn.Conv3d(2, 2, 3, { padding: 1, paddingMode: 'replicate' }), train: true },
  conv_transpose1d: { make: () => new nn.ConvTranspose1d(3, 4, 3, 2, 1, 1), train: true },
  conv_transpose2d: {
    make: () =>
      new nn.ConvTranspose2d(4, 6, [3, 2], {
        stride: 2,
        padding: [1, 0],
        outputPadding: [1, 0],
        groups: 2,
        dilation: [1, 2],
      }),
    train: true,
  },
  conv_transpose2d_no_bias: { make: () => new nn.ConvTranspose2d(3, 2, 3, { bias: false }), train: true },
  conv_transpose3d: { make: () => new nn.ConvTranspose3d(2, 3, 2, { stride: 2 }), train: true },
  // batchnorm.ts, instancenorm.ts
  bn1d_train: { make: () => new nn.BatchNorm1d(3), train: true },
  bn1d_3d_eval: { make: () => new nn.BatchNorm1d(3), train: false },
  bn3d_train: { make: () => new nn.BatchNorm3d(2, { momentum: 0.2 }), train: true },
  instance_norm1d: { make: () => new nn.InstanceNorm1d(3), train: true },
  instance_norm2d_track: {
    make: () => new nn.InstanceNorm2d(3, { affine: true, trackRunningStats: true }),
    train: true,
  },
  instance_norm2d_eval: { make: () => new nn.InstanceNorm2d(3, 1e-3, { trackRunningStats: true }), train: false },
  instance_norm3d_unbatched: { make: () => new nn.InstanceNorm3d(2, { affine: true }), train: true },
  // pixelshuffle.ts, upsampling.ts, fold.ts
  pixel_shuffle: { make: () => new nn.PixelShuffle(2), train: true },
  pixel_unshuffle: { make: () => new nn.PixelUnshuffle(2), train: true },
  channel_shuffle: { make: () => new nn.ChannelShuffle(2), train: true },
  upsample_nearest: { make: () => new nn.Upsample({ scaleFactor: 2 }), train: true },
  upsample_bilinear_size: {
    make: () => new nn.Upsample({ size: [5, 9], mode: 'bilinear', alignCorners: false }),
    train: true,
  },
  upsample_bicubic_align: { make: () => new nn.Upsample(null, 1.5, 'bicubic', true), train: true },
  upsample_linear: { make: () => new nn.Upsample(7, { mode: 'linear' }), train: true },
  upsample_trilinear: { make: () => new nn.Upsample({ scaleFactor: [1.0, 2.0, 1.5], mode: 'trilinear' }), train: true },
  upsampling_nearest2d: { make: () => new nn.UpsamplingNearest2d({ scaleFactor: 2 }), train: true },
  upsampling_bilinear2d: { make: () => new nn.UpsamplingBilinear2d([4, 6]), train: true },
  unfold: { make: () => new nn.Unfold([2, 3], { padding: 1, stride: 2 }), train: true },
  fold: { make: () => new nn.Fold([4, 5], 2), train: true },
  containers: { make: () => new Heads(), train: true },
};

type Loss = nn.Module & { forward(input: Tensor, target: Tensor): Tensor };
/** The torchts side of each loss case; `w` is a placeholder class weight that loadStateDict overwrites. */
const LOSSES: Record<string, (w: Tensor) => Loss> = {
  ce_mean: () => new nn.CrossEntropyLoss(),
  ce_sum: () => new nn.CrossEntropyLoss({ reduction: 'sum' }),
  ce_none: () => new nn.CrossEntropyLoss({ reduction: 'none' }),
  ce_weight: (w) => new nn.CrossEntropyLoss({ weight: w }),
  ce_ignore_index: () => new nn.CrossEntropyLoss({ ignoreIndex: 2 }),
  ce_ignore_default: () => new nn.CrossEntropyLoss({ reduction: 'none' }),
  ce_smoothing: () => new nn.CrossEntropyLoss({ labelSmoothing: 0.2 }),
  ce_smoothing_weight_ignore: (w) =>
    new nn.CrossEntropyLoss({ weight: w, ignoreIndex: 0, labelSmoothing: 0.1, reduction: 'sum' }),
  ce_probs: () => new nn.CrossEntropyLoss(),
  ce_probs_smoothing_none: () => new nn.CrossEntropyLoss({ labelSmoothing: 0.3, reduction: 'none' }),
  ce_probs_weight: (w) => new nn.CrossEntropyLoss({ weight: w }),
  ce_spatial: (w) => new nn.CrossEntropyLoss({ weight: w }),
  ce_f64: () => new nn.CrossEntropyLoss(),
  nll_mean: () => new nn.NLLLoss(),
  nll_weight_ignore_sum: (w) => new nn.NLLLoss({ weight: w, ignoreIndex: 1, reduction: 'sum' }),
  nll_weight_mean: (w) => new nn.NLLLoss({ weight: w }),
  nll_none: () => new nn.NLLLoss({ reduction: 'none' }),
  mse_mean: () => new nn.MSELoss(),
  mse_sum: () => new nn.MSELoss({ reduction: 'sum' }),
  mse_none: () => new nn.MSELoss({ reduction: 'none' }),
};

type Multi = nn.Module & { forward(...inputs: Tensor[]): Tensor };
type Outputs = readonly (Tensor | Outputs)[];
/** A tuple of outputs (RNNs: output and hidden states) as one vector, as `flat` in nn_layers.py. */
function flat(y: Tensor | Outputs): Tensor {
  if (!Array.isArray(y)) return y as Tensor;
  return torch.cat((y as Outputs).map((t) => flat(t).reshape(-1)));
}
/** The torchts side of each MULTI case: `w(key)` is a placeholder for a buffer that loadStateDict overwrites. */
const MULTI: Record<string, (w: (key: string) => Tensor) => nn.Module> = {
  l1: () => new nn.L1Loss(),
  l1_legacy_sum: () => new nn.L1Loss(false),
  bce_weight: (w) => new nn.BCELoss(w('weight')),
  bce_logits_pos_weight: (w) => new nn.BCEWithLogitsLoss({ reduction: 'sum', posWeight: w('pos_weight') }),
  bce_logits_weight_none: (w) => new nn.BCEWithLogitsLoss(w('weight'), { reduction: 'none' }),
  smooth_l1_beta: () => new nn.SmoothL1Loss({ beta: 0.5 }),
  huber: () => new nn.HuberLoss('sum', 0.7),
  kl_batchmean: () => new nn.KLDivLoss({ reduction: 'batchmean' }),
  kl_log_target: () => new nn.KLDivLoss({ reduction: 'sum', logTarget: true }),
  poisson: () => new nn.PoissonNLLLoss(),
  poisson_full: () => new nn.PoissonNLLLoss(false, true),
  gaussian: () => new nn.GaussianNLLLoss(),
  gaussian_full: () => new nn.GaussianNLLLoss({ full: true, reduction: 'sum' }),
  hinge: () => new nn.HingeEmbeddingLoss(0.5),
  margin_ranking: () => new nn.MarginRankingLoss(0.2),
  cosine_embedding: () => new nn.CosineEmbeddingLoss(0.1),
  multilabel_margin: () => new nn.MultiLabelMarginLoss(),
  soft_margin: () => new nn.SoftMarginLoss(),
  multilabel_soft_margin: (w) => new nn.MultiLabelSoftMarginLoss(w('weight')),
  multi_margin: (w) => new nn.MultiMarginLoss(2, 0.5, w('weight')),
  triplet: () => new nn.TripletMarginLoss(0.5, 1.0, { swap: true }),
  triplet_distance: () => new nn.TripletMarginWithDistanceLoss({ swap: true }),
  ctc: () => new nn.CTCLoss(),
  ctc_sum_zero_inf: () => new nn.CTCLoss(0, 'sum', true),
  nll2d: () => new nn.NLLLoss2d(),
  pairwise_distance: () => new nn.PairwiseDistance(1.0, { keepdim: true }),
  cosine_similarity: () => new nn.CosineSimilarity(0),
  maxunpool1d: () => new nn.MaxUnpool1d(2),
  maxunpool2d: () => new nn.MaxUnpool2d(2, 2),
  maxunpool3d: () => new nn.MaxUnpool3d(2, 1, 0),
  embedding: () => new nn.Embedding(10, 3, 2),
  embedding_max_norm: () => new nn.Embedding(10, 3, { maxNorm: 1.0, scaleGradByFreq: true }),
  embedding_bag_sum: () => new nn.EmbeddingBag(10, 3, { mode: 'sum' }),
  embedding_bag_max_2d: () => new nn.EmbeddingBag(10, 3, { mode: 'max' }),
  embedding_bag_weights: () => new nn.EmbeddingBag(10, 3, { mode: 'sum', paddingIdx: 1 }),
  bilinear: () => new nn.Bilinear(3, 4, 2),
  rnn_tanh: () => new nn.RNN(4, 5),
  rnn_relu_2layer_bi: () => new nn.RNN(4, 5, 2, 'relu', { bidirectional: true }),
  gru_batch_first: () => new nn.GRU(4, 5, 2, { batchFirst: true }),
  gru_unbatched_no_bias: () => new nn.GRU(4, 3, { bias: false }),
  lstm: () => new nn.LSTM(4, 5),
  lstm_proj_bi: () => new nn.LSTM(4, 6, 2, { bidirectional: true, projSize: 3 }),
  lstm_unbatched_batch_first: () => new nn.LSTM(3, 4, { batchFirst: true }),
  rnn_cell: () => new nn.RNNCell(4, 5),
  rnn_cell_relu_unbatched: () => new nn.RNNCell(4, 5, false, 'relu'),
  lstm_cell: () => new nn.LSTMCell(4, 5),
  gru_cell: () => new nn.GRUCell(4, 5),
};

let dir: string;
let ref: Fixtures;
let reprs: Record<string, string>;

beforeAll(() => {
  dir = tempDir('nn-parity');
  runReference('nn_layers.py', [dir]);
  ref = readFixtures(dir);
  reprs = JSON.parse(fs.readFileSync(`${dir}/reprs.json`, 'utf8')) as Record<string, string>;
}, 300_000);
afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

it('fixtures round-trip through Python unchanged (float32, float64, int64; scalar, empty, non-contiguous)', () => {
  const sent: Fixtures = {
    f32: torch.randn([3, 4]).t(),
    f64: torch.randn([2, 1, 3], { dtype: 'float64' }),
    i64: torch.tensor(new BigInt64Array([-(2n ** 62n), -1n, 0n, 7n, 2n ** 62n + 1n])),
    'a/scalar': torch.tensor(2.5),
    empty: torch.zeros([2, 0]),
  };
  const rt = tempDir('fixtures');
  try {
    writeFixtures(`${rt}/in`, sent);
    runReference('tensors.py', [`${rt}/in`, `${rt}/out`]);
    const back = readFixtures(`${rt}/out`);
    expect(Object.keys(back)).toEqual(Object.keys(sent));
    for (const [k, t] of Object.entries(sent)) {
      expect([...back[k].shape], k).toEqual([...t.shape]);
      expect(back[k].dtype, k).toBe(t.dtype);
      if (t.dtype === 'int64') expect(back[k].toTypedArray(), k).toEqual(t.toTypedArray());
      expect(torch.equal(back[k], t), k).toBe(true);
    }
  } finally {
    fs.rmSync(rt, { recursive: true, force: true });
  }
});

it('covers every case of the reference script', () => {
  const cases = new Set(Object.keys(ref).map((k) => k.split('/')[0]));
  expect([...cases].sort()).toEqual([...Object.keys(LAYERS), ...Object.keys(LOSSES), ...Object.keys(MULTI)].sort());
});

/** Loads PyTorch's state dict (strict) after checking the keys are the same, in the same order. */
function loadReferenceState(m: nn.Module, f: Fixtures): void {
  const state = under(f, 'state/');
  expect(Object.keys(m.stateDict())).toEqual(Object.keys(state));
  expect(m.loadStateDict(state)).toEqual({ missingKeys: [], unexpectedKeys: [] });
}

/** Compares each tensor of `actual` with `expected` under the same names (int64: exactly). */
function compareAll(actual: [string, Tensor | null][], expected: Fixtures, what: string): void {
  expect(actual.map(([k]) => k).sort(), `${what} names`).toEqual(Object.keys(expected).sort());
  for (const [k, t] of actual) {
    const e = expected[k];
    if (e.dtype === 'int64')
      expect(t && torch.equal(t, e), `${what} ${k}: ${t?.toString()} vs ${e.toString()}`).toBe(true);
    else expectClose(t, e, TOL[e.dtype], `${what} ${k}`);
  }
}

describe('layers', () => {
  it.each(Object.keys(LAYERS))('%s', (name) => {
    const f = under(ref, `${name}/`);
    const spec = LAYERS[name];
    const m = spec.make().train(spec.train);
    // The module prints as PyTorch prints it (extraRepr).
    expect(m.toString()).toBe(reprs[name]);
    loadReferenceState(m, f);
    const passes = Object.keys(f).filter((k) => /^x\d+$/.test(k)).length;
    expect(passes).toBeGreaterThan(0);
    let y: Tensor | null = null;
    let x: Tensor | null = null;
    for (let i = 0; i < passes; i++) {
      x = f[`x${i}`].requiresGrad_(true);
      y = (m as nn.Module & { forward(x: Tensor): Tensor }).forward(x);
      expectClose(y, f[`out${i}`], TOL[f[`out${i}`].dtype], `output of pass ${i}`);
    }
    y!.mul(f.proj).sum().backward();
    const tol = TOL[f.grad_x.dtype];
    expectClose(x!.grad, f.grad_x, tol, 'input gradient');
    compareAll(
      m.namedParameters().map(([k, p]) => [k, p.grad]),
      under(f, 'grad/'),
      'gradient of',
    );
    compareAll(m.namedBuffers(), under(f, 'after/'), 'buffer');
  });
});

describe('losses', () => {
  it.each(Object.keys(LOSSES))('%s', (name) => {
    const f = under(ref, `${name}/`);
    const m = LOSSES[name](torch.onesLike(f.weight));
    loadReferenceState(m, f);
    const x = f.x0.requiresGrad_(true);
    const y = m.forward(x, f.target);
    const tol = TOL[f.out0.dtype];
    expectClose(y, f.out0, tol, 'loss');
    y.mul(f.proj).sum().backward();
    expectClose(x.grad, f.grad_x, tol, 'input gradient');
  });
});

describe('modules of several inputs', () => {
  it.each(Object.keys(MULTI))('%s', (name) => {
    const f = under(ref, `${name}/`);
    const state = under(f, 'state/');
    const m = MULTI[name]((key) => torch.onesLike(state[key])) as Multi;
    expect(m.toString()).toBe(reprs[name]);
    loadReferenceState(m, f);
    const inputs = under(f, 'in/');
    const grads = under(f, 'grad_in/');
    const xs = Object.keys(inputs).map((i) => (grads[i] ? inputs[i].requiresGrad_(true) : inputs[i]));
    const y = flat(m.forward(...xs) as Tensor | Outputs);
    expectClose(y, f.out0, EXACT, 'output');
    y.mul(f.proj).sum().backward();
    for (const i of Object.keys(grads)) expectClose(xs[Number(i)].grad, grads[i], EXACT, `gradient of input ${i}`);
    const paramGrads = under(f, 'grad/');
    compareAll(
      m.namedParameters().map(([k, p]) => [k, p.grad]),
      paramGrads,
      'gradient of',
    );
    // Not vacuous: something has a gradient.
    expect(Object.keys(grads).length + Object.keys(paramGrads).length).toBeGreaterThan(0);
  });
});

describe('Dropout in training mode', () => {
  it.each([0.1, 0.3, 0.5, 0.8])('p = %s zeroes a fraction ~p and scales the rest by 1/(1-p)', (p) => {
    torch.manualSeed(123);
    const n = 200_000;
    const x = torch.ones([n]).requiresGrad_(true);
    const y = new nn.Dropout(p).forward(x);
    const zeroed = (y.eq(0).sum().item() as number) / n;
    // 5 standard deviations of a binomial fraction.
    expect(Math.abs(zeroed - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
    // Every element is 0 or 1/(1-p): setting the zeros to the scale gives a constant.
    const scale = 1 / (1 - p);
    const full = torch.fullLike(y, scale);
    expect(torch.allclose(y.detach().where(y.ne(0), full), full, { rtol: 1e-6, atol: 0 })).toBe(true);
    // The gradient is the same mask times the same scale.
    y.sum().backward();
    expect(torch.equal(x.grad!, y.detach())).toBe(true);
  });

  it('p = 0 is the identity and p = 1 zeroes everything; eval mode is the identity', () => {
    const x = torch.randn([4, 5]);
    expect(torch.equal(new nn.Dropout(0).forward(x), x)).toBe(true);
    expect(torch.equal(new nn.Dropout(1).forward(x), torch.zerosLike(x))).toBe(true);
    expect(torch.equal(new nn.Dropout(0.5).eval().forward(x), x)).toBe(true);
  });

  it('differs between calls (a fresh mask each time)', () => {
    const d = new nn.Dropout(0.5);
    const x = torch.ones([1000]);
    expect(torch.equal(d.forward(x), d.forward(x))).toBe(false);
  });
});
