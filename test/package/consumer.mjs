// A user's ES module script.
import { torch, nn } from 'torchts';
import torchts from 'torchts';

const lin = new nn.Linear(4, 2);
const out = lin.forward(torch.ones([1, 4]));
console.log(JSON.stringify({ shape: out.shape, same: torchts.torch === torch }));
