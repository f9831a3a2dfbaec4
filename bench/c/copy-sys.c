/*
 * Workload 5, C without io_uring: copies a (page-cached) file to a fresh file in the same
 * directory, over and over; one op = one MiB copied. Two ways:
 *
 *   cfr: copy_file_range(2) of everything left, in a loop (what libuv's uv_fs_copyfile does, so
 *        what fs.copyFile / fs.copyFileSync do: an in-kernel copy, no user-space buffer);
 *   rw:  read(2) CHUNK bytes into one buffer, write(2) them, in a loop.
 *
 * Per copy: open(dest, O_CREAT|O_TRUNC) with the source's mode, copy, fstat (the size must be
 * the source's), close, unlink (its dirty pages are dropped, not written back). Once per process,
 * after the first copy, 64 sampled blocks (and the last one) are compared with the source.
 *
 *   copy-sys <cfr|rw> <src> <dest> <chunk-bytes> <seconds> <warmup-seconds>
 */
#include "common.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MiB (1024ULL * 1024ULL)

int main(int argc, char **argv) {
  if (argc < 7) {
    fprintf(stderr, "usage: copy-sys <cfr|rw> <src> <dest> <chunk-bytes> <seconds> <warmup-seconds>\n");
    return 2;
  }
  int cfr = strcmp(argv[1], "cfr") == 0;
  if (!cfr && strcmp(argv[1], "rw") != 0) die("mode (cfr or rw)", EINVAL);
  const char *src = argv[2], *dest = argv[3];
  unsigned long long chunk = strtoull(argv[4], NULL, 10);
  double seconds = atof(argv[5]), warmup = atof(argv[6]);
  if (!cfr && (chunk < 4096 || chunk > 64 * MiB)) die("chunk", EINVAL);

  int sfd = open(src, O_RDONLY);
  if (sfd < 0) die(src, errno);
  struct stat st;
  if (fstat(sfd, &st) < 0) die("fstat", errno);
  unsigned long long size = (unsigned long long)st.st_size;
  if (size == 0 || size % MiB) die("the source must be a whole number of MiB", EINVAL);
  char *buf = NULL;
  if (!cfr) {
    buf = mmap(NULL, (size_t)chunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (buf == MAP_FAILED) die("mmap", errno);
  }

  struct phase ph;
  unsigned long long ops = 0, copies = 0;
  phase_init(&ph, warmup, seconds);
  do {
    int dfd = open(dest, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, st.st_mode & 07777);
    if (dfd < 0) die(dest, errno);
    unsigned long long done = 0;
    if (cfr) {
      loff_t in = 0, out = 0;
      while (done < size) {
        ssize_t n = copy_file_range(sfd, &in, dfd, &out, (size_t)(size - done), 0);
        if (n <= 0) die("copy_file_range", n < 0 ? errno : EIO);
        done += (unsigned long long)n;
      }
    } else {
      while (done < size) {
        size_t want = size - done < chunk ? (size_t)(size - done) : (size_t)chunk;
        ssize_t n = pread(sfd, buf, want, (off_t)done);
        if (n <= 0) die("read", n < 0 ? errno : EIO);
        for (ssize_t w = 0; w < n;) {
          ssize_t m = pwrite(dfd, buf + w, (size_t)(n - w), (off_t)(done + (unsigned long long)w));
          if (m <= 0) die("write", m < 0 ? errno : EIO);
          w += m;
        }
        done += (unsigned long long)n;
      }
    }
    struct stat dst;
    if (fstat(dfd, &dst) < 0) die("fstat", errno);
    if ((unsigned long long)dst.st_size != size) {
      fprintf(stderr, "copy: the copy has %lld bytes, the source %llu\n", (long long)dst.st_size, size);
      return 1;
    }
    if (copies++ == 0) verify_copy(sfd, dfd, size);
    close(dfd);
    if (unlink(dest) < 0) die("unlink", errno);
    ops += size / MiB;
  } while (phase_tick(&ph, ops));

  char extra[120];
  snprintf(extra, sizeof(extra), "\"mode\":\"%s\",\"chunk\":%llu,\"copies\":%llu", cfr ? "copy_file_range" : "read/write", cfr ? 0ULL : chunk, copies);
  phase_report(&ph, ops, extra);
  return 0;
}
