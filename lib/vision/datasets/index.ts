/** `vision.datasets`. */
export { MNIST, FashionMNIST, readIdx, type MNISTOptions } from './mnist';
export { CIFAR10, CIFAR100, type CIFAROptions } from './cifar';
export { ImageFolder, IMG_EXTENSIONS, findClasses, makeDataset, type ImageFolderOptions } from './folder';
export { FakeData, type FakeDataOptions } from './fake';
