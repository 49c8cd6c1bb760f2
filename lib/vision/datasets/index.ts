/** `vision.datasets`. */
export { MNIST, FashionMNIST, readIdx, type MNISTOptions } from './mnist';
