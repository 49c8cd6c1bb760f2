/** Helpers of torchvision/models/_utils.py that the model files share. */

/**
 * `v` rounded to a multiple of `divisor` (at least `minValue`, default `divisor`), never more
 * than 10% below `v`: the channel rounding of the original TensorFlow MobileNet code
 * (torchvision's `_make_divisible`).
 */
export function makeDivisible(v: number, divisor: number, minValue?: number): number {
  const min = minValue ?? divisor;
  let newV = Math.max(min, Math.floor(Math.trunc(v + divisor / 2) / divisor) * divisor);
  // Make sure that round down does not go down by more than 10%.
  if (newV < 0.9 * v) newV += divisor;
  return newV;
}
