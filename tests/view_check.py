#!/usr/bin/python3
"""Checks for `nudge view` (tests/view.cmake).

  view_check.py screenshot FILE.png   the screenshot is not blank and holds ghost and panel pixels
  view_check.py plan FILE.png         the screenshot shows a planner's overlay: the chosen plan's path
                                      and push arrows, candidates' paths, a goal region, the panel
  view_check.py pixel FILE.png        the screenshot shows the pixel model: its ghost dots over the world
                                      and its surprise trace in the panels
  view_check.py learning LOG [--same-episodes]
                                      the live 0.5 s error printed by --headless is lower over the
                                      last 10 s than over the first 10 s; with --same-episodes (a run
                                      with --repeat --episode-seconds 10) the two windows must show
                                      the same physics: equal constant-velocity baseline errors

Uses only the standard library (zlib) so any python3 works."""
import math
import struct
import sys
import zlib

GHOST = (180, 50, 230)       # view/overlay.h VIEW_GHOST_COLOR
PANEL = (250, 250, 246)      # view/panels.h VIEW_PANEL_BG
BACKGROUND = (236, 240, 244)  # render/draw_world.h RENDER_BACKGROUND
PIXEL = (0, 170, 230)        # view/pixel.h VIEW_PIXEL_COLOR
PLAN_BEST = (215, 50, 10)    # view/plan_view.h VIEW_PLAN_BEST
PLAN_ARROW = (0, 140, 130)   # view/plan_view.h VIEW_PLAN_ARROW
GOAL_COLORS = ((215, 160, 0), (40, 160, 60), (200, 40, 40))  # VIEW_GOAL_PENDING, _MET, _FAILED


def fail(msg):
    print("view_check: " + msg)
    sys.exit(1)


def read_png(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail(path + ": not a PNG")
    at, idat, w = 8, b"", 0
    while at < len(data):
        (n,) = struct.unpack(">I", data[at:at + 4])
        kind, body = data[at + 4:at + 8], data[at + 8:at + 8 + n]
        (crc,) = struct.unpack(">I", data[at + 8 + n:at + 12 + n])
        if zlib.crc32(kind + body) & 0xffffffff != crc:
            fail(path + ": bad CRC in " + kind.decode())
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            if depth != 8 or ctype != 2:
                fail(path + ": expected 8-bit RGB")
        elif kind == b"IDAT":
            idat += body
        at += 12 + n
    raw = zlib.decompress(idat)
    stride = 3 * w
    prev = bytearray(stride)
    pixels = []
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - 3] if i >= 3 else 0
            b = prev[i]
            c = prev[i - 3] if i >= 3 else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        pixels.append(bytes(line))
        prev = line
    return w, h, pixels


def screenshot(path):
    w, h, rows = read_png(path)
    counts = {}
    world_ghost = 0  # ghost pixels in the world area: below the status lines and legend, left of the panels
    for y, row in enumerate(rows):
        for i in range(0, len(row), 3):
            px = (row[i], row[i + 1], row[i + 2])
            counts[px] = counts.get(px, 0) + 1
            if px == GHOST and y >= 80 and i // 3 < 0.65 * w:
                world_ghost += 1
    total = w * h
    top = max(counts.values())
    if len(counts) < 20 or top > 0.97 * total:
        fail("%s: blank-looking screenshot (%d colours, the commonest covers %.1f%%)" % (path, len(counts), 100.0 * top / total))
    if counts.get(BACKGROUND, 0) < 0.05 * total:
        fail("%s: the world's background is missing" % path)
    if world_ghost < 20:
        fail("%s: no ghost pixels over the world (%d of colour %s)" % (path, world_ghost, GHOST))
    if counts.get(PANEL, 0) < 0.02 * total:
        fail("%s: no panel pixels (%d of colour %s)" % (path, counts.get(PANEL, 0), PANEL))
    print("view_check: %s ok: %d colours, %d ghost pixels over the world, %d panel pixels" % (path, len(counts), world_ghost, counts[PANEL]))


def pixel(path):
    w, h, rows = read_png(path)
    world = panel = 0  # the pixel colour over the world (below the status lines) and in the panels
    for y, row in enumerate(rows):
        for i in range(0, len(row), 3):
            if (row[i], row[i + 1], row[i + 2]) != PIXEL:
                continue
            x = i // 3
            if y >= 80 and x < 0.65 * w:
                world += 1
            elif x >= 0.7 * w:
                panel += 1
    if world < 20:
        fail("%s: no pixel-model ghost dots over the world (%d pixels of colour %s)" % (path, world, PIXEL))
    if panel < 100:
        fail("%s: no pixel-model surprise trace in the panels (%d pixels of colour %s)" % (path, panel, PIXEL))
    print("view_check: %s ok: %d pixel-model ghost pixels over the world, %d in the panels" % (path, world, panel))


def plan(path):
    w, h, rows = read_png(path)
    world = {}     # colour counts over the world area (left of the panels, below the status lines)
    panel = {}
    faint = 0      # candidates' paths: orange blended over the background
    for y, row in enumerate(rows):
        for i in range(0, len(row), 3):
            px = (row[i], row[i + 1], row[i + 2])
            x = i // 3
            if x < 0.65 * w and y >= 80:
                world[px] = world.get(px, 0) + 1
                r, g, b = px
                if px not in (PLAN_BEST,) and r > g > b and r - b > 12 and r >= 200 and b >= 150:
                    faint += 1
            elif x >= 0.72 * w:
                panel[px] = panel.get(px, 0) + 1
    best, arrow = world.get(PLAN_BEST, 0), world.get(PLAN_ARROW, 0)
    goal = sum(world.get(c, 0) for c in GOAL_COLORS)
    if best < 20:
        fail("%s: no chosen-plan path over the world (%d pixels of %s)" % (path, best, PLAN_BEST))
    if arrow < 20:
        fail("%s: no push arrows over the world (%d pixels of %s)" % (path, arrow, PLAN_ARROW))
    if goal < 20:
        fail("%s: no goal region over the world (%d pixels)" % (path, goal))
    if faint < 50:
        fail("%s: no candidates' faint paths over the world (%d pixels)" % (path, faint))
    if panel.get(PLAN_BEST, 0) < 10:
        fail("%s: no planner panel (its cost curve: %d pixels of %s)" % (path, panel.get(PLAN_BEST, 0), PLAN_BEST))
    print("view_check: %s ok: plan path %d, arrows %d, goal %d, candidates %d, panel curve %d pixels"
          % (path, best, arrow, goal, faint, panel.get(PLAN_BEST, 0)))


def learning(path, same_episodes=False):
    errs, cvs = {}, {}
    for line in open(path):
        fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
        if "t" in fields and "err05" in fields:
            # '-': not measured yet
            e, cv = fields["err05"], fields.get("cv_err05", "-")
            errs[int(fields["t"])] = float("nan" if e == "-" else e)
            cvs[int(fields["t"])] = float("nan" if cv == "-" else cv)
    if not errs:
        fail(path + ": no metric lines")
    last_t = max(errs)
    if last_t < 30:
        fail("%s: only %d s of metrics" % (path, last_t))
    first = [errs[t] for t in range(1, 11) if t in errs and math.isfinite(errs[t])]
    last = [errs[t] for t in range(last_t - 9, last_t + 1) if t in errs and math.isfinite(errs[t])]
    if len(first) < 5 or len(last) < 5:
        fail("%s: too few finite err05 values (%d first, %d last)" % (path, len(first), len(last)))
    a, b = sum(first) / len(first), sum(last) / len(last)
    if same_episodes:
        cf = [cvs[t] for t in range(1, 11) if t in cvs and math.isfinite(cvs[t])]
        cl = [cvs[t] for t in range(last_t - 9, last_t + 1) if t in cvs and math.isfinite(cvs[t])]
        ca, cb = sum(cf) / max(len(cf), 1), sum(cl) / max(len(cl), 1)
        if not (len(cf) == len(cl) and abs(ca - cb) <= 0.02 * max(ca, cb)):
            fail("%s: the two windows do not show the same episodes (constant-velocity error %.4f m vs %.4f m)" % (path, ca, cb))
    if not b < a:
        fail("%s: the live 0.5 s error did not drop: first 10 s %.4f m, last 10 s %.4f m" % (path, a, b))
    print("view_check: live 0.5 s error %.4f m over the first 10 s -> %.4f m over the last 10 s" % (a, b))


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in ("screenshot", "plan", "pixel", "learning"):
        fail("usage: view_check.py screenshot FILE.png | plan FILE.png | pixel FILE.png | learning LOG [--same-episodes]")
    if sys.argv[1] == "screenshot":
        screenshot(sys.argv[2])
    elif sys.argv[1] == "plan":
        plan(sys.argv[2])
    elif sys.argv[1] == "pixel":
        pixel(sys.argv[2])
    else:
        learning(sys.argv[2], "--same-episodes" in sys.argv[3:])
