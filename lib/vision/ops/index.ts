/** `vision.ops`: torchvision's layers that its models are built from. */
export * from './misc';
export * from './stochastic_depth';
