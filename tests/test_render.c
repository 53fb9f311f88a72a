/* render: the SDL-free renderer (camera, canvas, PNG, world frames, contacts drawing) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "ensure.h"
#include "render/camera.h"
#include "render/canvas.h"
#include "render/draw_world.h"
#include "render/frame_rect.h"
#include "render/png.h"
#include "render/render.h"
#include "sim/materials.h"
#include "sim/world.h"

static void test_camera(void) {
    double     rect[4] = {-1, 0, 3, 2};
    RenderCamera cam     = render_camera_fit(rect, 10, 20, 400, 300);
    /* aspect kept: 4 m x 2 m into 400 x 300 -> 100 px/m, centred vertically */
    CHECK(fabs(cam.scale - 100) < 1e-12);
    double sx, sy;
    render_camera_to_screen(&cam, -1, 2, &sx, &sy);
    CHECK(fabs(sx - 10) < 1e-9 && fabs(sy - (20 + 50)) < 1e-9);
    render_camera_to_screen(&cam, 3, 0, &sx, &sy);
    CHECK(fabs(sx - 410) < 1e-9 && fabs(sy - (20 + 250)) < 1e-9);
    /* y up in the world is y down on screen */
    double sy2;
    render_camera_to_screen(&cam, 0, 1.5, &sx, &sy2);
    CHECK(sy2 < sy);
    /* round trip */
    for (int i = 0; i < 100; i++) {
        double wx = -3 + 0.07 * i, wy = 5 - 0.11 * i, bx, by;
        render_camera_to_screen(&cam, wx, wy, &sx, &sy);
        render_camera_to_world(&cam, sx, sy, &bx, &by);
        CHECK(fabs(bx - wx) < 1e-9 && fabs(by - wy) < 1e-9);
    }
    /* zoom keeps the point under the mouse */
    double wx, wy, ax, ay;
    render_camera_to_world(&cam, 123, 77, &wx, &wy);
    render_camera_zoom(&cam, 1.7, 123, 77);
    render_camera_to_world(&cam, 123, 77, &ax, &ay);
    CHECK(fabs(ax - wx) < 1e-9 && fabs(ay - wy) < 1e-9);
    CHECK(fabs(cam.scale - 170) < 1e-9);
}

static int count_color(const uint8_t* px, int n, const uint8_t rgb[3]) {
    int k = 0;
    for (int i = 0; i < n; i++)
        if (px[3 * i] == rgb[0] && px[3 * i + 1] == rgb[1] && px[3 * i + 2] == rgb[2]) k++;
    return k;
}

static void test_canvas(void) {
    enum { W = 40, H = 30 };
    static uint8_t px[W * H * 3];
    RenderCanvas     c = render_canvas_wrap(px, W, H, 3);
    render_canvas_clear(&c, render_rgba(0, 0, 0, 255));
    /* a triangle: inside pixel centres set, outside ones untouched */
    double tri[6] = {5, 5, 35, 5, 5, 25};
    render_canvas_fill_poly(&c, tri, 3, render_rgba(255, 0, 0, 255));
    int inside = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            double  cx = x + 0.5, cy = y + 0.5;
            bool    in = cx > 5 && cy > 5 && (cx - 5) / 30 + (cy - 5) / 20 < 1;
            bool    edge = fabs((cx - 5) / 30 + (cy - 5) / 20 - 1) < 0.03 || fabs(cx - 5) < 0.01 || fabs(cy - 5) < 0.01;
            uint8_t rgb[3];
            render_canvas_get(&c, x, y, rgb);
            if (edge) continue;
            CHECK((rgb[0] == 255) == in);
            inside += in;
        }
    /* area ~ 300 px */
    CHECK(inside > 270 && inside < 310);
    /* antialiased: the same area as summed coverage, full inside, partial only at the edges */
    render_canvas_clear(&c, render_rgba(0, 0, 0, 255));
    c.aa = true;
    render_canvas_fill_poly(&c, tri, 3, render_rgba(255, 0, 0, 255));
    double cover = 0;
    int    partial = 0;
    for (int i = 0; i < W * H; i++) {
        cover += px[3 * i] / 255.0;
        partial += px[3 * i] > 0 && px[3 * i] < 255;
    }
    CHECK(fabs(cover - 300.0) < 2.0);
    CHECK(partial > 20 && partial < 120);
    uint8_t mid[3];
    render_canvas_get(&c, 10, 10, mid);
    CHECK(mid[0] == 255);
    render_canvas_get(&c, 30, 20, mid);
    CHECK(mid[0] == 0);
    render_canvas_clear(&c, render_rgba(0, 0, 0, 255));
    render_canvas_fill_circle(&c, 20, 15, 10, render_rgba(255, 0, 0, 255));
    cover = 0;
    for (int i = 0; i < W * H; i++) cover += px[3 * i] / 255.0;
    CHECK(fabs(cover - M_PI * 100) < 4.0);
    c.aa = false;
    /* circles: area close to pi r^2 */
    render_canvas_clear(&c, render_rgba(0, 0, 0, 255));
    render_canvas_fill_circle(&c, 20, 15, 10, render_rgba(0, 255, 0, 255));
    uint8_t green[3] = {0, 255, 0};
    int     area     = count_color(px, W * H, green);
    CHECK(abs(area - 314) < 12);
    /* blending: half alpha red over black is half red */
    render_canvas_clear(&c, render_rgba(0, 0, 0, 255));
    render_canvas_rect(&c, 0, 0, 10, 10, render_rgba(255, 0, 0, 128));
    uint8_t rgb[3];
    render_canvas_get(&c, 3, 3, rgb);
    CHECK(rgb[0] == 128 && rgb[1] == 0);
    render_canvas_get(&c, 12, 3, rgb);
    CHECK(rgb[0] == 0);
    /* clipping: nothing outside the clip rectangle */
    render_canvas_clear(&c, render_rgba(0, 0, 0, 255));
    render_canvas_clip(&c, 10, 10, 20, 20);
    render_canvas_fill_circle(&c, 15, 15, 30, render_rgba(0, 0, 255, 255));
    render_canvas_line(&c, 0, 0, 39, 29, 3, render_rgba(0, 0, 255, 255));
    render_canvas_unclip(&c);
    uint8_t blue[3] = {0, 0, 255};
    CHECK(count_color(px, W * H, blue) == 100);
    /* a thick line covers its middle and not far beside it; a dashed outline has gaps */
    render_canvas_clear(&c, render_rgba(0, 0, 0, 255));
    render_canvas_line(&c, 2, 15, 38, 15, 3, render_rgba(255, 255, 255, 255));
    render_canvas_get(&c, 20, 15, rgb);
    CHECK(rgb[0] == 255);
    render_canvas_get(&c, 20, 19, rgb);
    CHECK(rgb[0] == 0);
    render_canvas_clear(&c, render_rgba(0, 0, 0, 255));
    double sq[8] = {5, 5, 35, 5, 35, 25, 5, 25};
    render_canvas_outline(&c, sq, 4, 1, 0, render_rgba(255, 255, 255, 255));
    uint8_t white[3] = {255, 255, 255};
    int     solid    = count_color(px, W * H, white);
    render_canvas_clear(&c, render_rgba(0, 0, 0, 255));
    render_canvas_outline(&c, sq, 4, 1, 3, render_rgba(255, 255, 255, 255));
    int dashed = count_color(px, W * H, white);
    CHECK(dashed > solid / 4 && dashed < solid * 3 / 4);
    /* gray canvases store luminance */
    uint8_t    g[4];
    RenderCanvas gc = render_canvas_wrap(g, 2, 2, 1);
    render_canvas_clear(&gc, render_rgba(255, 255, 255, 255));
    CHECK(g[0] == 254 || g[0] == 255);
    render_canvas_pixel(&gc, 1, 1, render_rgba(255, 0, 0, 255));
    CHECK(g[3] == (77 * 255) >> 8 && g[0] > 250);
}

static uint32_t be32(const uint8_t* p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* decodes our PNGs (one IDAT, filters 0/1) back into pixels; returns channels or 0 */
static int png_decode(const uint8_t* png, size_t n, uint8_t* out, int w, int h) {
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (n < 8 || memcmp(png, sig, 8)) return 0;
    size_t at = 8;
    int    channels = 0;
    while (at + 12 <= n) {
        uint32_t len = be32(png + at);
        const uint8_t* type = png + at + 4, *data = png + at + 8;
        if (at + 12 + len > n) return 0;
        uLong crc = crc32(crc32(0L, Z_NULL, 0), type, len + 4);
        if (crc != be32(data + len)) return 0;
        if (!memcmp(type, "IHDR", 4)) {
            if ((int)be32(data) != w || (int)be32(data + 4) != h || data[8] != 8) return 0;
            channels = data[9] == 2 ? 3 : data[9] == 0 ? 1 : 0;
        } else if (!memcmp(type, "IDAT", 4)) {
            size_t   row = (size_t)w * channels;
            uLongf   rawlen = (uLongf)((row + 1) * h);
            uint8_t* raw = malloc(rawlen);
            if (uncompress(raw, &rawlen, data, len) != Z_OK || rawlen != (row + 1) * h) {
                free(raw);
                return 0;
            }
            for (int y = 0; y < h; y++) {
                uint8_t* r = raw + (row + 1) * y;
                for (size_t i = 0; i < row; i++) {
                    uint8_t left = r[0] == 1 && i >= (size_t)channels ? out[row * y + i - channels] : 0;
                    out[row * y + i] = (uint8_t)(r[1 + i] + left);
                }
            }
            free(raw);
        } else if (!memcmp(type, "IEND", 4)) {
            return channels;
        }
        at += 12 + len;
    }
    return 0;
}

static void test_png(void) {
    enum { W = 37, H = 21 };
    for (int ch = 1; ch <= 3; ch += 2) {
        uint8_t px[W * H * 3], back[W * H * 3];
        for (int i = 0; i < W * H * ch; i++) px[i] = (uint8_t)(i * 7 + (i / 5) * 13);
        uint8_t* png;
        size_t   n;
        CHECK(render_png_encode(px, W, H, ch, &png, &n));
        memset(back, 0, sizeof back);
        CHECK(png_decode(png, n, back, W, H) == ch);
        CHECK(memcmp(px, back, (size_t)W * H * ch) == 0);
        free(png);
    }
    uint8_t* png;
    size_t   n;
    CHECK(!render_png_encode((const uint8_t*)"", 0, 5, 3, &png, &n));
}

static SimWorld* small_world(int32_t* box_id) {
    SimWorldDef def = sim_world_def_default();
    SimWorld*   w   = sim_world_create(&def);
    char        err[256];
    SimBodyDef  floor = sim_body_def_default();
    floor.is_static = true, floor.w = 4, floor.h = 0.2, floor.x = 0, floor.y = -0.1;
    CHECK(sim_world_add_body(w, &floor, err, sizeof err) >= 0);
    SimBodyDef box = sim_body_def_default();
    box.w = box.h = 0.3, box.x = -1, box.y = 0.15, box.vx = 2.0;
    box.material = sim_material_find("rubber");
    *box_id = sim_world_add_body(w, &box, err, sizeof err);
    CHECK(*box_id >= 0);
    SimBodyDef ball = sim_body_def_default();
    ball.kind = SIM_KIND_BALL, ball.w = ball.h = 0.2, ball.x = 1, ball.y = 0.6;
    CHECK(sim_world_add_body(w, &ball, err, sizeof err) >= 0);
    return w;
}

/* mean x of pixels of one colour, or -1 */
static double color_centroid(const uint8_t* px, int w, int h, const uint8_t rgb[3]) {
    double sx = 0;
    int    k  = 0;
    for (int i = 0; i < w * h; i++)
        if (px[3 * i] == rgb[0] && px[3 * i + 1] == rgb[1] && px[3 * i + 2] == rgb[2]) sx += i % w, k++;
    return k ? sx / k : -1;
}

static void test_render(void) {
    int32_t   box;
    SimWorld* w       = small_world(&box);
    double    rect[4] = {-2, -0.5, 2, 1.5};
    enum { W = 64, H = 64 };
    static uint8_t a[W * H * 3], b[W * H * 3], g[W * H];
    render_world(w, rect, a, W, H, 3);
    render_world(w, rect, b, W, H, 3);
    /* deterministic */
    CHECK(memcmp(a, b, sizeof a) == 0);
    /* not blank: several colours, the rubber box's colour among them */
    int distinct = 0;
    for (int i = 1; i < W * H; i++)
        if (memcmp(a + 3 * i, a, 3)) distinct++;
    CHECK(distinct > 200);
    const SimMaterial* rubber = sim_material_get(sim_material_find("rubber"));
    double             x0     = color_centroid(a, W, H, rubber->rgb);
    CHECK(x0 > 0);
    /* the box slides right: its pixels move right */
    for (int i = 0; i < 30; i++) sim_world_tick(w, NULL);
    render_world(w, rect, b, W, H, 3);
    double x1 = color_centroid(b, W, H, rubber->rgb);
    SimBodyState st;
    CHECK(sim_world_body(w, box, &st));
    CHECK(x1 > x0 + 2);
    CHECK(fabs((x1 - x0) - (st.x + 1) * 16) < 3);
    /* gray frames are the luminance of the colour frames */
    render_world(w, rect, g, W, H, 1);
    for (int i = 0; i < W * H; i++) CHECK(g[i] == ((77 * b[3 * i] + 150 * b[3 * i + 1] + 29 * b[3 * i + 2]) >> 8));
    sim_world_destroy(w);
}

/* a world of one box of 8 x 8 px at 16 px/m (rect {-2, -2, 2, 2} in 64 x 64), its left edge at
   28.2 + dx px and its top at 20.2 px: every edge 0.2 px or more from a pixel's centre */
static SimWorld* box_world(double dx_px) {
    SimWorldDef def = sim_world_def_default();
    SimWorld*   w   = sim_world_create(&def);
    char        err[256];
    SimBodyDef  box = sim_body_def_default();
    box.w = box.h = 0.5, box.x = (0.2 + dx_px) / 16.0, box.y = (32 - 24.2) / 16.0;
    CHECK(sim_world_add_body(w, &box, err, sizeof err) >= 0);
    return w;
}

/* antialiased frames (gen --frames-aa): edges blend, the same bytes twice, and a move of a tenth
   of a pixel changes the frame where render_world's hard edges do not */
static void test_render_aa(void) {
    enum { W = 64, H = 64 };
    static uint8_t hard[W * H], aa[W * H], aa2[W * H], hard_m[W * H], aa_m[W * H];
    double rect[4] = {-2, -2, 2, 2};
    SimWorld* w = box_world(0);
    SimWorld* moved = box_world(0.1);
    render_world(w, rect, hard, W, H, 1);
    uint8_t same[W * H];
    render_world_frame(w, rect, same, W, H, 1, false, false);
    CHECK(memcmp(hard, same, sizeof hard) == 0);  /* aa = false is render_world */
    render_world_frame(w, rect, aa, W, H, 1, true, false);
    render_world_frame(w, rect, aa2, W, H, 1, true, false);
    CHECK(memcmp(aa, aa2, sizeof aa) == 0);
    /* the hard frame holds two grays (background and box), the antialiased one more along the edges */
    int hard_levels = 0, aa_levels = 0;
    bool seen_h[256] = {false}, seen_a[256] = {false};
    for (int i = 0; i < W * H; i++) {
        if (!seen_h[hard[i]]) seen_h[hard[i]] = true, hard_levels++;
        if (!seen_a[aa[i]]) seen_a[aa[i]] = true, aa_levels++;
    }
    CHECK(hard_levels <= 3 && aa_levels > hard_levels);
    CHECK(memcmp(hard, aa, sizeof hard) != 0);
    /* the box's left column (x = 28, covered 0.8) is between background and box, the inside alike */
    CHECK(aa[24 * W + 28] != hard[24 * W + 28] && aa[24 * W + 28] != hard[24 * W + 30]);
    CHECK(aa[24 * W + 32] == hard[24 * W + 32]);
    /* a tenth of a pixel to the right */
    render_world_frame(moved, rect, hard_m, W, H, 1, false, false);
    render_world_frame(moved, rect, aa_m, W, H, 1, true, false);
    CHECK(memcmp(hard, hard_m, sizeof hard) == 0);
    CHECK(memcmp(aa, aa_m, sizeof aa) != 0);
    /* the left edge's column grows lighter (less box), the right edge's darker */
    int bg = hard[2 * W + 2], in = hard[24 * W + 32];
    CHECK(bg != in);
    int l0 = aa[24 * W + 28], l1 = aa_m[24 * W + 28], r0 = aa[24 * W + 36], r1 = aa_m[24 * W + 36];
    CHECK(abs(l1 - bg) < abs(l0 - bg) && abs(r1 - bg) > abs(r0 - bg));
    sim_world_destroy(w);
    sim_world_destroy(moved);
}

/* outlined frames (gen --frames-outline): a pale dynamic body (ice, luma 228 on a background of 239)
   gets a dark edge at a scale where none is drawn otherwise, with or without antialiasing; its inside,
   the static body and the background keep their bytes; the same bytes twice */
static void test_render_outline(void) {
    enum { W = 64, H = 64 };
    static uint8_t plain[W * H], lined[W * H], again[W * H];
    double rect[4] = {-2, -2, 2, 2};   /* 16 px/m: under the 120 px/m where the window edges bodies */
    SimWorldDef def = sim_world_def_default();
    SimWorld*   w   = sim_world_create(&def);
    char        err[256];
    SimBodyDef  wall = sim_body_def_default();
    wall.is_static = true, wall.w = 1.0, wall.h = 0.5, wall.x = -1.0, wall.y = -1.0;
    CHECK(sim_world_add_body(w, &wall, err, sizeof err) >= 0);
    SimBodyDef ice = sim_body_def_default();
    ice.material = sim_material_find("ice");
    CHECK(ice.material >= 0);
    ice.w = ice.h = 0.5, ice.x = -0.25, ice.y = 0.25;   /* about pixels [24, 32) x [24, 32) */
    CHECK(sim_world_add_body(w, &ice, err, sizeof err) >= 0);
    for (int aa = 0; aa < 2; aa++) {
        render_world_frame(w, rect, plain, W, H, 1, aa, false);
        render_world_frame(w, rect, lined, W, H, 1, aa, true);
        render_world_frame(w, rect, again, W, H, 1, aa, true);
        CHECK(memcmp(lined, again, sizeof lined) == 0);
        CHECK(memcmp(plain, lined, sizeof plain) != 0);
        int bg = plain[2 * W + 2];
        /* unoutlined, the ice box is barely there: every pixel of it within 16 levels of the background */
        int plain_min = 255, lined_min = 255;
        for (int y = 22; y < 34; y++)
            for (int x = 22; x < 34; x++) {
                if (plain[y * W + x] < plain_min) plain_min = plain[y * W + x];
                if (lined[y * W + x] < lined_min) lined_min = lined[y * W + x];
            }
        CHECK(bg - plain_min < 16);
        /* outlined, its edge is dark: over 40 levels under the background along every side (an
           antialiased line centred on the edge covers half of the pixels each side of it) */
        int side[4] = {255, 255, 255, 255};   /* the darkest pixel across each side, through the middle */
        for (int k = 0; k < 4; k++) {
            side[0] = lined[28 * W + 22 + k] < side[0] ? lined[28 * W + 22 + k] : side[0];
            side[1] = lined[28 * W + 30 + k] < side[1] ? lined[28 * W + 30 + k] : side[1];
            side[2] = lined[(22 + k) * W + 28] < side[2] ? lined[(22 + k) * W + 28] : side[2];
            side[3] = lined[(30 + k) * W + 28] < side[3] ? lined[(30 + k) * W + 28] : side[3];
        }
        for (int k = 0; k < 4; k++) CHECK(bg - side[k] > 40);
        CHECK(bg - lined_min > 40);
        /* its inside, the static body (pixels [0, 32) x ...) and the far background keep their bytes */
        CHECK(lined[28 * W + 28] == plain[28 * W + 28]);
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                bool near_ice = x >= 22 && x < 34 && y >= 22 && y < 34;
                if (!near_ice && lined[y * W + x] != plain[y * W + x]) {
                    CHECK(!"an outline off the dynamic body");
                    y = H;
                    break;
                }
            }
    }
    sim_world_destroy(w);
}

/* contacts: dots where the resting box touches the floor, an impulse line up from them */
static void test_contacts(void) {
    SimWorldDef def = sim_world_def_default();
    SimWorld*   w   = sim_world_create(&def);
    char        err[256];
    SimBodyDef  floor = sim_body_def_default();
    floor.is_static = true, floor.w = 4, floor.h = 0.2, floor.y = -0.1;
    CHECK(sim_world_add_body(w, &floor, err, sizeof err) >= 0);
    SimBodyDef box = sim_body_def_default();
    box.w = box.h = 0.4, box.y = 0.2;
    CHECK(sim_world_add_body(w, &box, err, sizeof err) >= 0);
    for (int i = 0; i < 30; i++) sim_world_tick(w, NULL);
    enum { W = 100, H = 100 };
    static uint8_t px[W * H * 3];
    RenderCanvas   c       = render_canvas_wrap(px, W, H, 3);
    double         rect[4] = {-1, -0.5, 1, 1.5};
    RenderCamera   cam     = render_camera_fit(rect, 0, 0, W, H);
    render_canvas_clear(&c, render_rgba(255, 255, 255, 255));
    render_draw_contacts(&c, &cam, w, 2000.0);
    /* the two corners of the box's bottom, at y = 0 (row 75), x = -0.2 and 0.2 (columns 40, 60) */
    int red_low = 0, red_high = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            const uint8_t* p = px + 3 * (y * W + x);
            if (!(p[0] > 150 && p[1] < 120 && p[2] < 120)) continue;
            if (y >= 72 && y <= 78) red_low++;
            if (y < 70) red_high++;
            CHECK((x >= 36 && x <= 44) || (x >= 56 && x <= 64));
        }
    CHECK(red_low > 10 && red_high > 0);
    sim_world_destroy(w);
}

/* the pixel model's camera: room to land beside the highest support, the floor cropped, a wide bench
   kept only when it carries something, the bounds when nothing is there */
static SimBodyDef rect_body(bool is_static, double x, double y, double w, double h) {
    SimBodyDef b = sim_body_def_default();
    b.is_static = is_static, b.x = x, b.y = y, b.w = w, b.h = h;
    return b;
}

static void test_frame_rect(void) {
    SimBodyDef bodies[4] = {
        rect_body(true, 0, -0.05, 6, 0.1),      /* the floor */
        rect_body(true, 0, 0.375, 1.2, 0.75),   /* a table 0.75 m high */
        rect_body(false, 0.5, 0.8, 0.06, 0.1),  /* a glass on it */
    };
    ScnInstance inst;
    memset(&inst, 0, sizeof inst);
    inst.world = sim_world_def_default();
    inst.bodies = bodies, inst.nbodies = 3;
    double r[4], old[4];
    render_frame_rect(&inst, r);
    render_scene_rect(&inst, old);
    /* a body leaving the table's edge at the edge speed lands within v sqrt(2h/g) of it: in view */
    double land = RENDER_FRAME_EDGE_SPEED * sqrt(2 * 0.75 / 9.81);
    CHECK(r[2] > 0.6 + land && r[2] < 0.6 + land + 0.2 && fabs(r[0] + r[2]) < 1e-9);
    CHECK(r[2] > old[2] + 0.3);
    /* the floor: cropped, the frame ends just under its top; the glass with room above */
    CHECK(fabs(r[1] + RENDER_FRAME_BELOW) < 1e-9 && r[3] >= 0.85 + RENDER_FRAME_ROOM_MIN - 1e-9);
    /* a body thrown up gets room to rise: v^2 / 2g */
    bodies[2].vy = 3;
    render_frame_rect(&inst, r);
    CHECK(fabs(r[3] - fmin(0.85 + RENDER_FRAME_ROOM_MIN + 9 / (2 * 9.81), 0.85 + RENDER_FRAME_ROOM_MAX)) < 1e-9);
    bodies[2].vy = 0;
    /* a 4 m bench: framed while a ball rests on it, left out when nothing does */
    bodies[1] = rect_body(true, 0, 0.25, 4, 0.5);
    bodies[2] = rect_body(false, 0, 0.5505, 0.1, 0.1);
    render_frame_rect(&inst, r);
    CHECK(r[0] < -2 && r[2] > 2);
    bodies[2].y = 1.5;
    render_frame_rect(&inst, r);
    CHECK(r[0] > -1.5 && r[2] < 1.5);
    /* the world's bounds clamp it; nothing but the floor: the bounds */
    inst.world.bounds[2] = 1.0;
    render_frame_rect(&inst, r);
    CHECK(r[2] == 1.0);
    inst.nbodies = 1;
    render_frame_rect(&inst, r);
    CHECK(memcmp(r, inst.world.bounds, sizeof r) == 0);
}

int main(void) {
    sim_quiet_chipmunk();
    test_camera();
    test_canvas();
    test_png();
    test_render();
    test_render_aa();
    test_render_outline();
    test_contacts();
    test_frame_rect();
    return ensure_finish("test_render");
}
