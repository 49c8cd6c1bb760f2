// A user's script, written from the README's examples: CommonJS, strict TypeScript.
// The package test type-checks it (tsc --noEmit --strict) and runs its compiled form.
import { nn, optim, torch, vision } from 'torchts';

torch.manualSeed(0);
const x = torch.randn([3, 4], { requiresGrad: true });
const y = x.mul(x).sum();
y.backward();
const ok = torch.allclose(x.grad!, x.mul(2));

const model = vision.models.resnet20({ numClasses: 10 });
const criterion = new nn.CrossEntropyLoss();
const optimizer = new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9, weightDecay: 1e-4 });
const images = torch.randn([8, 3, 32, 32]);
const labels = torch.randint(0, 10, [8]);

const losses: number[] = [];
model.train();
for (let step = 0; step < 5; step++) {
  torch.tidy(() => {
    optimizer.zeroGrad();
    const loss = criterion.forward(model.forward(images), labels);
    loss.backward();
    optimizer.step();
    losses.push(loss.item() as number);
  });
}
model.eval();
const predicted = torch.noGrad(() => model.forward(images).argmax(1));
const keys: string[] = Object.keys(model.stateDict());
console.log(
  JSON.stringify({ ok, losses, predicted: predicted.toArray(), keys: keys.length, live: torch.memory().liveTensors }),
);
