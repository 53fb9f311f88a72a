#include "render/canvas.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"

RenderColor render_rgba(int r, int g, int b, int a) {
    RenderColor c = {(uint8_t)(r < 0 ? 0 : r > 255 ? 255 : r), (uint8_t)(g < 0 ? 0 : g > 255 ? 255 : g),
                   (uint8_t)(b < 0 ? 0 : b > 255 ? 255 : b), (uint8_t)(a < 0 ? 0 : a > 255 ? 255 : a)};
    return c;
}

RenderColor render_color_scale(RenderColor c, double f) {
    return render_rgba((int)lround(c.r * f), (int)lround(c.g * f), (int)lround(c.b * f), c.a);
}

RenderColor render_color_ramp(double t) {
    if (!(t > 0)) t = 0;
    if (t > 1) t = 1;
    /* green -> yellow -> red */
    if (t < 0.5) return render_rgba((int)lround(40 + 2 * t * 190), 200, 40, 255);
    return render_rgba(230, (int)lround(200 - (t - 0.5) * 2 * 170), 40, 255);
}

RenderCanvas render_canvas_wrap(uint8_t* px, int w, int h, int channels) {
    assert(channels == 1 || channels == 3);
    RenderCanvas c = {px, w, h, channels, 0, 0, w, h, false};
    return c;
}

void render_canvas_clip(RenderCanvas* c, int x0, int y0, int x1, int y1) {
    c->cx0 = x0 < 0 ? 0 : x0 > c->w ? c->w : x0;
    c->cy0 = y0 < 0 ? 0 : y0 > c->h ? c->h : y0;
    c->cx1 = x1 < c->cx0 ? c->cx0 : x1 > c->w ? c->w : x1;
    c->cy1 = y1 < c->cy0 ? c->cy0 : y1 > c->h ? c->h : y1;
}

void render_canvas_unclip(RenderCanvas* c) { render_canvas_clip(c, 0, 0, c->w, c->h); }

static uint8_t luma(RenderColor col) { return (uint8_t)((77 * col.r + 150 * col.g + 29 * col.b) >> 8); }

static uint8_t mix(uint8_t dst, uint8_t src, unsigned a) {
    return (uint8_t)((src * a + dst * (255u - a) + 127u) / 255u);
}

/* fills pixels [x0, x1) of row y, already clipped */
static void span(RenderCanvas* c, int y, int x0, int x1, RenderColor col) {
    if (x0 < c->cx0) x0 = c->cx0;
    if (x1 > c->cx1) x1 = c->cx1;
    if (y < c->cy0 || y >= c->cy1 || x0 >= x1) return;
    if (c->channels == 1) {
        uint8_t* p = c->px + (size_t)y * c->w + x0;
        uint8_t  v = luma(col);
        if (col.a == 255)
            for (int x = x0; x < x1; x++) *p++ = v;
        else
            for (int x = x0; x < x1; x++, p++) *p = mix(*p, v, col.a);
        return;
    }
    uint8_t* p = c->px + ((size_t)y * c->w + x0) * 3;
    if (col.a == 255) {
        /* one pixel, then copies of what is done, doubling */
        size_t n = (size_t)(x1 - x0) * 3, done = 3;
        p[0] = col.r, p[1] = col.g, p[2] = col.b;
        while (done < n) {
            size_t k = done < n - done ? done : n - done;
            memcpy(p + done, p, k);
            done += k;
        }
    } else {
        for (int x = x0; x < x1; x++, p += 3) {
            p[0] = mix(p[0], col.r, col.a);
            p[1] = mix(p[1], col.g, col.a);
            p[2] = mix(p[2], col.b, col.a);
        }
    }
}

void render_canvas_clear(RenderCanvas* c, RenderColor col) {
    /* the first row, then copies of it */
    RenderCanvas whole = *c;
    render_canvas_unclip(&whole);
    col.a = 255;
    if (c->h <= 0 || c->w <= 0) return;
    span(&whole, 0, 0, c->w, col);
    size_t row = (size_t)c->w * c->channels;
    for (int y = 1; y < c->h; y++) memcpy(c->px + row * y, c->px, row);
}

void render_canvas_pixel(RenderCanvas* c, int x, int y, RenderColor col) { span(c, y, x, x + 1, col); }

bool render_canvas_get(const RenderCanvas* c, int x, int y, uint8_t rgb[3]) {
    if (x < 0 || y < 0 || x >= c->w || y >= c->h) return false;
    if (c->channels == 1) {
        rgb[0] = rgb[1] = rgb[2] = c->px[(size_t)y * c->w + x];
    } else {
        const uint8_t* p = c->px + ((size_t)y * c->w + x) * 3;
        rgb[0] = p[0], rgb[1] = p[1], rgb[2] = p[2];
    }
    return true;
}

void render_canvas_rect(RenderCanvas* c, int x0, int y0, int x1, int y1, RenderColor col) {
    if (y0 < c->cy0) y0 = c->cy0;
    if (y1 > c->cy1) y1 = c->cy1;
    for (int y = y0; y < y1; y++) span(c, y, x0, x1, col);
}

/* first pixel whose centre is at or right of x */
static int first_center_at(double x) { return (int)ceil(x - 0.5); }

/* widest canvas antialiased (the coverage row lives on the stack) */
#define AA_MAX_W 4096
#define AA_SUB 4

/* blends pixel x of row y with col at coverage a (0..1) */
static void cover_pixel(RenderCanvas* c, int y, int x, RenderColor col, float a) {
    int alpha = (int)lroundf(a * col.a);
    if (alpha <= 0) return;
    RenderColor p = col;
    p.a         = (uint8_t)(alpha > 255 ? 255 : alpha);
    span(c, y, x, x + 1, p);
}

/* adds weight * the length of [xl, xr) inside each pixel of the coverage row */
static void cover_add(float* cover, int* lo, int* hi, double xl, double xr, float weight) {
    int il = (int)floor(xl), ir = (int)floor(xr);
    /* keep [lo, hi) zeroed as it grows */
    int need_lo = il, need_hi = ir + 1;
    if (*lo > *hi) {
        for (int i = need_lo; i < need_hi; i++) cover[i] = 0;
        *lo = need_lo, *hi = need_hi;
    } else {
        for (int i = need_lo; i < *lo; i++) cover[i] = 0;
        for (int i = *hi; i < need_hi; i++) cover[i] = 0;
        if (need_lo < *lo) *lo = need_lo;
        if (need_hi > *hi) *hi = need_hi;
    }
    if (il == ir) {
        cover[il] += weight * (float)(xr - xl);
        return;
    }
    cover[il] += weight * (float)(il + 1 - xl);
    for (int i = il + 1; i < ir; i++) cover[i] += weight;
    cover[ir] += weight * (float)(xr - ir);
}

/* the x of a polygon's edges at scanline sy, sorted (edges half-open in y, so a vertex counts
   once); returns how many */
static int scanline_crossings(const double* xy, int n, double sy, double* xs) {
    int k = 0;
    for (int i = 0, j = n - 1; i < n; j = i++) {
        double ya = xy[2 * j + 1], yb = xy[2 * i + 1];
        if ((ya <= sy && sy < yb) || (yb <= sy && sy < ya)) {
            double xa = xy[2 * j], xb = xy[2 * i];
            xs[k++] = xa + (sy - ya) * (xb - xa) / (yb - ya);
        }
    }
    for (int i = 1; i < k; i++) {
        double v = xs[i];
        int    m = i - 1;
        while (m >= 0 && xs[m] > v) xs[m + 1] = xs[m], m--;
        xs[m + 1] = v;
    }
    return k;
}

static void fill_poly_aa(RenderCanvas* c, const double* xy, int n, RenderColor col, double ymin,
                         double ymax, double* xs) {
    float cover[AA_MAX_W + 2];
    int   y0 = (int)floor(ymin), y1 = (int)ceil(ymax);
    if (y0 < c->cy0) y0 = c->cy0;
    if (y1 > c->cy1) y1 = c->cy1;
    for (int y = y0; y < y1; y++) {
        int    lo = 1, hi = 0;
        /* each sub-row's crossings; a row where every sub-row has one span (convex shapes) fills
         * the part covered by all of them directly and accumulates coverage only at the ends */
        double spans[AA_SUB][2];
        bool   simple = true;
        int    nsub   = 0;
        for (int sub = 0; sub < AA_SUB; sub++) {
            double sy = y + (sub + 0.5) / AA_SUB;
            int    k  = scanline_crossings(xy, n, sy, xs);
            if (k == 2 && simple) {
                spans[nsub][0] = xs[0] < c->cx0 ? c->cx0 : xs[0];
                spans[nsub][1] = xs[1] > c->cx1 ? c->cx1 : xs[1];
                nsub++;
                continue;
            }
            if (k == 0) {
                simple = false;
                continue;
            }
            simple = false;
            for (int i = 0; i + 1 < k; i += 2) {
                double xl = xs[i] < c->cx0 ? c->cx0 : xs[i];
                double xr = xs[i + 1] > c->cx1 ? c->cx1 : xs[i + 1];
                if (xr > xl) cover_add(cover, &lo, &hi, xl, xr, 1.0f / AA_SUB);
            }
        }
        int in0 = 0, in1 = 0; /* pixels covered by every sub-row: [in0, in1) */
        if (simple && nsub == AA_SUB) {
            double a = spans[0][0], b = spans[0][1];
            for (int i = 1; i < AA_SUB; i++) {
                if (spans[i][0] > a) a = spans[i][0];
                if (spans[i][1] < b) b = spans[i][1];
            }
            in0 = (int)ceil(a), in1 = (int)floor(b);
            if (in1 < in0) in1 = in0;
        }
        if (in1 > in0) {
            /* the interior at once; each end pixel by its overlap with the sub-row spans */
            span(c, y, in0, in1, col);
            double left = spans[0][0], right = spans[0][1];
            for (int i = 1; i < nsub; i++) {
                if (spans[i][0] < left) left = spans[i][0];
                if (spans[i][1] > right) right = spans[i][1];
            }
            int zones[2][2] = {{(int)floor(left), in0}, {in1, (int)ceil(right)}};
            for (int z = 0; z < 2; z++)
                for (int x = zones[z][0]; x < zones[z][1] && x < c->cx1; x++) {
                    double a = 0;
                    for (int i = 0; i < nsub; i++) {
                        double l = spans[i][0] > x ? spans[i][0] : x;
                        double r = spans[i][1] < x + 1 ? spans[i][1] : x + 1;
                        if (r > l) a += r - l;
                    }
                    if (a > 0.001 * AA_SUB) cover_pixel(c, y, x, col, (float)(a / AA_SUB));
                }
        } else {
            for (int i = 0; i < nsub; i++)
                if (spans[i][1] > spans[i][0]) cover_add(cover, &lo, &hi, spans[i][0], spans[i][1], 1.0f / AA_SUB);
        }
        for (int x = lo; x < hi && x < c->cx1; x++) {
            if (x >= in0 && x < in1) continue;
            float a = cover[x];
            if (a >= 0.999f) {
                /* runs of full coverage in one span */
                int e = x;
                while (e + 1 < hi && e + 1 < c->cx1 && cover[e + 1] >= 0.999f) e++;
                span(c, y, x, e + 1, col);
                x = e;
            } else if (a > 0.001f) {
                cover_pixel(c, y, x, col, a);
            }
        }
    }
}

void render_canvas_fill_poly(RenderCanvas* c, const double* xy, int n, RenderColor col) {
    if (n < 3) return;
    double ymin = xy[1], ymax = xy[1];
    for (int i = 1; i < n; i++) {
        if (!isfinite(xy[2 * i]) || !isfinite(xy[2 * i + 1])) return;
        if (xy[2 * i + 1] < ymin) ymin = xy[2 * i + 1];
        if (xy[2 * i + 1] > ymax) ymax = xy[2 * i + 1];
    }
    if (!isfinite(xy[0]) || !isfinite(xy[1])) return;
    int y0 = first_center_at(ymin), y1 = first_center_at(ymax);
    if (y0 < c->cy0) y0 = c->cy0;
    if (y1 > c->cy1) y1 = c->cy1;
    double  stack_x[64];
    double* xs = n <= 64 ? stack_x : alloc_array((size_t)n, sizeof(double));
    if (c->aa && c->cx1 <= AA_MAX_W) {
        fill_poly_aa(c, xy, n, col, ymin, ymax, xs);
        if (xs != stack_x) free(xs);
        return;
    }
    for (int y = y0; y < y1; y++) {
        int k = scanline_crossings(xy, n, y + 0.5, xs);
        for (int i = 0; i + 1 < k; i += 2) {
            double xl = xs[i], xr = xs[i + 1];
            if (xr < c->cx0 - 1.0 || xl > c->cx1 + 1.0) continue;
            if (xl < c->cx0 - 1.0) xl = c->cx0 - 1.0;
            if (xr > c->cx1 + 1.0) xr = c->cx1 + 1.0;
            span(c, y, first_center_at(xl), first_center_at(xr), col);
        }
    }
    if (xs != stack_x) free(xs);
}

void render_canvas_fill_circle(RenderCanvas* c, double cx, double cy, double r, RenderColor col) {
    if (!(r > 0) || !isfinite(cx) || !isfinite(cy)) return;
    if (c->aa) {
        /* a fine polygon through the antialiased fill */
        int n = (int)(r * 2);
        n     = n < 16 ? 16 : n > 64 ? 64 : n;
        /* the polygon's radius gives it the circle's area */
        double rr = r * sqrt(2 * M_PI / (n * sin(2 * M_PI / n)));
        double xy[2 * 64];
        for (int i = 0; i < n; i++) {
            double a = 2 * M_PI * i / n;
            xy[2 * i] = cx + rr * cos(a), xy[2 * i + 1] = cy + rr * sin(a);
        }
        render_canvas_fill_poly(c, xy, n, col);
        return;
    }
    int y0 = first_center_at(cy - r), y1 = first_center_at(cy + r);
    if (y0 < c->cy0) y0 = c->cy0;
    if (y1 > c->cy1) y1 = c->cy1;
    for (int y = y0; y < y1; y++) {
        double dy = y + 0.5 - cy, d2 = r * r - dy * dy;
        if (d2 <= 0) continue;
        double dx = sqrt(d2), xl = cx - dx, xr = cx + dx;
        if (xl < c->cx0 - 1.0) xl = c->cx0 - 1.0;
        if (xr > c->cx1 + 1.0) xr = c->cx1 + 1.0;
        span(c, y, first_center_at(xl), first_center_at(xr), col);
    }
}

void render_canvas_line(RenderCanvas* c, double x0, double y0, double x1, double y1, double thick,
                        RenderColor col) {
    double dx = x1 - x0, dy = y1 - y0, len = sqrt(dx * dx + dy * dy);
    double h = 0.5 * (thick < 1.0 ? 1.0 : thick);
    if (!isfinite(len)) return;
    if (len < 1e-9) {
        render_canvas_fill_circle(c, x0, y0, h, col);
        return;
    }
    /* a quad around the segment, extended by half the width at each end */
    double ux = dx / len * h, uy = dy / len * h, nx = -uy, ny = ux;
    double q[8] = {x0 - ux + nx, y0 - uy + ny, x1 + ux + nx, y1 + uy + ny,
                   x1 + ux - nx, y1 + uy - ny, x0 - ux - nx, y0 - uy - ny};
    render_canvas_fill_poly(c, q, 4, col);
}

/* draws the polyline xy[n] (closed when closed) dashed with period 2 * dash */
static void dashed_path(RenderCanvas* c, const double* xy, int n, bool closed, double thick,
                        double dash, RenderColor col) {
    int    segs  = closed ? n : n - 1;
    double phase = 0; /* distance into the current dash period */
    for (int s = 0; s < segs; s++) {
        double ax = xy[2 * s], ay = xy[2 * s + 1];
        double bx = xy[2 * ((s + 1) % n)], by = xy[2 * ((s + 1) % n) + 1];
        double dx = bx - ax, dy = by - ay, len = sqrt(dx * dx + dy * dy);
        if (!(len > 1e-9) || !isfinite(len)) continue;
        if (dash <= 0) {
            render_canvas_line(c, ax, ay, bx, by, thick, col);
            continue;
        }
        double t = 0;
        while (t < len) {
            double period = 2 * dash, left = (phase < dash ? dash : period) - phase;
            double step   = left < len - t ? left : len - t;
            if (phase < dash)
                render_canvas_line(c, ax + dx * t / len, ay + dy * t / len, ax + dx * (t + step) / len,
                                   ay + dy * (t + step) / len, thick, col);
            t += step;
            phase += step;
            if (phase >= period - 1e-9) phase = 0;
        }
    }
}

void render_canvas_outline(RenderCanvas* c, const double* xy, int n, double thick, double dash,
                           RenderColor col) {
    if (n < 2) return;
    dashed_path(c, xy, n, true, thick, dash, col);
}

void render_canvas_circle(RenderCanvas* c, double cx, double cy, double r, double thick, double dash,
                          RenderColor col) {
    if (!(r > 0)) return;
    int n = (int)(r * 0.8);
    n     = n < 12 ? 12 : n > 96 ? 96 : n;
    double xy[2 * 96];
    for (int i = 0; i < n; i++) {
        double a = 2 * M_PI * i / n;
        xy[2 * i] = cx + r * cos(a), xy[2 * i + 1] = cy + r * sin(a);
    }
    dashed_path(c, xy, n, true, thick, dash, col);
}

void render_canvas_arrow(RenderCanvas* c, double x0, double y0, double x1, double y1, double thick,
                         double head, RenderColor col) {
    double dx = x1 - x0, dy = y1 - y0, len = sqrt(dx * dx + dy * dy);
    if (!(len > 1e-9)) return;
    double ux = dx / len, uy = dy / len;
    if (head > len) head = len;
    double bx = x1 - ux * head, by = y1 - uy * head;
    render_canvas_line(c, x0, y0, bx, by, thick, col);
    double w    = head * 0.5;
    double t[6] = {x1, y1, bx - uy * w, by + ux * w, bx + uy * w, by - ux * w};
    render_canvas_fill_poly(c, t, 3, col);
}
