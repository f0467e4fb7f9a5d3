#!/usr/bin/env python3
# Needs Pillow. Usage: progan_regrid.py GRID.png OUT.png DATA_SIDE STAGE_SIDE N
# (book/src/progan.md: the stage grids of the shapes and twemoji-64 runs were repaired with it.)
# Re-lays-out a ProGAN stage grid that was drawn with the data's image shape (the bug fixed in
# src/train/files.rs): the grid's cells hold the generator's values in planar [c, H, W] order of
# the data shape; read them back and lay them out as n images of [c, r, r].
import sys, math
from PIL import Image
src, dst, data_side, side, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
c = 3
im = Image.open(src).convert('RGB')
W = data_side
per = c * W * W
total = n * c * side * side
cells = total // per
cols = max(1, min(math.ceil(math.sqrt(cells)), cells))
assert im.size[0] == cols * (W + 2) + 2, (im.size, cols)
px = im.load()
flat = []
for i in range(cells):
    x0, y0 = 2 + (i % cols) * (W + 2), 2 + (i // cols) * (W + 2)
    for ch in range(c):
        for y in range(W):
            for x in range(W):
                flat.append(px[x0 + x, y0 + y][ch])
assert len(flat) == total
ncols = math.ceil(math.sqrt(n))
rows = math.ceil(n / ncols)
out = Image.new('RGB', (ncols * (side + 2) + 2, rows * (side + 2) + 2), (40, 40, 40))
op = out.load()
for i in range(n):
    x0, y0 = 2 + (i % ncols) * (side + 2), 2 + (i // ncols) * (side + 2)
    base = i * c * side * side
    for y in range(side):
        for x in range(side):
            op[x0 + x, y0 + y] = tuple(flat[base + ch * side * side + y * side + x] for ch in range(c))
out.save(dst)
print(dst, out.size)
