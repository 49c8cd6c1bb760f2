/**
 * `torchts info`: versions, the binary and libtorch that were loaded, devices, and whether
 * CUDA is usable (and if not, why). When the addon does not load it still says what it
 * found (libtorch, its flavour, the prebuilt variants, the binary it chose) and why loading
 * failed, and exits with 1.
 */
import { describeFlavour, findLibtorch, packageRoot, readLibtorchFlavour } from '../libtorch';
import { chooseBinary, describeVariant, listVariants } from '../prebuilds';

function print(rows: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(rows)) console.log(`${k.padEnd(18)} ${v}`);
}

export async function info(): Promise<number> {
  let loadError: Error;
  try {
    const { torch } = await import('../index');
    print(torch.info());
    return 0;
  } catch (e) {
    loadError = e as Error;
  }
  const root = packageRoot();
  const rows: Record<string, unknown> = { torchts: require('../../package.json').version };
  try {
    const lt = findLibtorch();
    rows.libtorch = lt.version ?? '(unknown version)';
    rows['libtorch flavour'] = describeFlavour(readLibtorchFlavour(lt.root, lt.version));
    rows['libtorch dir'] = lt.root;
    rows['libtorch found by'] = lt.source;
  } catch {
    rows.libtorch = 'not found';
  }
  const variants = listVariants(root);
  rows.prebuilt = variants.map((v) => `${v.name} (${describeVariant(v)})`).join(', ') || 'none';
  try {
    const choice = chooseBinary(root);
    rows.binary = choice.binary;
    rows['binary kind'] = choice.variant ? `prebuilt ${choice.variant}` : choice.kind;
  } catch {
    rows.binary = 'none fits';
  }
  rows['load error'] = loadError.message.split('\n')[0];
  print(rows);
  console.error(`\n${loadError.message}`);
  return 1;
}
