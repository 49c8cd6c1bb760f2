// vision.io.readImage and vision.datasets.ImageFolder on PNG and JPEG files generated here
// with sharp: class discovery and labels as torchvision's ImageFolder, exact pixels from
// PNGs, close pixels from high-quality JPEGs, the DataLoader over an ImageFolder, and clear
// errors for truncated files and empty or missing folders.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { data, torch, TorchError, vision, type Tensor } from '../lib/index';

const T = vision.transforms;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'torchts-imagefolder-'));
const root = path.join(tmp, 'train');
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Random uint8 pixels [H, W, C] (kept) and their PNG file. */
async function png(file: string, h: number, w: number, c: 1 | 3 | 4): Promise<Tensor> {
  const hwc = torch.keep(torch.randint(0, 256, [h, w, c], { dtype: 'uint8' }));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const img = sharp(hwc.toBytes(), { raw: { width: w, height: h, channels: c } });
  await (c === 1 ? img.toColourspace('b-w') : img).png().toFile(file);
  return hwc;
}

/** A smooth color image [H, W, 3] (kept) saved as a quality-95 JPEG without chroma subsampling. */
async function jpeg(file: string, h: number, w: number, phase: number): Promise<Tensor> {
  const hwc = torch.keep(
    torch.tidy(() => {
      const y = torch.arange(h, { dtype: 'float32' }).view(h, 1, 1).expand(h, w, 1);
      const x = torch.arange(w, { dtype: 'float32' }).view(1, w, 1).expand(h, w, 1);
      const r = x.mul(200 / w).add(20 + phase);
      const g = y.mul(200 / h).add(30);
      const b = x
        .add(y)
        .mul(100 / (h + w))
        .add(60 + phase);
      return torch.cat([r, g, b], 2).round().clamp(0, 255).to('uint8').contiguous();
    }),
  );
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await sharp(hwc.toBytes(), { raw: { width: w, height: h, channels: 3 } })
    .jpeg({ quality: 95, chromaSubsampling: '4:4:4' })
    .toFile(file);
  return hwc;
}

const chw = (hwc: Tensor): Tensor => hwc.permute(2, 0, 1);
const pixels: Record<string, Tensor> = {};

beforeAll(async () => {
  torch.manualSeed(7);
  // Classes out of order on disk; nested folders, upper-case extensions and other files.
  pixels['dog/b.png'] = await png(path.join(root, 'dog', 'b.png'), 12, 10, 3);
  pixels['dog/a.PNG'] = await png(path.join(root, 'dog', 'a.PNG'), 9, 14, 4);
  pixels['dog/nested/c.png'] = await png(path.join(root, 'dog', 'nested', 'c.png'), 8, 8, 1);
  pixels['cat/x.jpg'] = await jpeg(path.join(root, 'cat', 'x.jpg'), 32, 40, 0);
  pixels['cat/y.jpeg'] = await jpeg(path.join(root, 'cat', 'y.jpeg'), 24, 30, 25);
  pixels['bird/z.png'] = await png(path.join(root, 'bird', 'z.png'), 16, 16, 3);
  fs.writeFileSync(path.join(root, 'dog', 'notes.txt'), 'not an image');
  fs.writeFileSync(path.join(root, 'README'), 'a file next to the class folders');
});

describe('ImageFolder', () => {
  it('finds the classes, samples and labels as torchvision does', () => {
    const ds = new vision.datasets.ImageFolder(root);
    expect(ds.classes).toEqual(['bird', 'cat', 'dog']);
    expect(ds.classToIdx).toEqual({ bird: 0, cat: 1, dog: 2 });
    expect(ds.samples.map(([p, l]) => [path.relative(root, p), l])).toEqual([
      ['bird/z.png', 0],
      ['cat/x.jpg', 1],
      ['cat/y.jpeg', 1],
      ['dog/a.PNG', 2],
      ['dog/b.png', 2],
      ['dog/nested/c.png', 2],
    ]);
    expect(ds.targets).toEqual([0, 1, 1, 2, 2, 2]);
    expect(ds.length).toBe(6);
    expect(ds.imgs).toBe(ds.samples);
  });

  it('decodes PNGs exactly (RGB: alpha dropped, gray expanded)', async () => {
    const ds = new vision.datasets.ImageFolder(root);
    const pending = ds.get(4);
    expect(pending).toBeInstanceOf(Promise);
    const [img, label] = await pending;
    expect(label).toBe(2);
    expect(img.dtype).toBe('uint8');
    expect(img.shape).toEqual([3, 12, 10]);
    expect(torch.equal(img, chw(pixels['dog/b.png']))).toBe(true);
    const [rgba] = await ds.get(3);
    expect(torch.equal(rgba, chw(pixels['dog/a.PNG']).index('0:3'))).toBe(true);
    const [gray] = await ds.get(5);
    expect(torch.equal(gray, chw(pixels['dog/nested/c.png']).expand(3, 8, 8))).toBe(true);
  });

  it('decodes JPEGs close to the pixels they were saved from', async () => {
    const ds = new vision.datasets.ImageFolder(root);
    for (const [i, name] of [
      [1, 'cat/x.jpg'],
      [2, 'cat/y.jpeg'],
    ] as const) {
      const [img, label] = await ds.get(i);
      expect(label).toBe(1);
      const want = chw(pixels[name]);
      expect(img.shape).toEqual([...want.shape]);
      const diff = torch.tidy(() => img.to('float32').sub(want.to('float32')).abs());
      expect(torch.tidy(() => diff.mean().item() as number)).toBeLessThan(1.5);
      expect(torch.tidy(() => diff.max().item() as number)).toBeLessThan(12);
    }
  });

  it('applies transform and targetTransform', async () => {
    const ds = new vision.datasets.ImageFolder(root, {
      transform: new T.Compose([new T.Resize([6, 5]), new T.ToTensor()]),
      targetTransform: { forward: (t: number) => t + 10 },
    });
    const [img, label] = await ds.get(0);
    expect(img.shape).toEqual([3, 6, 5]);
    expect(img.dtype).toBe('float32');
    expect(label).toBe(10);
    const expected = torch.tidy(() => T.functional.resize(chw(pixels['bird/z.png']), [6, 5]).to('float32').div(255));
    expect(torch.allclose(img, expected)).toBe(true);
  });

  it('filters by extensions or isValidFile', () => {
    const some = new vision.datasets.ImageFolder(root, { extensions: ['.png', '.JPEG'] });
    expect(some.samples.map(([p]) => path.basename(p))).toEqual(['z.png', 'y.jpeg', 'a.PNG', 'b.png', 'c.png']);
    const flat = new vision.datasets.ImageFolder(root, {
      isValidFile: (p) => !p.includes('nested') && !p.endsWith('.txt'),
    });
    expect(flat.samples.map(([p]) => path.basename(p))).toEqual(['z.png', 'x.jpg', 'y.jpeg', 'a.PNG', 'b.png']);
    // As torchvision: every class needs at least one valid file.
    expect(() => new vision.datasets.ImageFolder(root, { extensions: ['.png'] })).toThrow(
      /found no valid file for the classes cat in /,
    );
    expect(() => new vision.datasets.ImageFolder(root, { extensions: ['.gif'] })).toThrow(
      /ImageFolder: found no valid file for the classes bird, cat, dog in .*\. Supported extensions are: \.gif/,
    );
  });

  it('batches through the DataLoader with shuffling and prefetch', async () => {
    const ds = new vision.datasets.ImageFolder(root, {
      transform: new T.Compose([new T.RandomResizedCrop(8), new T.ToTensor()]),
    });
    const loader = new data.DataLoader(ds, {
      batchSize: 4,
      shuffle: true,
      generator: new torch.Generator(3),
      prefetch: 2,
    });
    expect(loader.length).toBe(2);
    const before = torch.memory().liveTensors;
    const labels: number[] = [];
    const shapes: number[][] = [];
    for await (const [images, targets] of loader as AsyncIterable<[Tensor, Tensor]>) {
      shapes.push([...images.shape]);
      expect(images.dtype).toBe('float32');
      expect(targets.dtype).toBe('int64');
      labels.push(...(targets.toArray() as number[]));
      images.dispose();
      targets.dispose();
    }
    expect(shapes).toEqual([
      [4, 3, 8, 8],
      [2, 3, 8, 8],
    ]);
    expect([...labels].sort()).toEqual([0, 1, 1, 2, 2, 2]);
    expect(labels).not.toEqual([0, 1, 1, 2, 2, 2]); // shuffled (seeded, so this is stable)
    // The per-image tensors were freed when each batch was stacked.
    expect(torch.memory().liveTensors).toBeLessThanOrEqual(before);
  });
});

describe('vision.io.readImage', () => {
  it('reads the channels a mode asks for', async () => {
    const file = path.join(root, 'dog', 'a.PNG');
    const want = chw(pixels['dog/a.PNG']);
    expect(torch.equal(await vision.io.readImage(file), want)).toBe(true); // UNCHANGED: RGBA
    expect(torch.equal(await vision.io.readImage(file, { mode: 'RGB_ALPHA' }), want)).toBe(true);
    const gray = await vision.io.readImage(path.join(root, 'dog', 'nested', 'c.png'));
    expect(gray.shape).toEqual([1, 8, 8]);
    expect(torch.equal(gray, chw(pixels['dog/nested/c.png']))).toBe(true);
    // GRAY: ITU-R 601-2 luma, rounded as PIL's convert('L').
    const luma = await vision.io.readImage(path.join(root, 'dog', 'b.png'), { mode: vision.io.ImageReadMode.GRAY });
    const expected = torch.tidy(() => {
      const p = chw(pixels['dog/b.png']).to('int64');
      return p
        .index(0)
        .mul(19595)
        .add(p.index(1).mul(38470))
        .add(p.index(2).mul(7471))
        .add(0x8000)
        .floorDivide(65536)
        .unsqueeze(0)
        .to('uint8');
    });
    expect(torch.equal(luma, expected)).toBe(true);
    const bytes = fs.readFileSync(file);
    expect(torch.equal(await vision.io.decodeImage(bytes, { mode: 'RGB' }), want.index('0:3'))).toBe(true);
  });

  it('rejects missing, truncated and corrupt files with a TorchError naming the file', async () => {
    const broken = path.join(tmp, 'broken');
    fs.mkdirSync(broken);
    const whole = fs.readFileSync(path.join(root, 'cat', 'x.jpg'));
    fs.writeFileSync(path.join(broken, 'truncated.jpg'), whole.subarray(0, Math.floor(whole.length / 2)));
    fs.writeFileSync(path.join(broken, 'garbage.png'), Buffer.from('this is not a PNG file'));
    await expect(vision.io.readImage(path.join(broken, 'truncated.jpg'))).rejects.toThrow(TorchError);
    await expect(vision.io.readImage(path.join(broken, 'truncated.jpg'))).rejects.toThrow(
      /cannot decode image .*truncated\.jpg: .*premature end of JPEG/,
    );
    await expect(vision.io.readImage(path.join(broken, 'garbage.png'))).rejects.toThrow(
      /cannot decode image .*garbage\.png: .*unsupported image format/,
    );
    await expect(vision.io.readImage(path.join(broken, 'missing.png'))).rejects.toThrow(
      /cannot read image .*missing\.png: no such file/,
    );
    await expect(vision.io.readImage(path.join(root, 'a.png'), { mode: 'CMYK' as never })).rejects.toThrow(
      "Expected 'UNCHANGED', 'GRAY', 'RGB' or 'RGB_ALPHA' for mode but received \"CMYK\"",
    );
  });
});

describe('ImageFolder errors', () => {
  it('names the corrupt file when get or the DataLoader hits it', async () => {
    const dir = path.join(tmp, 'corrupt');
    fs.mkdirSync(path.join(dir, 'a'), { recursive: true });
    fs.copyFileSync(path.join(root, 'cat', 'x.jpg'), path.join(dir, 'a', 'good.jpg'));
    const whole = fs.readFileSync(path.join(root, 'cat', 'y.jpeg'));
    fs.writeFileSync(path.join(dir, 'a', 'truncated.jpg'), whole.subarray(0, 400));
    const ds = new vision.datasets.ImageFolder(dir);
    expect((await ds.get(0))[0].shape).toEqual([3, 32, 40]);
    await expect(ds.get(1)).rejects.toThrow(/cannot decode image .*a\/truncated\.jpg/);
    const before = torch.memory().liveTensors;
    const loader = new data.DataLoader(ds, { batchSize: 2 });
    await expect(
      (async () => {
        for await (const batch of loader) void batch;
      })(),
    ).rejects.toThrow(TorchError);
    expect(torch.memory().liveTensors).toBeLessThanOrEqual(before); // the good image of the batch was freed
  });

  it('rejects a missing root, a root without class folders and classes without images', () => {
    expect(() => new vision.datasets.ImageFolder(path.join(tmp, 'nowhere'))).toThrow(
      /ImageFolder: cannot read the root folder .*nowhere: no such folder/,
    );
    const empty = path.join(tmp, 'empty');
    fs.mkdirSync(empty);
    expect(() => new vision.datasets.ImageFolder(empty)).toThrow(TorchError);
    expect(() => new vision.datasets.ImageFolder(empty)).toThrow(/ImageFolder: found no class folder in .*empty/);
    const hollow = path.join(tmp, 'hollow');
    fs.mkdirSync(path.join(hollow, 'full'), { recursive: true });
    fs.mkdirSync(path.join(hollow, 'none'), { recursive: true });
    fs.copyFileSync(path.join(root, 'bird', 'z.png'), path.join(hollow, 'full', 'z.png'));
    fs.writeFileSync(path.join(hollow, 'none', 'notes.txt'), 'text');
    expect(() => new vision.datasets.ImageFolder(hollow)).toThrow(
      /found no valid file for the classes none in .*Supported extensions are: \.jpg, \.jpeg, \.png/,
    );
    expect(() => new vision.datasets.ImageFolder(42 as never)).toThrow(
      'Expected a folder path for root but received 42',
    );
    expect(() => new vision.datasets.ImageFolder(root, { extensions: ['.png'], isValidFile: () => true })).toThrow(
      'Expected either extensions or isValidFile for options but received both',
    );
    expect(() => new vision.datasets.ImageFolder(root, { transform: (() => 1) as never })).toThrow(
      /Expected a transform \(an object with forward\(\)\) for transform/,
    );
  });
});
