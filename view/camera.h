/* camera: the world <-> screen transform (world: metres, y up; screen: pixels, y down). */
#ifndef NUDGE_VIEW_CAMERA_H
#define NUDGE_VIEW_CAMERA_H

typedef struct ViewCamera {
    double scale;       /* pixels per metre */
    double cx, cy;      /* world point (m) shown at the screen point (sx, sy) */
    double sx, sy;      /* pixels */
} ViewCamera;

/// a camera that fits the world rectangle rect = {xmin, ymin, xmax, ymax} (m) into the screen
/// rectangle [x0, x0 + w) x [y0, y0 + h) (pixels), centred, aspect kept
ViewCamera view_camera_fit(const double rect[4], double x0, double y0, double w, double h);
/// world (m) -> screen (pixels)
void view_camera_to_screen(const ViewCamera* c, double wx, double wy, double* sx, double* sy);
/// screen (pixels) -> world (m)
void view_camera_to_world(const ViewCamera* c, double sx, double sy, double* wx, double* wy);
/// zooms by factor f (> 1 zooms in) keeping the world point under screen point (px, py) fixed
void view_camera_zoom(ViewCamera* c, double f, double px, double py);

#endif
