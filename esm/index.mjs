// ES module entry: the same objects as the CommonJS build (one native addon, one tensor table).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const cjs = require('../dist/index.js');

export const { torch, nn, optim, vision, data, utils, distributed, Tensor, TorchError } = cjs;
export default cjs;
