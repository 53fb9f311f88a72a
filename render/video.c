#include "render/video.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/atomic_file.h"
#include "base/report.h"

struct RenderVideo {
    pid_t   pid;
    int     fd;            /* the pipe into ffmpeg's stdin */
    int     w, h;
    int64_t frames;
    bool    failed;
    bool    direct;        /* the output is a device or FIFO: the finished file is copied into it */
    char    path[PATH_MAX];    /* as given, for messages */
    char    target[PATH_MAX];  /* path with its symbolic links followed: what a rename replaces */
    char    tmp[PATH_MAX + 32];
    char    log[PATH_MAX + 32]; /* ffmpeg's stderr, for the message when it fails */
};

/* ffmpeg's full path from PATH, or false */
static bool find_ffmpeg(char* out, size_t size) {
    const char* path = getenv("PATH");
    if (!path || !*path) return false;
    char* dirs = alloc_strdup(path);
    bool found = false;
    for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
        snprintf(out, size, "%s/ffmpeg", *d ? d : ".");
        found = access(out, X_OK) == 0;
    }
    free(dirs);
    return found;
}

RenderVideo* render_video_open(const char* path, int w, int h, int fps, char* err, size_t err_size) {
    if (w < 16 || h < 16 || w > 8192 || h > 8192 || (w & 1) || (h & 1)) {
        report_set(err, err_size, "%s: a video of %dx%d pixels: width and height must be even, 16..8192", path, w, h);
        return NULL;
    }
    if (fps < 1 || fps > 240) {
        report_set(err, err_size, "%s: %d frames per second: expected 1..240", path, fps);
        return NULL;
    }
    char ffmpeg[PATH_MAX];
    if (!find_ffmpeg(ffmpeg, sizeof ffmpeg)) {
        report_set(err, err_size, "cannot film %s: ffmpeg is not installed or not on PATH (Debian: apt-get install ffmpeg; scripts/deps.sh installs it)", path);
        return NULL;
    }
    RenderVideo* v = alloc_zeroed(1, sizeof *v);
    v->w = w, v->h = h, v->fd = -1, v->pid = -1;
    snprintf(v->path, sizeof v->path, "%s", path);
    /* a link is written through (the file it names is replaced, the link stays); a device or a
       FIFO is never replaced by a file: ffmpeg writes a temporary file elsewhere (an MP4 needs a
       seekable file), copied into the device when it is finished */
    if (!atomic_file_target(path, v->target, sizeof v->target, err, err_size)) {
        free(v);
        return NULL;
    }
    struct stat st;
    bool exists = stat(v->target, &st) == 0;
    if (exists && S_ISDIR(st.st_mode)) {
        report_set(err, err_size, "%s: is a folder, expected a file name", path);
        free(v);
        return NULL;
    }
    v->direct = exists && !S_ISREG(st.st_mode);
    if (exists && !v->direct && access(v->target, W_OK) != 0) {
        report_set(err, err_size, "%s: cannot write: %s", path, strerror(errno));
        free(v);
        return NULL;
    }
    const char* tmpdir = getenv("TMPDIR");
    if (v->direct) {
        if (!tmpdir || !*tmpdir) tmpdir = "/tmp";
        snprintf(v->tmp, sizeof v->tmp, "%s/nudge-video-%d.mp4", tmpdir, (int)getpid());
        snprintf(v->log, sizeof v->log, "%s/nudge-video-%d.log", tmpdir, (int)getpid());
    } else {
        /* the temporary names next to the output: the folder must take them */
        snprintf(v->tmp, sizeof v->tmp, "%s.tmp-%d.mp4", v->target, (int)getpid());
        snprintf(v->log, sizeof v->log, "%s.tmp-%d.log", v->target, (int)getpid());
    }
    int probe = open(v->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (probe < 0) {
        char dir[PATH_MAX + 32];
        snprintf(dir, sizeof dir, "%s", v->tmp);
        report_set(err, err_size, "%s: cannot write in %s: %s", path, dirname(dir), strerror(errno));
        free(v);
        return NULL;
    }
    close(probe);
    int logfd = open(v->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int pipefd[2];
    if (logfd < 0 || pipe(pipefd) != 0) {
        report_set(err, err_size, "%s: cannot start ffmpeg: %s", path, strerror(errno));
        if (logfd >= 0) close(logfd);
        unlink(v->tmp), unlink(v->log);
        free(v);
        return NULL;
    }
    char size[32], rate[16];
    snprintf(size, sizeof size, "%dx%d", w, h);
    snprintf(rate, sizeof rate, "%d", fps);
    /* a dying ffmpeg makes our writes fail, not kill us */
    signal(SIGPIPE, SIG_IGN);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pipefd[0], 0);
        dup2(logfd, 1);
        dup2(logfd, 2);
        close(pipefd[0]), close(pipefd[1]), close(logfd);
        execl(ffmpeg, "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
              "-s", size, "-r", rate, "-i", "-", "-an", "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt",
              "yuv420p", "-movflags", "+faststart", "-f", "mp4", v->tmp, (char*)NULL);
        _exit(127);
    }
    close(pipefd[0]);
    close(logfd);
    if (pid < 0) {
        report_set(err, err_size, "%s: cannot start ffmpeg: %s", path, strerror(errno));
        close(pipefd[1]);
        unlink(v->tmp), unlink(v->log);
        free(v);
        return NULL;
    }
    fcntl(pipefd[1], F_SETFD, FD_CLOEXEC);
    v->pid = pid;
    v->fd = pipefd[1];
    return v;
}

bool render_video_frame(RenderVideo* v, const uint8_t* rgb) {
    if (v->failed) return false;
    size_t n = (size_t)v->w * v->h * 3, done = 0;
    while (done < n) {
        ssize_t k = write(v->fd, rgb + done, n - done);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) {
            v->failed = true;
            return false;
        }
        done += (size_t)k;
    }
    v->frames++;
    return true;
}

int64_t render_video_frames(const RenderVideo* v) { return v->frames; }

/* the last line ffmpeg wrote */
static void last_line(const char* log, char* out, size_t size) {
    out[0] = 0;
    FILE* f = fopen(log, "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f))
        if (line[0] != '\n') {
            line[strcspn(line, "\n")] = 0;
            snprintf(out, size, "%s", line);
        }
    fclose(f);
}

/* the finished file's bytes into a device or FIFO (through an AtomicFile, which writes those in
   place); false + why */
static bool copy_into(const char* tmp, const char* path, char* why, size_t why_size) {
    int in = open(tmp, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        report_set(why, why_size, "cannot read the finished video: %s", strerror(errno));
        return false;
    }
    AtomicFile af;
    if (!atomic_file_open(&af, path, why, why_size)) {
        close(in);
        return false;
    }
    char buf[1 << 16];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0) atomic_file_write(&af, buf, (size_t)n);
    close(in);
    if (n < 0) {
        report_set(why, why_size, "cannot read the finished video: %s", strerror(errno));
        atomic_file_abort(&af);
        return false;
    }
    return atomic_file_commit(&af, why, why_size);
}

/* closes the pipe and waits: ffmpeg's exit status, -1 when it did not exit */
static int finish(RenderVideo* v) {
    if (v->fd >= 0) close(v->fd);
    v->fd = -1;
    int status = 0;
    while (waitpid(v->pid, &status, 0) < 0 && errno == EINTR) {}
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool render_video_close(RenderVideo* v, char* err, size_t err_size) {
    if (!v) return true;
    int code = finish(v);
    /* ffmpeg runs at -loglevel error: anything it said is an error, even when it exits 0 (it does
       after "Error writing trailer of out.mp4: File too large" under ulimit -f, leaving a cut file) */
    char why[512];
    last_line(v->log, why, sizeof why);
    bool ok = code == 0 && !v->failed && v->frames > 0 && !why[0];
    if (!ok) {
        if (v->frames == 0 && code == 0) report_set(err, err_size, "%s: no frames to film", v->path);
        else if (code == 127) report_set(err, err_size, "%s: ffmpeg could not be started", v->path);
        else report_set(err, err_size, "%s: ffmpeg failed (%s)", v->path, why[0] ? why : "no message");
        unlink(v->tmp);
    } else {
        /* ffmpeg closed it; its bytes reach the disk before the name does */
        int fd = open(v->tmp, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) fsync(fd), close(fd);
        ok = v->direct ? copy_into(v->tmp, v->path, why, sizeof why) : rename_durable(v->tmp, v->target, why, sizeof why);
        if (!ok) report_set(err, err_size, "%s: %s", v->path, why);
        unlink(v->tmp);
    }
    unlink(v->log);
    free(v);
    return ok;
}

void render_video_abort(RenderVideo* v) {
    if (!v) return;
    if (v->fd >= 0) close(v->fd);
    v->fd = -1;
    kill(v->pid, SIGTERM);
    finish(v);
    unlink(v->tmp);
    unlink(v->log);
    free(v);
}
