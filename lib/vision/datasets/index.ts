/** `vision.datasets`. */
export { MNIST, FashionMNIST, readIdx, type MNISTOptions } from './mnist';
export { CIFAR10, CIFAR100, type CIFAROptions } from './cifar';
