#!/usr/bin/env node
/** The `torchts` command line. */
import { build } from './build';
import { setup } from './setup';

const USAGE = `usage: torchts <command> [options]

commands:
  train             train a classifier (CIFAR ResNets, torchvision's models) on MNIST, Fashion-MNIST,
                    CIFAR or an image folder (torchts train --help)
  eval              top-1/top-5 of saved weights on a test split, optimised graph (torchts eval --help)
  predict <image...> top-5 classes of images for saved weights (torchts predict --help)
  serve             an HTTP inference server with dynamic batching (torchts serve --help)
  info              versions, the binary and libtorch loaded, devices, why CUDA is (not) usable
  setup [--force]   install torch into torchts's set-up folder if no libtorch is found
  build [--debug] [--prebuild] [--out <dir>]
                    compile the native addon against the libtorch that is found
                    (--prebuild: the prebuilt binary of its variant, into prebuilds/)`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  // Commands that use the addon load it lazily: `setup` and `build` must work without it.
  switch (cmd) {
    case 'build':
      return build(rest);
    case 'setup':
      return setup(rest);
    case 'info':
      return (await import('./info')).info();
    case 'train': {
      const t = await import('./train');
      if (rest.includes('--help') || rest.includes('-h')) {
        console.log(t.TRAIN_USAGE);
        return 0;
      }
      return t.train(rest);
    }
    case 'predict': {
      const p = await import('./predict');
      if (rest.includes('--help') || rest.includes('-h')) {
        console.log(p.PREDICT_USAGE);
        return 0;
      }
      return p.predict(rest);
    }
    case 'serve': {
      const s = await import('./serve');
      if (rest.includes('--help') || rest.includes('-h')) {
        console.log(s.SERVE_USAGE);
        return 0;
      }
      return s.serve(rest);
    }
    case 'eval': {
      const t = await import('./train');
      if (rest.includes('--help') || rest.includes('-h')) {
        console.log(t.EVAL_USAGE);
        return 0;
      }
      return t.evalCommand(rest);
    }
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

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: Error & { code?: string }) => {
    // Expected failures (bad flags, missing or corrupt data) get one line, not a stack.
    const expected =
      e.name === 'TorchError' ||
      e.name === 'TypeError' ||
      e.name === 'RangeError' ||
      e.code?.startsWith('ERR_PARSE_ARGS');
    console.error(`torchts: ${expected ? e.message : (e.stack ?? e.message)}`);
    process.exitCode = 1;
  },
);
