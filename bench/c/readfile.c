/*
 * Workload 3, C liburing: small files read whole, QD chains in flight. Each file is one linked
 * chain openat(direct, into fixed slot i) -> read(fixed file i, into registered buffer i) ->
 * close(direct slot i); the read asks for more than the file holds (a read-whole does not know
 * the size), and a short read breaks a plain link, so read -> close is a hard link. When a chain's close completes the next file's chain is queued in its
 * place. One io_uring_submit_and_wait(1) per batch; all ready CQEs reaped at once.
 *
 *   readfile <dir> <count> <size> <qd> <seconds> <warmup-seconds>
 */
#define BENCH_URING
#include "common.h"
#include "files.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#define BUFSZ 65536 /* bigger than the files: one read returns the whole file */

enum { OPEN = 0, READ = 1, CLOSE = 2 };

int main(int argc, char **argv) {
  if (argc < 7) {
    fprintf(stderr, "usage: readfile <dir> <count> <size> <qd> <seconds> <warmup-seconds>\n");
    return 2;
  }
  const char *dir = argv[1];
  unsigned count = (unsigned)atoi(argv[2]);
  int size = atoi(argv[3]);
  unsigned qd = (unsigned)atoi(argv[4]);
  double seconds = atof(argv[5]), warmup = atof(argv[6]);
  if (qd < 1 || qd > 1024 || count < 1 || size < 1 || size > BUFSZ) die("arguments", EINVAL);
  char **names = file_names(dir, count);

  struct io_uring ring;
  unsigned entries = 1;
  while (entries < qd * 3) entries <<= 1;
  const char *setup = setup_ring(&ring, entries, entries * 2);

  int ret = io_uring_register_files_sparse(&ring, qd);
  if (ret < 0) die("io_uring_register_files_sparse", ret);
  char *mem = mmap(NULL, (size_t)qd * BUFSZ, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) die("mmap", errno);
  struct iovec *iov = calloc(qd, sizeof(*iov));
  for (unsigned i = 0; i < qd; i++) {
    iov[i].iov_base = mem + (size_t)i * BUFSZ;
    iov[i].iov_len = BUFSZ;
  }
  int fixed_buf = io_uring_register_buffers(&ring, iov, qd) == 0;

  struct phase ph;
  unsigned long long ops = 0;
  unsigned inflight = 0, next = 0;
  int go = 1;

  /* user_data: slot << 2 | step */
#define ARM(slot)                                                                         \
  do {                                                                                    \
    struct io_uring_sqe *s = io_uring_get_sqe(&ring);                                     \
    io_uring_prep_openat_direct(s, AT_FDCWD, names[next], O_RDONLY, 0, (slot));           \
    s->flags |= IOSQE_IO_LINK;                                                            \
    s->user_data = ((__u64)(slot) << 2) | OPEN;                                           \
    s = io_uring_get_sqe(&ring);                                                          \
    if (fixed_buf)                                                                        \
      io_uring_prep_read_fixed(s, (slot), iov[slot].iov_base, BUFSZ, 0, (int)(slot));     \
    else                                                                                  \
      io_uring_prep_read(s, (slot), iov[slot].iov_base, BUFSZ, 0);                        \
    s->flags |= IOSQE_FIXED_FILE | IOSQE_IO_HARDLINK;                                     \
    s->user_data = ((__u64)(slot) << 2) | READ;                                           \
    s = io_uring_get_sqe(&ring);                                                          \
    io_uring_prep_close_direct(s, (slot));                                                \
    s->user_data = ((__u64)(slot) << 2) | CLOSE;                                          \
    if (++next == count) next = 0;                                                        \
    inflight++;                                                                           \
  } while (0)

  phase_init(&ph, warmup, seconds);
  for (unsigned i = 0; i < qd; i++) ARM(i);
  while (inflight > 0) {
    ret = io_uring_submit_and_wait(&ring, 1);
    if (ret < 0 && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY) die("io_uring_submit_and_wait", ret);
    struct io_uring_cqe *cqe;
    unsigned head, n = 0, done = 0;
    io_uring_for_each_cqe(&ring, head, cqe) {
      unsigned slot = (unsigned)(cqe->user_data >> 2), step = (unsigned)(cqe->user_data & 3);
      n++;
      if (step == OPEN && cqe->res < 0) die("openat", cqe->res);
      if (step == READ && cqe->res != size) die("read", cqe->res < 0 ? cqe->res : EIO);
      if (step == CLOSE) {
        if (cqe->res < 0) die("close", cqe->res);
        inflight--;
        done++;
        if (go) ARM(slot);
      }
    }
    io_uring_cq_advance(&ring, n);
    ops += done;
    if (go && done) go = phase_tick(&ph, ops);
  }
  char extra[160];
  snprintf(extra, sizeof(extra), "\"setup\":\"%s\",\"fixedBuf\":%s,\"fixedFile\":true", setup, fixed_buf ? "true" : "false");
  phase_report(&ph, ops, extra);
  io_uring_queue_exit(&ring);
  return 0;
}
