/* view: the pure logic of the view without SDL (camera, picking, key map, canvas, PNG, renderer) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "ensure.h"
#include "sim/materials.h"
#include "sim/world.h"
#include "view/camera.h"
#include "view/canvas.h"
#include "view/input.h"
#include "view/png.h"
#include "view/render.h"
#include "view/session.h"
#include "view/shape.h"


static void test_camera(void) {
    double     rect[4] = {-1, 0, 3, 2};
    ViewCamera cam     = view_camera_fit(rect, 10, 20, 400, 300);
    /* aspect kept: 4 m x 2 m into 400 x 300 -> 100 px/m, centred vertically */
    CHECK(fabs(cam.scale - 100) < 1e-12);
    double sx, sy;
    view_camera_to_screen(&cam, -1, 2, &sx, &sy);
    CHECK(fabs(sx - 10) < 1e-9 && fabs(sy - (20 + 50)) < 1e-9);
    view_camera_to_screen(&cam, 3, 0, &sx, &sy);
    CHECK(fabs(sx - 410) < 1e-9 && fabs(sy - (20 + 250)) < 1e-9);
    /* y up in the world is y down on screen */
    double sy2;
    view_camera_to_screen(&cam, 0, 1.5, &sx, &sy2);
    CHECK(sy2 < sy);
    /* round trip */
    for (int i = 0; i < 100; i++) {
        double wx = -3 + 0.07 * i, wy = 5 - 0.11 * i, bx, by;
        view_camera_to_screen(&cam, wx, wy, &sx, &sy);
        view_camera_to_world(&cam, sx, sy, &bx, &by);
        CHECK(fabs(bx - wx) < 1e-9 && fabs(by - wy) < 1e-9);
    }
    /* zoom keeps the point under the mouse */
    double wx, wy, ax, ay;
    view_camera_to_world(&cam, 123, 77, &wx, &wy);
    view_camera_zoom(&cam, 1.7, 123, 77);
    view_camera_to_world(&cam, 123, 77, &ax, &ay);
    CHECK(fabs(ax - wx) < 1e-9 && fabs(ay - wy) < 1e-9);
    CHECK(fabs(cam.scale - 170) < 1e-9);
}

static SimBodyState box_state(int id, double x, double y, double angle, double w, double h) {
    SimBodyState b;
    memset(&b, 0, sizeof b);
    b.id = id, b.kind = SIM_KIND_BOX, b.alive = true, b.x = x, b.y = y, b.angle = angle;
    b.w = w, b.h = h, b.mass = 2.0, b.nparts = 1, b.parts[0].n = 4;
    double v[8] = {-w / 2, -h / 2, w / 2, -h / 2, w / 2, h / 2, -w / 2, h / 2};
    memcpy(b.parts[0].v, v, sizeof v);
    return b;
}

static void test_picking(void) {
    SimBodyState b[4];
    /* a static floor, a box rotated 45 degrees, a ball, a cup (bottom + two walls) */
    b[0] = box_state(0, 0, -0.05, 0, 4, 0.1);
    b[0].is_static = true;
    b[1] = box_state(1, 0, 0.5, M_PI / 4, 0.2, 0.2);
    memset(&b[2], 0, sizeof b[2]);
    b[2].id = 2, b[2].kind = SIM_KIND_BALL, b[2].alive = true, b[2].x = 1, b[2].y = 0.1;
    b[2].w = b[2].h = 0.2, b[2].radius = 0.1;
    memset(&b[3], 0, sizeof b[3]);
    b[3].id = 3, b[3].kind = SIM_KIND_CUP, b[3].alive = true, b[3].x = -1, b[3].y = 0.1;
    b[3].w = 0.1, b[3].h = 0.2, b[3].nparts = 3;
    double parts[3][8] = {{-0.05, -0.1, 0.05, -0.1, 0.05, -0.08, -0.05, -0.08},
                          {-0.05, -0.08, -0.04, -0.08, -0.04, 0.1, -0.05, 0.1},
                          {0.04, -0.08, 0.05, -0.08, 0.05, 0.1, 0.04, 0.1}};
    for (int k = 0; k < 3; k++) b[3].parts[k].n = 4, memcpy(b[3].parts[k].v, parts[k], sizeof parts[k]);

    /* rotated box: a corner of the unrotated square is outside, the diamond's tip is inside */
    CHECK(view_pick(b, 4, 0.09, 0.59, false) == -1);
    CHECK(view_pick(b, 4, 0.0, 0.5 + 0.13, false) == 1);
    CHECK(view_pick(b, 4, 0.0, 0.5 + 0.15, false) == -1);
    /* ball: inside the circle, not in the corner of its bounding square */
    CHECK(view_pick(b, 4, 1.05, 0.15, false) == 2);
    CHECK(view_pick(b, 4, 1.09, 0.19, false) == -1);
    /* cup: a wall, and its open inside, but not above its rim */
    CHECK(view_pick(b, 4, -1.045, 0.15, false) == 3);
    CHECK(view_pick(b, 4, -1.0, 0.12, false) == 3);
    CHECK(view_pick(b, 4, -1.0, 0.25, false) == -1);
    /* the floor only when static bodies may be picked */
    CHECK(view_pick(b, 4, 1.5, -0.05, false) == 0);
    CHECK(view_pick(b, 4, 1.5, -0.05, true) == -1);
    /* overlap: the dynamic body wins over the static one */
    b[2].y = -0.05;
    CHECK(view_pick(b, 4, 1.0, -0.05, false) == 2);
    /* dead bodies are not picked */
    b[1].alive = false;
    CHECK(view_pick(b, 4, 0.0, 0.5, false) == -1);

    /* drag push: along the drag, velocity change capped, point relative to the centre */
    SimBodyState bx = box_state(7, 1, 1, M_PI / 2, 0.2, 0.2);
    double       local[2], start[2];
    view_to_body(&bx, 1.05, 1.0, local);
    CHECK(fabs(local[0]) < 1e-12 && fabs(local[1] + 0.05) < 1e-12);
    SimPush p = view_drag_push(&bx, local, 1.05 + 0.1, 1.0, 5.0, 100.0, start);
    CHECK(p.body == 7 && fabs(start[0] - 1.05) < 1e-12 && fabs(start[1] - 1.0) < 1e-12);
    CHECK(fabs(p.jx - 2.0 * 5.0 * 0.1) < 1e-9 && fabs(p.jy) < 1e-9);
    CHECK(fabs(p.px - 0.05) < 1e-12 && fabs(p.py) < 1e-12);
    p = view_drag_push(&bx, local, 1.05, 1.0 - 10, 5.0, 3.0, start);
    CHECK(fabs(p.jy + 2.0 * 3.0) < 1e-9 && fabs(p.jx) < 1e-9);
}

static void test_keymap(void) {
    int                   n;
    const ViewKeyBinding* km = view_keymap(&n);
    /* every action has a key with help text */
    for (int a = VIEW_ACT_NONE + 1; a < VIEW_ACT_COUNT; a++) {
        bool named = false;
        for (int i = 0; i < n; i++)
            if ((int)km[i].action == a && km[i].help && km[i].key_name) named = true;
        CHECK(named);
    }
    /* no key bound twice */
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) CHECK(km[i].key != km[j].key);
    /* the keys the issue names */
    struct {
        int        key;
        ViewAction act;
    } want[] = {{' ', VIEW_ACT_PAUSE},    {'.', VIEW_ACT_STEP},      {'S', VIEW_ACT_SLOW},
                {'r', VIEW_ACT_RESET},    {'n', VIEW_ACT_NEXT},      {'p', VIEW_ACT_PREV},
                {'t', VIEW_ACT_TRAIN},    {'g', VIEW_ACT_GHOSTS},    {VIEW_KEY_TAB, VIEW_ACT_SPLIT},
                {'c', VIEW_ACT_CONTACTS}, {'h', VIEW_ACT_HELP},      {VIEW_KEY_F1, VIEW_ACT_HELP},
                {VIEW_KEY_F12, VIEW_ACT_SCREENSHOT}, {VIEW_KEY_ESC, VIEW_ACT_QUIT},
                {'[', VIEW_ACT_HORIZON_DOWN}, {']', VIEW_ACT_HORIZON_UP}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const ViewKeyBinding* b = view_key_lookup(want[i].key);
        CHECK(b && b->action == want[i].act);
    }
    for (int d = 1; d <= 9; d++) {
        const ViewKeyBinding* b = view_key_lookup('0' + d);
        CHECK(b && b->action == VIEW_ACT_DEMO && b->arg == d);
    }
    CHECK(view_key_lookup('q') == NULL);
    CHECK(view_slow_next(1.0) == 0.25 && view_slow_next(0.25) == 0.125 && view_slow_next(0.125) == 1.0);
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
    ViewCanvas     c = view_canvas_wrap(px, W, H, 3);
    view_canvas_clear(&c, view_rgba(0, 0, 0, 255));
    /* a triangle: inside pixel centres set, outside ones untouched */
    double tri[6] = {5, 5, 35, 5, 5, 25};
    view_canvas_fill_poly(&c, tri, 3, view_rgba(255, 0, 0, 255));
    int inside = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            double  cx = x + 0.5, cy = y + 0.5;
            bool    in = cx > 5 && cy > 5 && (cx - 5) / 30 + (cy - 5) / 20 < 1;
            bool    edge = fabs((cx - 5) / 30 + (cy - 5) / 20 - 1) < 0.03 || fabs(cx - 5) < 0.01 || fabs(cy - 5) < 0.01;
            uint8_t rgb[3];
            view_canvas_get(&c, x, y, rgb);
            if (edge) continue;
            CHECK((rgb[0] == 255) == in);
            inside += in;
        }
    /* area ~ 300 px */
    CHECK(inside > 270 && inside < 310);
    /* antialiased: the same area as summed coverage, full inside, partial only at the edges */
    view_canvas_clear(&c, view_rgba(0, 0, 0, 255));
    c.aa = true;
    view_canvas_fill_poly(&c, tri, 3, view_rgba(255, 0, 0, 255));
    double cover = 0;
    int    partial = 0;
    for (int i = 0; i < W * H; i++) {
        cover += px[3 * i] / 255.0;
        partial += px[3 * i] > 0 && px[3 * i] < 255;
    }
    CHECK(fabs(cover - 300.0) < 2.0);
    CHECK(partial > 20 && partial < 120);
    uint8_t mid[3];
    view_canvas_get(&c, 10, 10, mid);
    CHECK(mid[0] == 255);
    view_canvas_get(&c, 30, 20, mid);
    CHECK(mid[0] == 0);
    view_canvas_clear(&c, view_rgba(0, 0, 0, 255));
    view_canvas_fill_circle(&c, 20, 15, 10, view_rgba(255, 0, 0, 255));
    cover = 0;
    for (int i = 0; i < W * H; i++) cover += px[3 * i] / 255.0;
    CHECK(fabs(cover - M_PI * 100) < 4.0);
    c.aa = false;
    /* circles: area close to pi r^2 */
    view_canvas_clear(&c, view_rgba(0, 0, 0, 255));
    view_canvas_fill_circle(&c, 20, 15, 10, view_rgba(0, 255, 0, 255));
    uint8_t green[3] = {0, 255, 0};
    int     area     = count_color(px, W * H, green);
    CHECK(abs(area - 314) < 12);
    /* blending: half alpha red over black is half red */
    view_canvas_clear(&c, view_rgba(0, 0, 0, 255));
    view_canvas_rect(&c, 0, 0, 10, 10, view_rgba(255, 0, 0, 128));
    uint8_t rgb[3];
    view_canvas_get(&c, 3, 3, rgb);
    CHECK(rgb[0] == 128 && rgb[1] == 0);
    view_canvas_get(&c, 12, 3, rgb);
    CHECK(rgb[0] == 0);
    /* clipping: nothing outside the clip rectangle */
    view_canvas_clear(&c, view_rgba(0, 0, 0, 255));
    view_canvas_clip(&c, 10, 10, 20, 20);
    view_canvas_fill_circle(&c, 15, 15, 30, view_rgba(0, 0, 255, 255));
    view_canvas_line(&c, 0, 0, 39, 29, 3, view_rgba(0, 0, 255, 255));
    view_canvas_unclip(&c);
    uint8_t blue[3] = {0, 0, 255};
    CHECK(count_color(px, W * H, blue) == 100);
    /* a thick line covers its middle and not far beside it; a dashed outline has gaps */
    view_canvas_clear(&c, view_rgba(0, 0, 0, 255));
    view_canvas_line(&c, 2, 15, 38, 15, 3, view_rgba(255, 255, 255, 255));
    view_canvas_get(&c, 20, 15, rgb);
    CHECK(rgb[0] == 255);
    view_canvas_get(&c, 20, 19, rgb);
    CHECK(rgb[0] == 0);
    view_canvas_clear(&c, view_rgba(0, 0, 0, 255));
    double sq[8] = {5, 5, 35, 5, 35, 25, 5, 25};
    view_canvas_outline(&c, sq, 4, 1, 0, view_rgba(255, 255, 255, 255));
    uint8_t white[3] = {255, 255, 255};
    int     solid    = count_color(px, W * H, white);
    view_canvas_clear(&c, view_rgba(0, 0, 0, 255));
    view_canvas_outline(&c, sq, 4, 1, 3, view_rgba(255, 255, 255, 255));
    int dashed = count_color(px, W * H, white);
    CHECK(dashed > solid / 4 && dashed < solid * 3 / 4);
    /* gray canvases store luminance */
    uint8_t    g[4];
    ViewCanvas gc = view_canvas_wrap(g, 2, 2, 1);
    view_canvas_clear(&gc, view_rgba(255, 255, 255, 255));
    CHECK(g[0] == 254 || g[0] == 255);
    view_canvas_pixel(&gc, 1, 1, view_rgba(255, 0, 0, 255));
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
        CHECK(view_png_encode(px, W, H, ch, &png, &n));
        memset(back, 0, sizeof back);
        CHECK(png_decode(png, n, back, W, H) == ch);
        CHECK(memcmp(px, back, (size_t)W * H * ch) == 0);
        free(png);
    }
    uint8_t* png;
    size_t   n;
    CHECK(!view_png_encode((const uint8_t*)"", 0, 5, 3, &png, &n));
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
    view_render_world(w, rect, a, W, H, 3);
    view_render_world(w, rect, b, W, H, 3);
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
    view_render_world(w, rect, b, W, H, 3);
    double x1 = color_centroid(b, W, H, rubber->rgb);
    SimBodyState st;
    CHECK(sim_world_body(w, box, &st));
    CHECK(x1 > x0 + 2);
    CHECK(fabs((x1 - x0) - (st.x + 1) * 16) < 3);
    /* gray frames are the luminance of the colour frames */
    view_render_world(w, rect, g, W, H, 1);
    for (int i = 0; i < W * H; i++) CHECK(g[i] == ((77 * b[3 * i] + 150 * b[3 * i + 1] + 29 * b[3 * i + 2]) >> 8));
    sim_world_destroy(w);
}

/* the session without a window: mouse push, grab (incl. a held glass that breaks), spawn, keys */
static const char* scene_text =
    "world bounds -3 -1 3 4\n"
    "body floor box stone static pos 0 -0.05 size 6 0.1\n"
    "body crate box wood pos -0.5 0.05 size 0.1 0.1\n"
    "body glass cup glass pos 0.5 0.06 size 0.08 0.12\n";

static void screen_of(ViewSession* s, double wx, double wy, double* sx, double* sy) {
    ViewCamera cam = view_session_camera(s, 0);
    view_camera_to_screen(&cam, wx, wy, sx, sy);
}

static void test_session(void) {
    char path[] = "/tmp/nudge-test-view-XXXXXX.scn";
    int  fd     = mkstemps(path, 4);
    CHECK(fd >= 0);
    if (fd < 0) return;
    CHECK(write(fd, scene_text, strlen(scene_text)) == (ssize_t)strlen(scene_text));
    close(fd);
    ViewOptions o = view_options_default();
    o.scenario    = path;
    o.agent       = SCN_AGENT_NONE;
    o.headless    = true;
    o.train       = false;
    ViewSession* s = calloc(1, sizeof *s);
    char         err[512];
    bool         ok = view_session_init(s, &o, false, err, sizeof err);
    if (!ok) fprintf(stderr, "%s\n", err);
    CHECK(ok);
    unlink(path);
    if (!ok) {
        view_session_free(s);
        free(s);
        return;
    }
    enum { W = 800, H = 500 };
    static uint8_t px[W * H * 3];
    ViewCanvas     c = view_canvas_wrap(px, W, H, 3);
    view_session_draw(s, &c);
    CHECK(s->world_w > 0 && s->world_w < W);
    for (int i = 0; i < 30; i++) view_session_tick(s);
    SimWorld*    w     = s->ep.world;
    int32_t      crate = sim_world_find(w, "crate"), glass = sim_world_find(w, "glass");
    SimBodyState b0, b1;
    CHECK(sim_world_body(w, crate, &b0));

    /* left drag to the right from the crate: a push to the right on release */
    double sx, sy;
    screen_of(s, b0.x, b0.y, &sx, &sy);
    view_session_mouse_down(s, 1, sx, sy);
    CHECK(s->drag_id == crate);
    view_session_mouse_move(s, sx + 60, sy);
    view_session_draw(s, &c); /* draws the arrow */
    view_session_mouse_up(s, 1, sx + 60, sy);
    CHECK(s->has_pending && s->pending.body == crate && s->pending.jx > 0 && fabs(s->pending.jy) < 1e-9);
    view_session_tick(s);
    CHECK(sim_world_body(w, crate, &b1) && b1.vx > 0.2);
    for (int i = 0; i < 90; i++) view_session_tick(s);

    /* right drag: the crate follows the mouse up */
    CHECK(sim_world_body(w, crate, &b0));
    screen_of(s, b0.x, b0.y, &sx, &sy);
    view_session_mouse_down(s, 3, sx, sy);
    CHECK(s->grab_id == crate);
    double tx, ty;
    screen_of(s, b0.x, b0.y + 0.4, &tx, &ty);
    view_session_mouse_move(s, tx, ty);
    for (int i = 0; i < 60; i++) view_session_tick(s);
    CHECK(sim_world_body(w, crate, &b1) && fabs(b1.y - (b0.y + 0.4)) < 0.05 && fabs(b1.x - b0.x) < 0.05);
    view_session_draw(s, &c);
    view_session_mouse_up(s, 3, tx, ty);
    CHECK(s->grab_id < 0 && s->joint == NULL);

    /* hold the glass, lift it and slam it into the floor: it breaks while held, and the joint goes */
    SimBodyState g;
    CHECK(sim_world_body(w, glass, &g) && g.alive);
    screen_of(s, g.x, g.y, &sx, &sy);
    view_session_mouse_down(s, 3, sx, sy);
    CHECK(s->grab_id == glass);
    screen_of(s, g.x, g.y + 1.0, &tx, &ty);
    view_session_mouse_move(s, tx, ty);
    for (int i = 0; i < 60; i++) view_session_tick(s);
    screen_of(s, g.x, -0.9, &tx, &ty);
    view_session_mouse_move(s, tx, ty);
    for (int i = 0; i < 120 && s->grab_id >= 0; i++) view_session_tick(s);
    CHECK(sim_world_body(w, glass, &g) && g.broken && !g.alive);
    CHECK(s->grab_id < 0 && s->joint == NULL);
    for (int i = 0; i < 10; i++) view_session_tick(s);
    view_session_mouse_up(s, 3, tx, ty);

    /* spawn at the mouse, keys */
    int before = sim_world_id_count(w);
    screen_of(s, 0, 1.0, &sx, &sy);
    view_session_mouse_move(s, sx, sy);
    view_session_action(s, VIEW_ACT_SPAWN, 0);
    CHECK(sim_world_id_count(w) == before + 1);
    SimBodyState sp;
    CHECK(sim_world_body(w, before, &sp) && sp.kind == SIM_KIND_BOX && fabs(sp.x) < 0.02 && fabs(sp.y - 1.0) < 0.02);
    view_session_action(s, VIEW_ACT_PALETTE, 0);
    CHECK(s->palette == VIEW_PAL_BALL);
    view_session_action(s, VIEW_ACT_HORIZON_UP, 0);
    CHECK(s->live.horizon == VIEW_ERR_TICKS + 10);
    view_session_tick(s);
    CHECK(s->live.roll_len >= s->live.horizon && s->live.has_roll);
    double gx, gy, ga;
    CHECK(view_live_predicted(&s->live, crate, s->live.horizon, &gx, &gy, &ga));
    view_session_action(s, VIEW_ACT_PAUSE, 0);
    CHECK(s->paused);
    int64_t eps = s->episodes;
    view_session_action(s, VIEW_ACT_RESET, 0);
    CHECK(s->episodes == eps + 1 && s->ep.world != w && sim_world_time(s->ep.world) == 0);
    /* split: the imagination starts at the next tick from the real state */
    view_session_action(s, VIEW_ACT_SPLIT, 0);
    view_session_tick(s);
    CHECK(s->live.imag_on && s->live.imag_mask[crate]);
    view_session_draw(s, &c);
    view_session_free(s);
    free(s);
}

/* a scripted push late in the episode happens: settled bodies do not end the episode before it */
static void test_late_push(void) {
    static const char* text = "body floor box stone static pos 0 -0.05 size 6 0.1\n"
                              "body crate box wood pos 0 0.05 size 0.1 0.1\n"
                              "at 3.0 push crate 1.0 0\n";
    char path[] = "/tmp/nudge-test-view-late-XXXXXX.scn";
    int  fd     = mkstemps(path, 4);
    CHECK(fd >= 0);
    if (fd < 0) return;
    CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    ViewOptions o = view_options_default();
    o.scenario    = path;
    o.headless    = true;
    o.train       = false;
    ViewSession* s = calloc(1, sizeof *s);
    char         err[512];
    bool         ok = view_session_init(s, &o, false, err, sizeof err);
    unlink(path);
    CHECK(ok);
    if (ok) {
        for (int i = 0; i < 200; i++) view_session_tick(s);
        SimBodyState b;
        CHECK(s->episodes == 1);
        CHECK(sim_world_body(s->ep.world, sim_world_find(s->ep.world, "crate"), &b) && b.x > 0.1);
    }
    view_session_free(s);
    free(s);
}

int main(void) {
    sim_quiet_chipmunk();
    test_camera();
    test_picking();
    test_keymap();
    test_canvas();
    test_png();
    test_render();
    test_session();
    test_late_push();
    return ensure_finish("test_view");
}
