/*
 * Workload 3, plain C: small files read whole, one at a time: open + read + close.
 *
 *   openread <dir> <count> <size> <seconds> <warmup-seconds>
 */
#include "common.h"
#include "files.h"
#include <fcntl.h>
#include <unistd.h>

#define BUFSZ 65536

int main(int argc, char **argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: openread <dir> <count> <size> <seconds> <warmup-seconds>\n");
    return 2;
  }
  const char *dir = argv[1];
  unsigned count = (unsigned)atoi(argv[2]);
  int size = atoi(argv[3]);
  double seconds = atof(argv[4]), warmup = atof(argv[5]);
  if (count < 1 || size < 1 || size > BUFSZ) die("arguments", EINVAL);
  char **names = file_names(dir, count);
  static char buf[BUFSZ];
  struct phase ph;
  unsigned long long ops = 0;
  unsigned next = 0;
  phase_init(&ph, warmup, seconds);
  do {
    for (int k = 0; k < 32; k++) {
      int fd = open(names[next], O_RDONLY | O_CLOEXEC);
      if (fd < 0) die(names[next], errno);
      ssize_t n = read(fd, buf, BUFSZ);
      if (n != size) die("read", n < 0 ? errno : EIO);
      close(fd);
      if (++next == count) next = 0;
    }
    ops += 32;
  } while (phase_tick(&ph, ops));
  phase_report(&ph, ops, NULL);
  return 0;
}
