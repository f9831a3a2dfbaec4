/*
 * Workload 1, C liburing: random 4 KiB reads from a (page-cached) file at queue depth QD.
 * READ_FIXED into registered buffers from a registered file, QD reads kept in flight, every
 * completion re-armed in place, one io_uring_enter per batch (submit the re-armed reads and wait
 * for at least one more completion). Falls back to plain reads / a plain fd if registering fails.
 *
 *   read4k <file> <qd> <seconds> <warmup-seconds>
 */
#define BENCH_URING
#include "common.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <unistd.h>

#define BS 4096

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: read4k <file> <qd> <seconds> <warmup-seconds>\n");
    return 2;
  }
  const char *path = argv[1];
  unsigned qd = (unsigned)atoi(argv[2]);
  double seconds = atof(argv[3]), warmup = atof(argv[4]);
  if (qd < 1 || qd > 4096) die("qd", EINVAL);

  int fd = open(path, O_RDONLY);
  if (fd < 0) die(path, errno);
  struct stat st;
  if (fstat(fd, &st) < 0) die("fstat", errno);
  unsigned long long nblocks = (unsigned long long)st.st_size / BS;
  if (nblocks == 0) die("file too small", EINVAL);

  struct io_uring ring;
  const char *setup = setup_ring(&ring, qd, 0);

  char *mem = mmap(NULL, (size_t)qd * BS, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) die("mmap", errno);
  struct iovec *iov = calloc(qd, sizeof(*iov));
  for (unsigned i = 0; i < qd; i++) {
    iov[i].iov_base = mem + (size_t)i * BS;
    iov[i].iov_len = BS;
  }
  int fixed_buf = io_uring_register_buffers(&ring, iov, qd) == 0;
  int fixed_file = io_uring_register_files(&ring, &fd, 1) == 0;

  struct phase ph;
  unsigned long long ops = 0;
  unsigned inflight = 0;
  int go = 1;

#define ARM(i)                                                                    \
  do {                                                                            \
    struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);                           \
    off_t off = (off_t)((rng_next() >> 11) % nblocks) * BS;                       \
    if (fixed_buf)                                                                \
      io_uring_prep_read_fixed(sqe, fixed_file ? 0 : fd, iov[i].iov_base, BS, off, (int)(i)); \
    else                                                                          \
      io_uring_prep_read(sqe, fixed_file ? 0 : fd, iov[i].iov_base, BS, off);     \
    if (fixed_file) sqe->flags |= IOSQE_FIXED_FILE;                               \
    sqe->user_data = (i);                                                         \
    inflight++;                                                                   \
  } while (0)

  phase_init(&ph, warmup, seconds);
  for (unsigned i = 0; i < qd; i++) ARM(i);
  while (inflight > 0) {
    int ret = io_uring_submit_and_wait(&ring, 1);
    if (ret < 0 && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY) die("io_uring_submit_and_wait", ret);
    struct io_uring_cqe *cqe;
    unsigned head, n = 0;
    io_uring_for_each_cqe(&ring, head, cqe) {
      if (cqe->res != BS) die("read", cqe->res < 0 ? cqe->res : EIO);
      unsigned i = (unsigned)cqe->user_data;
      n++;
      inflight--;
      if (go) ARM(i);
    }
    io_uring_cq_advance(&ring, n);
    ops += n;
    if (go) go = phase_tick(&ph, ops);
  }
  char extra[160];
  snprintf(extra, sizeof(extra), "\"setup\":\"%s\",\"fixedBuf\":%s,\"fixedFile\":%s", setup,
           fixed_buf ? "true" : "false", fixed_file ? "true" : "false");
  phase_report(&ph, ops, extra);
  io_uring_queue_exit(&ring);
  return 0;
}
