export * from '../dist/index.js';
import * as torchts from '../dist/index.js';
export default torchts;
