/* camera: the world <-> screen transform (world: metres, y up; screen: pixels, y down). */
#ifndef NUDGE_RENDER_CAMERA_H
#define NUDGE_RENDER_CAMERA_H

typedef struct RenderCamera {
    double scale;       /* pixels per metre */
    double cx, cy;      /* world point (m) shown at the screen point (sx, sy) */
    double sx, sy;      /* pixels */
} RenderCamera;

/// a camera that fits the world rectangle rect = {xmin, ymin, xmax, ymax} (m) into the screen
/// rectangle [x0, x0 + w) x [y0, y0 + h) (pixels), centred, aspect kept
RenderCamera render_camera_fit(const double rect[4], double x0, double y0, double w, double h);
/// world (m) -> screen (pixels)
void render_camera_to_screen(const RenderCamera* c, double wx, double wy, double* sx, double* sy);
/// screen (pixels) -> world (m)
void render_camera_to_world(const RenderCamera* c, double sx, double sy, double* wx, double* wy);
/// zooms by factor f (> 1 zooms in) keeping the world point under screen point (px, py) fixed
void render_camera_zoom(RenderCamera* c, double f, double px, double py);

#endif
