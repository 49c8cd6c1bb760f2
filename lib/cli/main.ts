#!/usr/bin/env node
/** The `torchts` command line. */
import { build } from './build';
import { setup } from './setup';

const USAGE = `usage: torchts <command>

commands:
  setup [--force]   install torch into torchts's set-up folder if no libtorch is found
  build [--debug] [--prebuild]
                    compile the native addon against the libtorch that is found
  info              versions of torchts and libtorch, and the devices`;

function info(): number {
  // Loaded lazily: `build` must work before the addon exists.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { torch } = require('../index') as typeof import('../index');
  const i = torch.info();
  for (const [k, v] of Object.entries(i)) console.log(`${k.padEnd(18)} ${v}`);
  return 0;
}

function main(argv: string[]): number {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'build':
      return build(rest);
    case 'setup':
      return setup(rest);
    case 'info':
      return info();
    case undefined:
    case '-h':
    case '--help':
      console.log(USAGE);
      return cmd === undefined ? 1 : 0;
    default:
      console.error(`torchts: unknown command '${cmd}'\n${USAGE}`);
      return 1;
  }
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  console.error((e as Error).message);
  process.exitCode = 1;
}
