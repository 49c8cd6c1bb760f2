/** `torchts setup`: installs torch into the set-up folder when no usable libtorch is found. */
import { spawnSync } from 'node:child_process';

import { findLibtorch, setupFolder } from '../libtorch';

/** The torch version the set-up installs (the primary libtorch target). */
export const SETUP_TORCH_VERSION = '2.13.0';

export function setup(args: string[] = []): number {
  if (!args.includes('--force')) {
    try {
      const lt = findLibtorch();
      console.log(`torchts setup: libtorch ${lt.version} already found (${lt.source}) at ${lt.root}`);
      return 0;
    } catch {
      /* nothing usable: install below */
    }
  }
  const python = process.env.TORCHTS_PYTHON || 'python3';
  const target = setupFolder();
  console.log(
    `torchts setup: installing torch==${SETUP_TORCH_VERSION} into ${target} with ${python} -m pip (about 900 MB)`,
  );
  // --retries 0: machines without the public index fall back to local wheels at once.
  const r = spawnSync(
    python,
    [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--disable-pip-version-check',
      '--retries',
      '0',
      '--target',
      target,
      `torch==${SETUP_TORCH_VERSION}`,
    ],
    { stdio: 'inherit' },
  );
  if (r.status !== 0) {
    console.error(`torchts setup: pip failed (exit ${r.status ?? r.signal}); install PyTorch yourself or set LIBTORCH`);
    return r.status || 1;
  }
  const lt = findLibtorch();
  console.log(`torchts setup: libtorch ${lt.version} ready at ${lt.root}`);
  return 0;
}
