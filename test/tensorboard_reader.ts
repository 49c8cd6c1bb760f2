// The real TensorBoard event reader (EventAccumulator from the `tensorboard` Python package,
// installed from the local wheels into .deps/tensorboard on first use), for the tests that
// check event files: test/tensorboard.test.ts and test/cli.test.ts.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '..');
const DEPS = path.join(REPO, '.deps', 'tensorboard');

// biome-ignore lint/complexity/noUselessStringRaw: Python source; raw keeps any backslash added to it as Python wrote it
const READER = String.raw`
import io, json, math, os, sys
import numpy as np
from tensorboard.backend.event_processing import event_accumulator as ea

def num(x):
    return x if math.isfinite(x) else repr(x)

def tf_bins():
    v, pos, neg = 1e-12, [], []
    while v < 1e20:
        pos.append(v); neg.append(-v); v *= 1.1
    return neg[::-1] + [0] + pos

def make_histogram(values, bins):  # torch.utils.tensorboard.summary.make_histogram
    values = np.asarray(values, dtype=float).reshape(-1)
    counts, limits = np.histogram(values, bins=tf_bins() if bins == 'tensorflow' else bins)
    cum = np.cumsum(np.greater(counts, 0))
    start, end = np.searchsorted(cum, [0, cum[-1] - 1], side='right')
    start, end = int(start), int(end) + 1
    counts = counts[start - 1:end] if start > 0 else np.concatenate([[0], counts[:end]])
    limits = limits[start:end + 1]
    return dict(min=float(values.min()), max=float(values.max()), num=len(values), sum=float(values.sum()),
                sum_squares=float(values.dot(values)), bucket_limit=[float(x) for x in limits],
                bucket=[float(x) for x in counts])

def image(img):
    out = dict(width=img.width, height=img.height)
    try:
        from PIL import Image
        im = Image.open(io.BytesIO(img.encoded_image_string))
        out.update(mode=im.mode, size=list(im.size), pixels=list(im.tobytes()))
    except ImportError:
        out.update(png=list(img.encoded_image_string[:8]))
    return out

acc = ea.EventAccumulator(sys.argv[1], size_guidance={ea.SCALARS: 0, ea.HISTOGRAMS: 0, ea.IMAGES: 0, ea.TENSORS: 0})
acc.Reload()
tags = acc.Tags()
out = dict(source=acc.GetSourceWriter(), tags={k: tags[k] for k in ('scalars', 'histograms', 'images')},
    scalars={t: [dict(step=e.step, value=num(e.value), wall_time=e.wall_time) for e in acc.Scalars(t)] for t in tags['scalars']},
    histograms={t: [dict(
        step=e.step, wall_time=e.wall_time, **{k: getattr(e.histogram_value, k) for k in ('min', 'max', 'num', 'sum', 'sum_squares', 'bucket_limit', 'bucket')}) for e in acc.Histograms(t)] for t in tags['histograms']},
    images={t: [dict(step=e.step, wall_time=e.wall_time, **image(e)) for e in acc.Images(t)] for t in tags['images']})
if len(sys.argv) > 2:
    with open(sys.argv[2]) as f:
        out['reference'] = {k: make_histogram(v['values'], v['bins']) for k, v in json.load(f).items()}
print(json.dumps(out))
`;

export interface ScalarEv {
  step: number;
  value: number | string;
  wall_time: number;
}
export interface HistoEv {
  step: number;
  wall_time: number;
  min: number;
  max: number;
  num: number;
  sum: number;
  sum_squares: number;
  bucket_limit: number[];
  bucket: number[];
}
export interface ImageEv {
  step: number;
  width: number;
  height: number;
  mode?: string;
  size?: number[];
  pixels?: number[];
  png?: number[];
}
export interface Read {
  source: string;
  tags: { scalars: string[]; histograms: string[]; images: string[] };
  scalars: Record<string, ScalarEv[]>;
  histograms: Record<string, HistoEv[]>;
  images: Record<string, ImageEv[]>;
  reference?: Record<string, Omit<HistoEv, 'step' | 'wall_time'>>;
}

let script = '';

/** Installs the reader once (beside its final folder, then moved in, so concurrent runs never see half an install). */
function ensureReader(): string {
  if (!fs.existsSync(path.join(DEPS, 'tensorboard', '__init__.py'))) {
    const staging = `${DEPS}.tmp-${process.pid}`;
    execFileSync('python3', ['-m', 'pip', 'install', '-q', '--retries', '0', '--target', staging, 'tensorboard'], {
      stdio: 'pipe',
    });
    try {
      fs.renameSync(staging, DEPS);
    } catch {
      fs.rmSync(staging, { recursive: true, force: true });
    }
  }
  if (!script) {
    script = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'torchts-tb-reader-')), 'reader.py');
    fs.writeFileSync(script, READER);
  }
  return script;
}

/**
 * Everything TensorBoard reads from the event files in `dir`; with `histogramRefs`, also
 * PyTorch's own histogram of the given values (under `reference`).
 */
export function readEvents(dir: string, histogramRefs?: Record<string, { values: number[]; bins: unknown }>): Read {
  const args = [ensureReader(), dir];
  if (histogramRefs) {
    const f = path.join(path.dirname(script), `refs_${Math.random().toString(36).slice(2)}.json`);
    fs.writeFileSync(f, JSON.stringify(histogramRefs));
    args.push(f);
  }
  const out = execFileSync('python3', args, {
    env: { ...process.env, PYTHONPATH: DEPS },
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  return JSON.parse(out) as Read;
}
