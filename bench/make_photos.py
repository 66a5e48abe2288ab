# `npm run bench -- import` photos: /usr/bin/python3 bench/make_photos.py OUT FIRST COUNT WIDTH HEIGHT QUALITY
# bench photos: a two-colour gradient, 12 coloured ellipses and a 25% noise overlay (photo-like entropy)
import sys, os, colorsys, numpy as np
from PIL import Image, ImageDraw
out, first, count, w, h, q = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
noise = np.random.default_rng(12345).integers(0, 256, (256, 256, 3), dtype=np.uint8)
tile = Image.fromarray(np.ascontiguousarray(np.tile(noise, (h // 256 + 1, w // 256 + 1, 1))[:h, :w]))
yy, xx = np.mgrid[0:h, 0:w]
ramp = Image.fromarray((255 * (xx / w + yy / h) / 2).astype(np.uint8), 'L')
hsl = lambda hue, l, s: tuple(int(v * 255) for v in colorsys.hls_to_rgb((hue % 360) / 360, l, s))
for i in range(first, first + count):
    img = Image.composite(Image.new('RGB', (w, h), hsl(i * 37 + 140, 0.6, 0.6)), Image.new('RGB', (w, h), hsl(i * 37, 0.45, 0.7)), ramp)
    d = ImageDraw.Draw(img)
    r = w / 2048
    for k in range(12):
        cx, cy = (i * 97 + k * 211) % w, (i * 53 + k * 157) % h
        rx, ry = r * (60 + (k * 41) % 300), r * (40 + (k * 67) % 200)
        d.ellipse([cx - rx, cy - ry, cx + rx, cy + ry], fill=hsl(i * 13 + k * 29, (30 + (k * 7) % 50) / 100, 0.8))
    Image.blend(img, tile, 0.25).save(os.path.join(out, 'photo_%05d.jpg' % i), quality=q)
