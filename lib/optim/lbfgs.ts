import type { WithOptions } from '../torch/args';
/**
 * L-BFGS (`torch.optim.LBFGS`), ported from torch/optim/lbfgs.py line for line. The step
 * calls the closure several times, so it runs here; the vector work between calls (the flat
 * gradient, the two-loop recursion over the history, moving the parameters) is one native
 * call each. PyTorch mixes Python floats and 0-dim tensors in the line search's scalar
 * arithmetic; `Num` keeps the same mix, with the same operations on each, so that the
 * results equal PyTorch's bit for bit.
 */
import { N } from '../native';
import type { Parameter } from '../nn/parameter';
import { enableGrad, noGrad } from '../torch/autograd';
import { checkInt, checkNumber, rangeError, TorchError, typeError } from '../torch/errors';
import { tidy } from '../torch/memory';
import { _wrap as wrap, Tensor } from '../torch/tensor';
import { type Closure, type Hyper, Optimizer, optimizerDefaults, type Params, type StateValue } from './optimizer';

export interface LBFGSOptions {
  /** Learning rate (default 1); also PyTorch's second positional argument. */
  lr?: number;
  /** Iterations per `step()` (default 20). */
  maxIter?: number;
  /** Closure evaluations per `step()` (default maxIter * 5 / 4, rounded down). */
  maxEval?: number | null;
  /** Stop when the largest gradient entry is at most this (default 1e-7). */
  toleranceGrad?: number;
  /** Stop when the loss or the parameters change less than this (default 1e-9). */
  toleranceChange?: number;
  /** Updates kept to approximate the inverse Hessian (default 100). */
  historySize?: number;
  /** 'strong_wolfe' for a line search, or null (default: a fixed step of `lr`). */
  lineSearchFn?: 'strong_wolfe' | null;
}

// ---- scalars as PyTorch's lbfgs.py has them: Python floats or 0-dim tensors -------------------

type Num = number | Tensor;
const isT = (x: Num): x is Tensor => x instanceof Tensor;
const add = (a: Num, b: Num): Num => (isT(a) ? a.add(b) : isT(b) ? b.add(a) : a + b);
const sub = (a: Num, b: Num): Num => (isT(a) ? a.sub(b) : isT(b) ? b.rsub(a) : a - b);
const mul = (a: Num, b: Num): Num => (isT(a) ? a.mul(b) : isT(b) ? b.mul(a) : a * b);
/** Python's `a / b`; `float / tensor` is `tensor.reciprocal() * float` there. */
function div(a: Num, b: Num): Num {
  if (isT(a)) return a.div(b);
  if (isT(b)) return b.reciprocal().mul(a);
  if (b === 0) throw new TorchError('L-BFGS: float division by zero');
  return a / b;
}
const abs = (a: Num): Num => (isT(a) ? a.abs() : Math.abs(a));
const truth = (t: Tensor): boolean => t.item() as boolean;
const lt = (a: Num, b: Num): boolean => (isT(a) ? truth(a.lt(b)) : isT(b) ? truth(b.gt(a)) : a < b);
const le = (a: Num, b: Num): boolean => (isT(a) ? truth(a.le(b)) : isT(b) ? truth(b.ge(a)) : a <= b);
const gt = (a: Num, b: Num): boolean => lt(b, a);
const ge = (a: Num, b: Num): boolean => le(b, a);
/** Python's `min(a, b)` and `max(a, b)`: the first unless the second is strictly smaller (larger). */
const pmin = (a: Num, b: Num): Num => (lt(b, a) ? b : a);
const pmax = (a: Num, b: Num): Num => (gt(b, a) ? b : a);
/** Python's `float(x)`. */
const float = (x: Num): number => (isT(x) ? (x.item() as number) : x);

function cubicInterpolate(x1: Num, f1: Num, g1: Num, x2: Num, f2: Num, g2: Num, bounds?: [Num, Num]): Num {
  const [xminBound, xmaxBound] = bounds ?? (le(x1, x2) ? [x1, x2] : [x2, x1]);
  const d1 = sub(add(g1, g2), div(mul(3, sub(f1, f2)), sub(x1, x2)));
  const d2Square = sub(isT(d1) ? d1.pow(2) : d1 * d1, mul(g1, g2));
  if (ge(d2Square, 0)) {
    if (!isT(d2Square)) throw new TorchError('L-BFGS: the interpolation needs tensor directional derivatives');
    const d2 = d2Square.sqrt();
    const minPos = le(x1, x2)
      ? sub(x2, mul(sub(x2, x1), div(sub(add(g2, d2), d1), add(sub(g2, g1), mul(2, d2)))))
      : sub(x1, mul(sub(x1, x2), div(sub(add(g1, d2), d1), add(sub(g1, g2), mul(2, d2)))));
    return pmin(pmax(minPos, xminBound), xmaxBound);
  }
  return div(add(xminBound, xmaxBound), 2.0);
}

type Evaluate = (t: Num) => [number, Tensor];

/** `_strong_wolfe` with PyTorch's defaults (c1 = 1e-4, c2 = 0.9, tolerance_change = 1e-9). */
function strongWolfe(
  obj: Evaluate,
  t0: Num,
  d: Tensor,
  f: number,
  g0: Tensor,
  gtd: Tensor,
  maxLs: number,
): [number, Tensor, Num, number] {
  const c1 = 1e-4;
  const c2 = 0.9;
  const toleranceChange = 1e-9;
  let t = t0;
  const dNorm = d.abs().max();
  const g = g0.clone();
  let [fNew, gNew] = obj(t);
  let lsFuncEvals = 1;
  let gtdNew: Num = gNew.dot(d);
  let [tPrev, fPrev, gPrev, gtdPrev]: [Num, number, Tensor, Num] = [0, f, g, gtd];
  let done = false;
  let lsIter = 0;
  let bracket: Num[] = [];
  let bracketF: number[] = [];
  let bracketG: Tensor[] = [];
  let bracketGtd: Num[] = [];
  const armijoFails = (): boolean => gt(fNew, add(f, mul(mul(c1, t), gtd)));
  while (lsIter < maxLs) {
    if (armijoFails() || (lsIter > 1 && fNew >= fPrev)) {
      [bracket, bracketF, bracketG, bracketGtd] = [
        [tPrev, t],
        [fPrev, fNew],
        [gPrev, gNew.clone()],
        [gtdPrev, gtdNew],
      ];
      break;
    }
    if (le(abs(gtdNew), mul(-c2, gtd))) {
      [bracket, bracketF, bracketG] = [[t], [fNew], [gNew]];
      done = true;
      break;
    }
    if (ge(gtdNew, 0)) {
      [bracket, bracketF, bracketG, bracketGtd] = [
        [tPrev, t],
        [fPrev, fNew],
        [gPrev, gNew.clone()],
        [gtdPrev, gtdNew],
      ];
      break;
    }
    const minStep = add(t, mul(0.01, sub(t, tPrev)));
    const maxStep = mul(t, 10);
    const tmp = t;
    t = cubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, [minStep, maxStep]);
    tPrev = tmp;
    fPrev = fNew;
    gPrev = gNew.clone();
    gtdPrev = gtdNew;
    [fNew, gNew] = obj(t);
    lsFuncEvals += 1;
    gtdNew = gNew.dot(d);
    lsIter += 1;
  }
  // (PyTorch fails here when maxLs < 0, a maxEval below 2 with a line search; this brackets instead.)
  if (lsIter === maxLs || bracket.length === 0)
    [bracket, bracketF, bracketG] = [
      [0, t],
      [f, fNew],
      [g, gNew],
    ];
  let insufProgress = false;
  let [lowPos, highPos] = bracketF[0] <= bracketF[bracketF.length - 1] ? [0, 1] : [1, 0];
  while (!done && lsIter < maxLs) {
    if (lt(mul(abs(sub(bracket[1], bracket[0])), dNorm), toleranceChange)) break;
    t = cubicInterpolate(bracket[0], bracketF[0], bracketGtd[0], bracket[1], bracketF[1], bracketGtd[1]);
    const bmax = pmax(bracket[0], bracket[1]);
    const bmin = pmin(bracket[0], bracket[1]);
    const eps = mul(0.1, sub(bmax, bmin));
    if (lt(pmin(sub(bmax, t), sub(t, bmin)), eps)) {
      if (insufProgress || ge(t, bmax) || le(t, bmin)) {
        t = lt(abs(sub(t, bmax)), abs(sub(t, bmin))) ? sub(bmax, eps) : add(bmin, eps);
        insufProgress = false;
      } else {
        insufProgress = true;
      }
    } else {
      insufProgress = false;
    }
    [fNew, gNew] = obj(t);
    lsFuncEvals += 1;
    gtdNew = gNew.dot(d);
    lsIter += 1;
    if (armijoFails() || fNew >= bracketF[lowPos]) {
      bracket[highPos] = t;
      bracketF[highPos] = fNew;
      bracketG[highPos] = gNew.clone();
      bracketGtd[highPos] = gtdNew;
      [lowPos, highPos] = bracketF[0] <= bracketF[1] ? [0, 1] : [1, 0];
    } else {
      if (le(abs(gtdNew), mul(-c2, gtd))) {
        done = true;
      } else if (ge(mul(gtdNew, sub(bracket[highPos], bracket[lowPos])), 0)) {
        bracket[highPos] = bracket[lowPos];
        bracketF[highPos] = bracketF[lowPos];
        bracketG[highPos] = bracketG[lowPos];
        bracketGtd[highPos] = bracketGtd[lowPos];
      }
      bracket[lowPos] = t;
      bracketF[lowPos] = fNew;
      bracketG[lowPos] = gNew.clone();
      bracketGtd[lowPos] = gtdNew;
    }
  }
  return [bracketF[lowPos], bracketG[lowPos], bracket[lowPos], lsFuncEvals];
}

/** A piece of the L-BFGS state that a step after the first needs (a loaded state dict may lack it). */
function need<T>(v: T | undefined, key: string): T {
  if (v === undefined) throw new TorchError(`LBFGS: the state has n_iter > 0 but no ${key}`);
  return v;
}

/** Every tensor in a state value. */
function tensors(v: StateValue | undefined, into: Set<Tensor>): Set<Tensor> {
  if (v instanceof Tensor) into.add(v);
  else if (Array.isArray(v)) for (const x of v) tensors(x, into);
  return into;
}

/** PyTorch's positional arguments after params, in its order. */
const LBFGS_POSITIONAL = [
  'lr',
  'maxIter',
  'maxEval',
  'toleranceGrad',
  'toleranceChange',
  'historySize',
  'lineSearchFn',
] as const;

/**
 * L-BFGS (`torch.optim.LBFGS`): `optimizer.step(closure)` with a closure that clears the
 * gradients, computes the loss, calls `backward()` and returns the loss. One parameter group
 * only, as in PyTorch; all parameters on one device. Its state (the history of updates) is
 * kept under the first parameter, as PyTorch keeps it, so `stateDict()` matches PyTorch's.
 * Tensors the closure makes are freed when `step` returns, except the first loss, which
 * `step` returns (keep with `torch.keep` what else you need).
 */
export class LBFGS extends Optimizer {
  protected override readonly scalarStateKeys: readonly string[] = [];

  constructor(
    params: Params,
    ...args: WithOptions<
      [
        lr: number,
        maxIter: number,
        maxEval: number | null,
        toleranceGrad: number,
        toleranceChange: number,
        historySize: number,
        lineSearchFn: 'strong_wolfe' | null,
      ],
      LBFGSOptions
    >
  ) {
    const defaults = {
      lr: 1,
      maxIter: 20,
      maxEval: null as number | null,
      toleranceGrad: 1e-7,
      toleranceChange: 1e-9,
      historySize: 100,
      lineSearchFn: null as string | null,
    };
    const d = optimizerDefaults('LBFGS', defaults, args, LBFGS_POSITIONAL);
    if (d.maxEval === null) d.maxEval = Math.floor((checkInt(d.maxIter, 'maxIter', 0) * 5) / 4);
    super(params, d);
    if (this.paramGroups.length !== 1) {
      throw new TorchError("LBFGS doesn't support per-parameter options (parameter groups)");
    }
  }

  protected override checkGroup(g: Hyper): void {
    super.checkGroup(g);
    checkInt(g.maxIter, 'maxIter', 0);
    checkInt(g.maxEval, 'maxEval', 0);
    checkNumber(g.toleranceGrad, 'toleranceGrad');
    checkNumber(g.toleranceChange, 'toleranceChange');
    checkInt(g.historySize, 'historySize', 1);
    if (g.lineSearchFn !== null && g.lineSearchFn !== 'strong_wolfe') {
      throw rangeError("'strong_wolfe' or null", 'lineSearchFn', g.lineSearchFn);
    }
  }

  /** `p.add_(update[slice], alpha=t)` for every parameter (PyTorch's `_add_grad`). */
  private addGrad(params: Parameter[], t: Num, update: Tensor): void {
    N.lbfgsAddGrad(
      params.map((p) => p.handle),
      float(t),
      update.handle,
    );
  }

  private flatGrad(params: Parameter[]): Tensor {
    return wrap(N.lbfgsFlatGrad(params.map((p) => p.handle)));
  }

  /** Performs one L-BFGS step (up to `maxIter` iterations); returns the closure's first loss. */
  step(closure: Closure): Tensor | number {
    if (typeof closure !== 'function')
      throw typeError('a function (L-BFGS re-evaluates the model several times per step)', 'closure', closure);
    const group = this.paramGroups[0];
    const params = group.params;
    const lr = group.lr;
    const maxIter = group.maxIter as number;
    const maxEval = group.maxEval as number;
    const toleranceGrad = group.toleranceGrad as number;
    const toleranceChange = group.toleranceChange as number;
    const lineSearch = group.lineSearchFn === 'strong_wolfe';
    const historySize = group.historySize as number;
    const evaluate = (): Tensor | number => enableGrad(closure);
    const state = this.state.get(params[0]) ?? {};
    const before = new Set<Tensor>();
    for (const v of Object.values(state)) tensors(v, before);
    return tidy(() =>
      noGrad(() => {
        state.func_evals = ((state.func_evals as number | undefined) ?? 0) as number;
        state.n_iter = ((state.n_iter as number | undefined) ?? 0) as number;
        const origLoss = evaluate();
        let loss = float(origLoss);
        let currentEvals = 1;
        state.func_evals += 1;
        let flatGrad = this.flatGrad(params);
        let optCond = le(flatGrad.abs().max(), toleranceGrad);
        if (optCond) {
          this.store(params[0], state, before);
          return origLoss;
        }
        // Loaded state may hold null where PyTorch has None.
        const held = <T>(key: string) => (state[key] ?? undefined) as T | undefined;
        let d = held<Tensor>('d');
        let t = held<Num>('t');
        let oldDirs = held<Tensor[]>('old_dirs');
        let oldStps = held<Tensor[]>('old_stps');
        let ro = held<Tensor[]>('ro');
        let hDiag = held<Num>('H_diag');
        let prevFlatGrad = held<Tensor>('prev_flat_grad');
        let prevLoss = held<number>('prev_loss');
        let nIter = 0;
        while (nIter < maxIter) {
          nIter += 1;
          state.n_iter = (state.n_iter as number) + 1;
          let dir: Tensor;
          if (state.n_iter === 1) {
            dir = flatGrad.neg();
            oldDirs = [];
            oldStps = [];
            ro = [];
            hDiag = 1;
          } else {
            const [dirs, stps, rs] = [need(oldDirs, 'old_dirs'), need(oldStps, 'old_stps'), need(ro, 'ro')];
            const y = flatGrad.sub(need(prevFlatGrad, 'prev_flat_grad'));
            const s = need(d, 'd').mul(need(t, 't'));
            const ys = y.dot(s);
            if (gt(ys, 1e-10)) {
              if (dirs.length === historySize) {
                dirs.shift();
                stps.shift();
                rs.shift();
              }
              dirs.push(y);
              stps.push(s);
              rs.push(div(1.0, ys) as Tensor);
              hDiag = ys.div(y.dot(y));
            }
            if (!('al' in state)) state.al = new Array<null>(historySize).fill(null);
            const al = state.al as (Tensor | null)[];
            const h = need(hDiag, 'H_diag');
            const out = N.lbfgsDirection(
              flatGrad.handle,
              dirs.map((x) => x.handle),
              stps.map((x) => x.handle),
              rs.map((x) => x.handle),
              isT(h) ? h.handle : -1,
              isT(h) ? 0 : h,
            ) as number[];
            dir = wrap(out[0]);
            out.slice(1).forEach((handle, i) => {
              al[i] = wrap(handle);
            });
          }
          d = dir;
          if (prevFlatGrad === undefined) prevFlatGrad = flatGrad.clone();
          else prevFlatGrad.copy_(flatGrad);
          prevLoss = loss;
          const step: Num = state.n_iter === 1 ? mul(pmin(1.0, div(1.0, flatGrad.abs().sum())), lr) : lr;
          t = step;
          const gtd = flatGrad.dot(dir);
          if (gt(gtd, -toleranceChange)) break;
          let lsFuncEvals = 0;
          if (lineSearch) {
            const xInit = (N.lbfgsCloneParams(params.map((p) => p.handle)) as number[]).map(wrap);
            const obj: Evaluate = (at) => {
              this.addGrad(params, at, dir);
              const l = float(evaluate());
              const g = this.flatGrad(params);
              N.lbfgsSetParams(
                params.map((p) => p.handle),
                xInit.map((x) => x.handle),
              );
              return [l, g];
            };
            let found: Num;
            [loss, flatGrad, found, lsFuncEvals] = strongWolfe(
              obj,
              step,
              dir,
              loss,
              flatGrad,
              gtd,
              maxEval - currentEvals,
            );
            t = found;
            this.addGrad(params, found, dir);
            optCond = le(flatGrad.abs().max(), toleranceGrad);
          } else {
            this.addGrad(params, step, dir);
            if (nIter !== maxIter) {
              loss = float(evaluate());
              flatGrad = this.flatGrad(params);
              optCond = le(flatGrad.abs().max(), toleranceGrad);
              lsFuncEvals = 1;
            }
          }
          currentEvals += lsFuncEvals;
          state.func_evals = (state.func_evals as number) + lsFuncEvals;
          if (nIter === maxIter) break;
          if (currentEvals >= maxEval) break;
          if (optCond) break;
          if (le(dir.mul(t).abs().max(), toleranceChange)) break;
          if (Math.abs(loss - prevLoss) < toleranceChange) break;
        }
        Object.assign(state, {
          d: d ?? null,
          t: t ?? null,
          old_dirs: oldDirs ?? null,
          old_stps: oldStps ?? null,
          ro: ro ?? null,
          H_diag: hDiag ?? null,
          prev_flat_grad: prevFlatGrad ?? null,
          prev_loss: prevLoss ?? null,
        });
        this.store(params[0], state, before);
        return origLoss;
      }),
    );
  }

  /** Stores the state (its tensors kept) and frees the tensors of the previous state it no longer holds. */
  private store(p: Parameter, state: Record<string, StateValue>, before: Set<Tensor>): void {
    for (const [k, v] of Object.entries(state)) this.setState(p, k, v);
    const now = new Set<Tensor>();
    for (const v of Object.values(state)) tensors(v, now);
    for (const t of before) if (!now.has(t)) t.dispose();
  }
}
