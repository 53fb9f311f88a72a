/* video: frames into an MP4 file through Debian's ffmpeg, by a pipe (no libav* at build time).
 *
 * render_video_open finds ffmpeg on PATH, checks that the folder of the output can be written, and
 * starts `ffmpeg -f rawvideo -pix_fmt rgb24 -s WxH -r FPS -i - -c:v libx264 -pix_fmt yuv420p ...`
 * writing to a temporary name next to the output; render_video_close waits for it and renames the
 * file into place only when ffmpeg succeeded. So a missing ffmpeg, an unwritable folder or a failed
 * encode is one line, and no half-written file is ever left under the final name. A symbolic link
 * at the output is written through (the file it names is replaced); a device or FIFO is never
 * replaced: the finished file is copied into it. Width and height
 * must be even (H.264 with 4:2:0 colour). SIGPIPE is ignored once a video is open (a dying ffmpeg
 * makes writes fail instead of killing nudge). */
#ifndef NUDGE_RENDER_VIDEO_H
#define NUDGE_RENDER_VIDEO_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct RenderVideo RenderVideo;

/// starts encoding w x h RGB frames (even sizes, 16..8192) at fps (1..240) into path (.mp4);
/// NULL + one line ("cannot film: ffmpeg is not installed ...", "out.mp4: cannot write in
/// /no/such: No such file or directory")
RenderVideo* render_video_open(const char* path, int w, int h, int fps, char* err, size_t err_size);
/// appends one frame of w * h * 3 bytes (rows top to bottom); false once writing failed (the
/// reason comes from render_video_close)
bool         render_video_frame(RenderVideo* v, const uint8_t* rgb);
/// frames written so far
int64_t      render_video_frames(const RenderVideo* v);
/// finishes the file: false + one line when ffmpeg failed (nothing is left under path then).
/// NULL-safe
bool         render_video_close(RenderVideo* v, char* err, size_t err_size);
/// stops encoding and removes the temporary file (an aborted run); NULL-safe
void         render_video_abort(RenderVideo* v);

#endif
