#!/usr/bin/python3
"""The PyTorch peer of `augsplit train`, for tools/benchrun (issue 14).

Trains augsplit's bundled model (train/doc.go) on an augsplit dataset folder
with PyTorch on the CPU, the way a user would write it: five blocks of
[Conv2d(2 filters, 3x3, same, no bias: batch norm follows) -> BatchNorm2d ->
ELU -> AvgPool2d(2)], Flatten, Linear(128) + ELU, Linear(classes), cross-entropy
on log-softmax; SGD lr 0.001, momentum 0.9 with Keras's time-based decay
(lr / (1 + 1e-4 * step)); batch 4 dropping the last partial batch; validation at
batch 32 in eval mode. Images are read once (Pillow) into a uint8 array and
converted to float32 per batch, as augsplit does.

Prints one JSON line per epoch on stdout:
  {"epoch": 1, "seconds": ..., "train_seconds": ..., "loss": ..., "accuracy": ...,
   "val_loss": ..., "val_accuracy": ...}
and a last line {"load_seconds": ..., "import_seconds": ..., "threads": ...}.
"seconds" is the epoch's wall time, training plus validation, as augsplit's
metrics.jsonl reports it.

Run with Debian's interpreter (python3-torch, python3-numpy, python3-pil):
  /usr/bin/python3 tools/peers/torch_train.py --data OUT --epochs 2 --threads 2
"""

import argparse
import json
import os
import sys
import time

T0 = time.perf_counter()
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from PIL import Image  # noqa: E402

IMPORT_SECONDS = time.perf_counter() - T0


def classes_of(root):
    p = os.path.join(root, "classes.txt")
    if os.path.exists(p):
        with open(p) as f:
            return [l.strip() for l in f if l.strip()]
    return sorted(d for d in os.listdir(os.path.join(root, "train")) if not d.startswith("."))


def load_split(root, split, classes):
    paths, labels = [], []
    for i, c in enumerate(classes):
        d = os.path.join(root, split, c)
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            if name.endswith(".png") and not name.startswith("."):
                paths.append(os.path.join(d, name))
                labels.append(i)
    first = np.asarray(Image.open(paths[0]).convert("L"))
    h, w = first.shape
    x = np.empty((len(paths), 1, h, w), dtype=np.uint8)
    for i, p in enumerate(paths):
        x[i, 0] = np.asarray(Image.open(p).convert("L"))
    return torch.from_numpy(x), torch.tensor(labels, dtype=torch.long)


class Net(nn.Module):
    def __init__(self, c, h, w, classes, filters=2, blocks=5, dense=128):
        super().__init__()
        layers = []
        for _ in range(blocks):
            conv = nn.Conv2d(c, filters, 3, padding=1, bias=False)
            nn.init.kaiming_normal_(conv.weight)
            layers += [conv, nn.BatchNorm2d(filters, eps=1e-3, momentum=0.01), nn.ELU(), nn.AvgPool2d(2)]
            c = filters
            h, w = h // 2, w // 2
        self.features = nn.Sequential(*layers)
        self.dense = nn.Linear(filters * h * w, dense)
        self.out = nn.Linear(dense, classes)
        for m in (self.dense, self.out):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.features(x).flatten(1)
        return F.log_softmax(self.out(F.elu(self.dense(x))), dim=1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    t = time.perf_counter()
    classes = classes_of(a.data)
    xtr, ytr = load_split(a.data, "train", classes)
    xva, yva = load_split(a.data, "val", classes)
    load_seconds = time.perf_counter() - t

    _, c, h, w = xtr.shape
    model = Net(c, h, w, len(classes))
    lr, decay = 0.001, 1e-4
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    gen = torch.Generator().manual_seed(a.seed)
    step = 0
    for epoch in range(1, a.epochs + 1):
        start = time.perf_counter()
        model.train()
        order = torch.randperm(len(xtr), generator=gen)
        tot_loss, correct, seen = 0.0, 0, 0
        for i in range(0, len(order) - a.batch + 1, a.batch):
            idx = order[i:i + a.batch]
            x = xtr[idx].float().div_(255)
            y = ytr[idx]
            for g in opt.param_groups:
                g["lr"] = lr / (1 + decay * step)
            opt.zero_grad(set_to_none=True)
            logp = model(x)
            loss = F.nll_loss(logp, y)
            loss.backward()
            opt.step()
            step += 1
            tot_loss += loss.item() * len(idx)
            correct += (logp.argmax(1) == y).sum().item()
            seen += len(idx)
        train_seconds = time.perf_counter() - start
        model.eval()
        vloss, vcorrect = 0.0, 0
        with torch.no_grad():
            for i in range(0, len(xva), 32):
                x = xva[i:i + 32].float().div_(255)
                y = yva[i:i + 32]
                logp = model(x)
                vloss += F.nll_loss(logp, y, reduction="sum").item()
                vcorrect += (logp.argmax(1) == y).sum().item()
        print(json.dumps({
            "epoch": epoch, "seconds": round(time.perf_counter() - start, 4),
            "train_seconds": round(train_seconds, 4),
            "loss": tot_loss / seen, "accuracy": correct / seen,
            "val_loss": vloss / len(xva), "val_accuracy": vcorrect / len(xva),
        }), flush=True)
    print(json.dumps({"load_seconds": round(load_seconds, 4), "import_seconds": round(IMPORT_SECONDS, 4),
                      "threads": torch.get_num_threads(), "torch": torch.__version__}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
