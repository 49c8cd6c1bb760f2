"""torchvision.datasets.FakeData's items on the torch next to torchts, for test/datasets.test.ts.

torchvision does not import next to this torch, so this runs the body of FakeData.__getitem__
(torchvision/datasets/fakedata.py, 0.14) on it: seed the global generator with
index + random_offset, draw randn(*image_size) and randint(0, num_classes, (1,)), restore the
generator's state, and convert the image as ToPILImage does (pic.mul(255).byte()).

usage: fake_data.py <out folder> <random_offset> <index> ...
Writes img<index>.bin (uint8, C*H*W bytes), a JSON line of targets, and after.bin: the bytes
of torch.rand(4) drawn after the items with the global seed set to 123 first (the state must be
restored).
"""
import json
import os
import sys

import torch


def item(index, random_offset, image_size=(3, 8, 6), num_classes=7):
    rng_state = torch.get_rng_state()
    torch.manual_seed(index + random_offset)
    img = torch.randn(*image_size)
    target = torch.randint(0, num_classes, size=(1,), dtype=torch.long)[0]
    torch.set_rng_state(rng_state)
    return img.mul(255).byte(), int(target)


def main():
    out, offset = sys.argv[1], int(sys.argv[2])
    torch.manual_seed(123)
    targets = []
    for index in map(int, sys.argv[3:]):
        img, target = item(index, offset)
        open(os.path.join(out, f"img{index}.bin"), "wb").write(img.numpy().tobytes())
        targets.append(target)
    open(os.path.join(out, "after.bin"), "wb").write(torch.rand(4).numpy().tobytes())
    print(json.dumps(targets))


if __name__ == "__main__":
    main()
