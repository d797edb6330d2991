"""PIL reference outputs for the image tests: decoded photos, official preprocessing, plain
resizes, PNG colour variants and Exif transposes, all written as .npy into OUT_DIR."""
import glob
import os
import struct
import sys
import zlib

import numpy as np
from PIL import Image, ImageOps

photos_dir, out_dir = sys.argv[1], sys.argv[2]
SIZES = [64, 128, 100]
PLAIN_RESIZES = [(97, 61), (300, 200), (256, 77), (13, 300)]


def save(name, arr):
    np.save(os.path.join(out_dir, name + ".npy"), np.ascontiguousarray(arr))


def official_preprocess(im, size):
    w, h = im.size
    short, long = (w, h) if w <= h else (h, w)
    if short != size:
        new_long = int(size * long / short)
        im = im.resize((size, new_long) if w <= h else (new_long, size), Image.BILINEAR)
    w, h = im.size
    top, left = int(round((h - size) / 2.0)), int(round((w - size) / 2.0))
    return im.crop((left, top, left + size, top + size))


names = []
for path in sorted(glob.glob(os.path.join(photos_dir, "*"))):
    stem = os.path.splitext(os.path.basename(path))[0]
    im = Image.open(path).convert("RGB")
    names.append(stem)
    save(f"{stem}.input", np.asarray(im))
    for s in SIZES:
        save(f"{stem}.pre{s}", np.asarray(official_preprocess(im, s)))
    for w, h in PLAIN_RESIZES:
        save(f"{stem}.resize{w}x{h}", np.asarray(im.resize((w, h), Image.BILINEAR)))

# PNG colour variants, written by hand so every colour type / bit depth is covered.
def write_png(name, width, height, color_type, depth, rows, plte=None, trns=None):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + r for r in rows)
    body = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 0))
    if plte is not None:
        body += chunk(b"PLTE", plte)
    if trns is not None:
        body += chunk(b"tRNS", trns)
    body += chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    path = os.path.join(out_dir, name + ".png")
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + body)
    save(name + ".expected", np.asarray(Image.open(path).convert("RGB")))


rng = np.random.default_rng(7)
W, H = 13, 7


def pack(values, depth):
    rows = []
    for row in values:
        bits = "".join(format(int(v), f"0{depth}b") for v in row)
        bits += "0" * (-len(bits) % 8)
        rows.append(bytes(int(bits[i : i + 8], 2) for i in range(0, len(bits), 8)))
    return rows


for depth in (1, 2, 4, 8):
    vals = rng.integers(0, 2**depth, size=(H, W))
    write_png(f"gray{depth}", W, H, 0, depth, pack(vals, depth))
    pal = rng.integers(0, 256, size=(2**depth, 3), dtype=np.uint8)
    write_png(f"palette{depth}", W, H, 3, depth, pack(vals, depth), plte=pal.tobytes(), trns=bytes([0, 128]))
for channels, ct in ((2, 4), (3, 2), (4, 6)):
    v8 = rng.integers(0, 256, size=(H, W * channels), dtype=np.uint8)
    write_png(f"ct{ct}_8", W, H, ct, 8, [r.tobytes() for r in v8])
    v16 = rng.integers(0, 65536, size=(H, W * channels)).astype(">u2")
    write_png(f"ct{ct}_16", W, H, ct, 16, [r.tobytes() for r in v16])
g16 = rng.integers(0, 65536, size=(H, W)).astype(">u2")
write_png("gray16", W, H, 0, 16, [r.tobytes() for r in g16])
save("gray16.high_byte", np.repeat((g16.astype(np.uint16) >> 8).astype(np.uint8)[:, :, None], 3, axis=2))

# Exif orientations: the transposes PIL applies, on a small asymmetric image.
small = Image.open(os.path.join(out_dir, "ct2_8.png")).convert("RGB").crop((0, 0, 5, 3))
save("orient.input", np.asarray(small))
for o in range(1, 9):
    im = small.copy()
    im.getexif()[0x0112] = o
    save(f"orient{o}", np.asarray(ImageOps.exif_transpose(im)))

# A JPEG written by PIL with an orientation tag (PIL writes little-endian Exif).
exif = Image.Exif()
exif[0x0112] = 6
Image.open(glob.glob(os.path.join(photos_dir, "*.png"))[0]).convert("RGB").resize((40, 24)).save(
    os.path.join(out_dir, "pil_orient6.jpg"), quality=95, exif=exif.tobytes()
)
print("\n".join(names))
