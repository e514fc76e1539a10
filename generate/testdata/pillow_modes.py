"""Print, as JSON, the Pillow mode of every PNG under a folder: {relpath: mode}.

Used by generate's bit depth test: a PNG that Pillow opens as "L" is what
torchvision's ImageFolder, Keras and WebDataset's decoders read as 8-bit grey
(a 16-bit one opens as "I" and is clipped at 255 by them)."""
import json
import os
import sys

from PIL import Image

root = sys.argv[1]
modes = {}
for d, _, files in os.walk(root):
    for f in files:
        if f.endswith(".png"):
            p = os.path.join(d, f)
            with Image.open(p) as im:
                im.load()
                modes[os.path.relpath(p, root)] = im.mode
json.dump(modes, sys.stdout, sort_keys=True)
