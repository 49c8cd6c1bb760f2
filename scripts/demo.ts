/**
 * The demo: fits y = 3x - 2 + noise with autograd and plain gradient descent, the way the
 * PyTorch "learning PyTorch with examples" tutorial does, then prints the recovered
 * parameters and the tensor memory that is left.
 *
 *     npm run demo
 */
import { torch } from '../lib/index';

torch.manualSeed(0);
const x = torch.tidy(() => torch.linspace(-1, 1, 256).unsqueeze(1));
const y = torch.tidy(() => x.mul(3).sub(2).add(torch.randn([256, 1]).mul(0.1)));

const w = torch.zeros([1, 1], { requiresGrad: true });
const b = torch.zeros([1], { requiresGrad: true });
const lr = 0.1;

for (let step = 1; step <= 200; step++) {
  torch.tidy(() => {
    const pred = x.matmul(w).add(b);
    const loss = pred.sub(y).square().mean();
    loss.backward();
    torch.noGrad(() => {
      for (const p of [w, b]) {
        const g = p.grad!;
        p.sub_(g.mul(lr));
        p.grad = null;
      }
    });
    if (step % 50 === 0) console.log(`step ${String(step).padStart(3)}  loss ${(loss.item() as number).toFixed(5)}`);
  });
}

console.log(`w = ${(w.item() as number).toFixed(4)} (true 3), b = ${(b.item() as number).toFixed(4)} (true -2)`);
torch.tidy(() => {
  console.log('prediction at x = [0.5, -0.5]:', torch.tensor([[0.5], [-0.5]]).matmul(w).add(b).detach().toString());
});
console.log('live tensors:', torch.memory().liveTensors, '(x, y, w and b)');
