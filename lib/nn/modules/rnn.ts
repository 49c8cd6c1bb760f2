/**
 * torch/nn/modules/rnn.py: RNN, LSTM and GRU (multi-layer, bidirectional, batchFirst, LSTM's
 * projSize) on libtorch's fused `rnn_tanh`/`rnn_relu`/`lstm`/`gru` ops, and their cells.
 * Parameters are PyTorch's, in PyTorch's order (`weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`,
 * `bias_hh_l0`, `weight_hr_l0`, then `..._reverse`, then the next layer). Packed sequences
 * are not supported.
 */
import { bindArgs, type WithOptions } from '../../torch/args';
import { zeros } from '../../torch/creation';
import { checkBool, checkInt, checkNumber, rangeError, TorchError, typeError } from '../../torch/errors';
import * as G from '../../torch/generated/functions';
import type { Tensor } from '../../torch/tensor';
import * as init from '../init';
import { Module, pyFloat } from '../module';
import type { Parameter } from '../parameter';
import { emptyParameter, type FactoryOptions } from './factory';

type Mode = 'RNN_TANH' | 'RNN_RELU' | 'LSTM' | 'GRU';

export interface RNNOptions extends FactoryOptions {
  numLayers?: number;
  bias?: boolean;
  batchFirst?: boolean;
  dropout?: number;
  bidirectional?: boolean;
}
export interface LSTMOptions extends RNNOptions {
  projSize?: number;
}
export interface ElmanRNNOptions extends RNNOptions {
  nonlinearity?: 'tanh' | 'relu';
}

/** PyTorch's `RNNBase`: the flat weights, their initialisation and the repr. */
export abstract class RNNBase extends Module {
  readonly mode: Mode;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  readonly projSize: number;
  /** The parameter names in libtorch's flat-weights order. */
  private readonly flatWeightsNames: string[] = [];

  constructor(mode: Mode, inputSize: number, hiddenSize: number, o: LSTMOptions) {
    super();
    this.mode = mode;
    this.inputSize = checkInt(inputSize, 'inputSize', 1);
    this.hiddenSize = checkInt(hiddenSize, 'hiddenSize', 1);
    this.numLayers = checkInt(o.numLayers ?? 1, 'numLayers', 1);
    this.bias = checkBool(o.bias ?? true, 'bias');
    this.batchFirst = checkBool(o.batchFirst ?? false, 'batchFirst');
    const dropout = checkNumber(o.dropout ?? 0, 'dropout');
    if (!(dropout >= 0 && dropout <= 1)) throw rangeError('a dropout probability in [0, 1]', 'dropout', dropout);
    this.dropout = dropout;
    this.bidirectional = checkBool(o.bidirectional ?? false, 'bidirectional');
    this.projSize = checkInt(o.projSize ?? 0, 'projSize', 0);
    if (this.projSize >= hiddenSize)
      throw rangeError(`a projSize smaller than hiddenSize (${hiddenSize})`, 'projSize', this.projSize);
    const gateSize = (mode === 'LSTM' ? 4 : mode === 'GRU' ? 3 : 1) * hiddenSize;
    const directions = this.bidirectional ? 2 : 1;
    const realHidden = this.projSize > 0 ? this.projSize : hiddenSize;
    for (let layer = 0; layer < this.numLayers; layer++) {
      for (let direction = 0; direction < directions; direction++) {
        const layerInput = layer === 0 ? inputSize : realHidden * directions;
        const suffix = `_l${layer}${direction === 1 ? '_reverse' : ''}`;
        const params: [string, number[]][] = [
          [`weight_ih${suffix}`, [gateSize, layerInput]],
          [`weight_hh${suffix}`, [gateSize, realHidden]],
        ];
        if (this.bias) params.push([`bias_ih${suffix}`, [gateSize]], [`bias_hh${suffix}`, [gateSize]]);
        if (this.projSize > 0) params.push([`weight_hr${suffix}`, [this.projSize, hiddenSize]]);
        for (const [name, shape] of params) {
          this.registerParameter(name, emptyParameter(shape, o));
          this.flatWeightsNames.push(name);
        }
      }
    }
    this.resetParameters();
  }

  /** PyTorch's: every parameter uniform(±1/sqrt(hiddenSize)), in registration order. */
  resetParameters(): void {
    const stdv = 1 / Math.sqrt(this.hiddenSize);
    for (const w of this.parameters()) init.uniform_(w, -stdv, stdv);
  }

  /** The weights in libtorch's order (PyTorch's `_flat_weights`). */
  protected flatWeights(): Parameter[] {
    return this.flatWeightsNames.map((n) => (this as unknown as Record<string, Parameter>)[n]);
  }

  /** Checks `input`, adds the batch dimension to unbatched input, returns [input, batched, batch size]. */
  protected prepare(input: Tensor): [Tensor, boolean, number] {
    const name = this.mode === 'LSTM' ? 'LSTM' : this.mode === 'GRU' ? 'GRU' : 'RNN';
    const d = input.dim();
    if (d !== 2 && d !== 3) throw new TorchError(`${name}: Expected input to be 2D or 3D, got ${d}D instead`);
    if (input.size(-1) !== this.inputSize)
      throw new TorchError(
        `input.size(-1) must be equal to input_size. Expected ${this.inputSize}, got ${input.size(-1)}`,
      );
    const batched = d === 3;
    const x = batched ? input : input.unsqueeze(this.batchFirst ? 0 : 1);
    return [x, batched, x.size(this.batchFirst ? 0 : 1)];
  }

  protected zerosState(batch: number, size: number, like: Tensor): Tensor {
    return zeros([this.numLayers * (this.bidirectional ? 2 : 1), batch, size], {
      dtype: like.dtype,
      device: like.device,
    });
  }

  /** A given hidden state: 3-d for batched input, 2-d (batch dimension added) for unbatched. */
  protected hidden(h: Tensor, batched: boolean): Tensor {
    if (batched ? h.dim() !== 3 : h.dim() !== 2)
      throw new TorchError(
        `For ${batched ? 'batched 3-D' : 'unbatched 2-D'} input, hx should also be ${batched ? 3 : 2}-D but got ${h.dim()}-D tensor`,
      );
    return batched ? h : h.unsqueeze(1);
  }

  /** A single-state recurrent op (rnn_tanh, rnn_relu, gru) run as PyTorch's RNN/GRU forward run it. */
  protected runSingleState(op: typeof G.gru, input: Tensor, hx: Tensor | null): [Tensor, Tensor] {
    const [x, batched, batch] = this.prepare(input);
    const h = hx === null ? this.zerosState(batch, this.hiddenSize, x) : this.hidden(hx, batched);
    const [out, hn] = op(
      x,
      h,
      this.flatWeights(),
      this.bias,
      this.numLayers,
      this.dropout,
      this.training,
      this.bidirectional,
      this.batchFirst,
    ) as [Tensor, Tensor];
    return batched ? [out, hn] : [out.squeeze(this.batchFirst ? 0 : 1), hn.squeeze(1)];
  }

  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (this.projSize !== 0) s += `, proj_size=${this.projSize}`;
    if (this.numLayers !== 1) s += `, num_layers=${this.numLayers}`;
    if (!this.bias) s += ', bias=False';
    if (this.batchFirst) s += ', batch_first=True';
    if (this.dropout !== 0) s += `, dropout=${pyFloat(this.dropout)}`;
    if (this.bidirectional) s += ', bidirectional=True';
    return s;
  }
}

const RNN_POSITIONAL = ['numLayers', 'nonlinearity', 'bias', 'batchFirst', 'dropout', 'bidirectional'] as const;
const GRU_POSITIONAL = ['numLayers', 'bias', 'batchFirst', 'dropout', 'bidirectional'] as const;
const LSTM_POSITIONAL = [...GRU_POSITIONAL, 'projSize'] as const;

/** Elman RNN with tanh or ReLU: `new nn.RNN(10, 20, 2)`; `forward(input, h0?)` returns [output, hN]. */
export class RNN extends RNNBase {
  readonly nonlinearity: 'tanh' | 'relu';
  constructor(
    inputSize: number,
    hiddenSize: number,
    ...args: WithOptions<
      [
        numLayers: number,
        nonlinearity: 'tanh' | 'relu',
        bias: boolean,
        batchFirst: boolean,
        dropout: number,
        bidirectional: boolean,
      ],
      ElmanRNNOptions
    >
  ) {
    const o = bindArgs<ElmanRNNOptions>(args, RNN_POSITIONAL, 'RNN', [...RNN_POSITIONAL, 'device', 'dtype']);
    const nl = o.nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu') throw rangeError("'tanh' or 'relu'", 'nonlinearity', nl);
    super(nl === 'tanh' ? 'RNN_TANH' : 'RNN_RELU', inputSize, hiddenSize, o);
    this.nonlinearity = nl;
  }
  // PyTorch's repr of an RNN does not show its nonlinearity (RNNBase.extra_repr).
  forward(input: Tensor, hx: Tensor | null = null): [Tensor, Tensor] {
    const op = (this.mode === 'RNN_TANH' ? G.rnnTanh : G.rnnRelu) as unknown as typeof G.gru;
    return this.runSingleState(op, input, hx);
  }
}

/** Gated recurrent unit layers: `forward(input, h0?)` returns [output, hN]. */
export class GRU extends RNNBase {
  constructor(
    inputSize: number,
    hiddenSize: number,
    ...args: WithOptions<
      [numLayers: number, bias: boolean, batchFirst: boolean, dropout: number, bidirectional: boolean],
      RNNOptions
    >
  ) {
    super(
      'GRU',
      inputSize,
      hiddenSize,
      bindArgs<RNNOptions>(args, GRU_POSITIONAL, 'GRU', [...GRU_POSITIONAL, 'device', 'dtype']),
    );
  }
  forward(input: Tensor, hx: Tensor | null = null): [Tensor, Tensor] {
    return this.runSingleState(G.gru, input, hx);
  }
}

/** Long short-term memory layers: `forward(input, [h0, c0]?)` returns [output, [hN, cN]]. */
export class LSTM extends RNNBase {
  constructor(
    inputSize: number,
    hiddenSize: number,
    ...args: WithOptions<
      [
        numLayers: number,
        bias: boolean,
        batchFirst: boolean,
        dropout: number,
        bidirectional: boolean,
        projSize: number,
      ],
      LSTMOptions
    >
  ) {
    super(
      'LSTM',
      inputSize,
      hiddenSize,
      bindArgs<LSTMOptions>(args, LSTM_POSITIONAL, 'LSTM', [...LSTM_POSITIONAL, 'device', 'dtype']),
    );
  }
  forward(input: Tensor, hx: readonly [Tensor, Tensor] | null = null): [Tensor, [Tensor, Tensor]] {
    const [x, batched, batch] = this.prepare(input);
    let state: [Tensor, Tensor];
    if (hx === null) {
      state = [
        this.zerosState(batch, this.projSize > 0 ? this.projSize : this.hiddenSize, x),
        this.zerosState(batch, this.hiddenSize, x),
      ];
    } else {
      if (!Array.isArray(hx) || hx.length !== 2) throw typeError('[h0, c0]', 'hx', hx);
      state = [this.hidden(hx[0], batched), this.hidden(hx[1], batched)];
    }
    const [out, h, c] = G.lstm(
      x,
      state,
      this.flatWeights(),
      this.bias,
      this.numLayers,
      this.dropout,
      this.training,
      this.bidirectional,
      this.batchFirst,
    ) as [Tensor, Tensor, Tensor];
    if (batched) return [out, [h, c]];
    return [out.squeeze(this.batchFirst ? 0 : 1), [h.squeeze(1), c.squeeze(1)]];
  }
}

/** PyTorch's `RNNCellBase`: `weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`. */
export abstract class RNNCellBase extends Module {
  weight_ih: Parameter;
  weight_hh: Parameter;
  bias_ih: Parameter | null;
  bias_hh: Parameter | null;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly bias: boolean;
  constructor(inputSize: number, hiddenSize: number, bias: boolean, chunks: number, o: FactoryOptions) {
    super();
    this.inputSize = checkInt(inputSize, 'inputSize', 0);
    this.hiddenSize = checkInt(hiddenSize, 'hiddenSize', 0);
    this.bias = checkBool(bias, 'bias');
    this.weight_ih = emptyParameter([chunks * hiddenSize, inputSize], o);
    this.weight_hh = emptyParameter([chunks * hiddenSize, hiddenSize], o);
    this.bias_ih = this.bias ? emptyParameter([chunks * hiddenSize], o) : null;
    this.bias_hh = this.bias ? emptyParameter([chunks * hiddenSize], o) : null;
    this.resetParameters();
  }
  /** PyTorch's: every parameter uniform(±1/sqrt(hiddenSize)). */
  resetParameters(): void {
    const stdv = this.hiddenSize > 0 ? 1 / Math.sqrt(this.hiddenSize) : 0;
    for (const w of this.parameters()) init.uniform_(w, -stdv, stdv);
  }
  /** Adds the batch dimension to unbatched input; checks ranks as PyTorch does. */
  protected batch(input: Tensor, hx: Tensor | null): [Tensor, boolean] {
    if (input.dim() !== 1 && input.dim() !== 2)
      throw new TorchError(`${this.constructor.name}: Expected input to be 1D or 2D, got ${input.dim()}D instead`);
    if (hx !== null && hx.dim() !== 1 && hx.dim() !== 2)
      throw new TorchError(`${this.constructor.name}: Expected hidden to be 1D or 2D, got ${hx.dim()}D instead`);
    const batched = input.dim() === 2;
    return [batched ? input : input.unsqueeze(0), batched];
  }
  protected zerosHidden(x: Tensor): Tensor {
    return zeros([x.size(0), this.hiddenSize], { dtype: x.dtype, device: x.device });
  }
  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (!this.bias) s += ', bias=False';
    const nl = (this as { nonlinearity?: string }).nonlinearity;
    if (nl !== undefined && nl !== 'tanh') s += `, nonlinearity=${nl}`;
    return s;
  }
}

type CellArgs = WithOptions<[bias: boolean], FactoryOptions & { bias?: boolean }>;
function cellOptions(args: readonly unknown[], where: string): FactoryOptions & { bias?: boolean } {
  return bindArgs<FactoryOptions & { bias: boolean }>(args, ['bias'], where, ['bias', 'device', 'dtype']);
}

/** One step of an Elman RNN: `forward(input, hx?)` returns h'. */
export class RNNCell extends RNNCellBase {
  readonly nonlinearity: 'tanh' | 'relu';
  constructor(
    inputSize: number,
    hiddenSize: number,
    ...args: WithOptions<
      [bias: boolean, nonlinearity: 'tanh' | 'relu'],
      FactoryOptions & { bias?: boolean; nonlinearity?: 'tanh' | 'relu' }
    >
  ) {
    const o = bindArgs<FactoryOptions & { bias: boolean; nonlinearity: 'tanh' | 'relu' }>(
      args,
      ['bias', 'nonlinearity'],
      'RNNCell',
      ['bias', 'nonlinearity', 'device', 'dtype'],
    );
    const nl = o.nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu') throw rangeError("'tanh' or 'relu'", 'nonlinearity', nl);
    super(inputSize, hiddenSize, o.bias ?? true, 1, o);
    this.nonlinearity = nl;
  }
  forward(input: Tensor, hx: Tensor | null = null): Tensor {
    const [x, batched] = this.batch(input, hx);
    const h = hx === null ? this.zerosHidden(x) : batched ? hx : hx.unsqueeze(0);
    const op = this.nonlinearity === 'tanh' ? G.rnnTanhCell : G.rnnReluCell;
    const r = op(x, h, this.weight_ih, this.weight_hh, this.bias_ih, this.bias_hh);
    return batched ? r : r.squeeze(0);
  }
}

/** One LSTM step: `forward(input, [h, c]?)` returns [h', c']. */
export class LSTMCell extends RNNCellBase {
  constructor(inputSize: number, hiddenSize: number, ...args: CellArgs) {
    const o = cellOptions(args, 'LSTMCell');
    super(inputSize, hiddenSize, o.bias ?? true, 4, o);
  }
  forward(input: Tensor, hx: readonly [Tensor, Tensor] | null = null): [Tensor, Tensor] {
    if (hx !== null && (!Array.isArray(hx) || hx.length !== 2)) throw typeError('[h, c]', 'hx', hx);
    const [x, batched] = this.batch(input, hx?.[0] ?? null);
    let state: [Tensor, Tensor];
    if (hx === null) state = [this.zerosHidden(x), this.zerosHidden(x)];
    else state = batched ? [hx[0], hx[1]] : [hx[0].unsqueeze(0), hx[1].unsqueeze(0)];
    const [h, c] = G.lstmCell(x, state, this.weight_ih, this.weight_hh, this.bias_ih, this.bias_hh) as [Tensor, Tensor];
    return batched ? [h, c] : [h.squeeze(0), c.squeeze(0)];
  }
}

/** One GRU step: `forward(input, hx?)` returns h'. */
export class GRUCell extends RNNCellBase {
  constructor(inputSize: number, hiddenSize: number, ...args: CellArgs) {
    const o = cellOptions(args, 'GRUCell');
    super(inputSize, hiddenSize, o.bias ?? true, 3, o);
  }
  forward(input: Tensor, hx: Tensor | null = null): Tensor {
    const [x, batched] = this.batch(input, hx);
    const h = hx === null ? this.zerosHidden(x) : batched ? hx : hx.unsqueeze(0);
    const r = G.gruCell(x, h, this.weight_ih, this.weight_hh, this.bias_ih, this.bias_hh);
    return batched ? r : r.squeeze(0);
  }
}
