/*
 * Workload 1, C without io_uring: random 4 KiB pread() calls, one at a time (one syscall each).
 *
 *   pread <file> <seconds> <warmup-seconds>
 */
#include "common.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define BS 4096

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: pread <file> <seconds> <warmup-seconds>\n");
    return 2;
  }
  double seconds = atof(argv[2]), warmup = atof(argv[3]);
  int fd = open(argv[1], O_RDONLY);
  if (fd < 0) die(argv[1], errno);
  struct stat st;
  if (fstat(fd, &st) < 0) die("fstat", errno);
  unsigned long long nblocks = (unsigned long long)st.st_size / BS;
  if (nblocks == 0) die("file too small", EINVAL);
  static char buf[BS] __attribute__((aligned(4096)));
  struct phase ph;
  unsigned long long ops = 0;
  phase_init(&ph, warmup, seconds);
  do {
    /* 32 reads between clock checks, like one batch of the QD32 variants. */
    for (int i = 0; i < 32; i++) {
      off_t off = (off_t)((rng_next() >> 11) % nblocks) * BS;
      ssize_t r = pread(fd, buf, BS, off);
      if (r != BS) die("pread", r < 0 ? errno : EIO);
    }
    ops += 32;
  } while (phase_tick(&ph, ops));
  phase_report(&ph, ops, "");
  return 0;
}
