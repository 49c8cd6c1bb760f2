/** torch/nn/modules/pixelshuffle.py and channelshuffle.py. */
import { checkInt } from '../../torch/errors';
import type { Tensor } from '../../torch/tensor';
import * as F from '../functional';
import { Module } from '../module';

/** Rearranges (*, C * r^2, H, W) into (*, C, H * r, W * r). */
export class PixelShuffle extends Module {
  readonly upscaleFactor: number;
  constructor(upscaleFactor: number) {
    super();
    this.upscaleFactor = checkInt(upscaleFactor, 'upscaleFactor', 1);
  }
  forward(input: Tensor): Tensor {
    return F.pixelShuffle(input, this.upscaleFactor);
  }
  override extraRepr(): string {
    return `upscale_factor=${this.upscaleFactor}`;
  }
}

/** Rearranges (*, C, H * r, W * r) into (*, C * r^2, H, W). */
export class PixelUnshuffle extends Module {
  readonly downscaleFactor: number;
  constructor(downscaleFactor: number) {
    super();
    this.downscaleFactor = checkInt(downscaleFactor, 'downscaleFactor', 1);
  }
  forward(input: Tensor): Tensor {
    return F.pixelUnshuffle(input, this.downscaleFactor);
  }
  override extraRepr(): string {
    return `downscale_factor=${this.downscaleFactor}`;
  }
}

/** Interleaves the channels of `groups` groups (ShuffleNet). */
export class ChannelShuffle extends Module {
  readonly groups: number;
  constructor(groups: number) {
    super();
    this.groups = checkInt(groups, 'groups', 1);
  }
  forward(input: Tensor): Tensor {
    return F.channelShuffle(input, this.groups);
  }
  override extraRepr(): string {
    return `groups=${this.groups}`;
  }
}
