/*
 * Workload 5, C liburing: copies a (page-cached) file to a fresh file in the same directory,
 * over and over; one op = one MiB copied.
 *
 * QD linked pairs in flight: READ_FIXED of CHUNK bytes from the source (registered file slot 0)
 * into registered buffer i -> WRITE_FIXED of the same bytes from buffer i to the destination
 * (slot 1). The read is IOSQE_CQE_SKIP_SUCCESS (only the write posts a CQE when all went well);
 * when pair i's write completes, pair i is re-armed for the next chunk of the file. One
 * io_uring_submit_and_wait(1) per batch. Ring: SINGLE_ISSUER + DEFER_TASKRUN (fallbacks in
 * common.h), registered ring fd.
 *
 * Mode `splice` instead: QD pipes of CHUNK bytes (F_SETPIPE_SZ), each pair a linked SPLICE
 * source -> pipe i (CQE_SKIP_SUCCESS) -> SPLICE pipe i -> destination: one copy of the bytes
 * (page cache to page cache) instead of two, but io_uring runs every splice on an io-wq worker,
 * and Node has no F_SETPIPE_SZ (a default pipe holds 64 KiB). Plain fds here.
 *
 * Per copy: open(dest, O_CREAT|O_TRUNC) with the source's mode, the fd into file slot 1,
 * copy, fstat (the size must be the source's), close, unlink (so its dirty pages are dropped,
 * not written back). Once per process, after the first copy, 64 sampled blocks (and the last
 * one) of the copy are compared with the source.
 *
 *   copy-uring <rw|splice> <src> <dest> <chunk-bytes> <qd> <seconds> <warmup-seconds>
 */
#define BENCH_URING
#include "common.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MiB (1024ULL * 1024ULL)

int main(int argc, char **argv) {
  if (argc < 8) {
    fprintf(stderr, "usage: copy-uring <rw|splice> <src> <dest> <chunk-bytes> <qd> <seconds> <warmup-seconds>\n");
    return 2;
  }
  int splice_mode = strcmp(argv[1], "splice") == 0;
  if (!splice_mode && strcmp(argv[1], "rw") != 0) die("mode (rw or splice)", EINVAL);
  const char *src = argv[2], *dest = argv[3];
  unsigned long long chunk = strtoull(argv[4], NULL, 10);
  unsigned qd = (unsigned)atoi(argv[5]);
  double seconds = atof(argv[6]), warmup = atof(argv[7]);
  if (chunk < 4096 || chunk > 64 * MiB || chunk % 4096) die("chunk", EINVAL);
  if (qd < 1 || qd > 1024) die("qd", EINVAL);

  int sfd = open(src, O_RDONLY);
  if (sfd < 0) die(src, errno);
  struct stat st;
  if (fstat(sfd, &st) < 0) die("fstat", errno);
  unsigned long long size = (unsigned long long)st.st_size;
  if (size == 0 || size % MiB) die("the source must be a whole number of MiB", EINVAL);

  struct io_uring ring;
  const char *setup = setup_ring(&ring, 2 * qd, 0);

  /* The buffers (splice mode needs none: its bytes go through the pipes). */
  char *mem = mmap(NULL, (size_t)((splice_mode ? 1 : qd) * chunk), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) die("mmap", errno);
  struct iovec *iov = calloc(qd, sizeof(*iov));
  for (unsigned i = 0; i < qd; i++) {
    iov[i].iov_base = mem + (splice_mode ? 0 : i * chunk);
    iov[i].iov_len = chunk;
  }
  int ret = splice_mode ? 0 : io_uring_register_buffers(&ring, iov, qd);
  if (ret < 0) die("io_uring_register_buffers", ret);
  ret = io_uring_register_files_sparse(&ring, 2);
  if (ret < 0) die("io_uring_register_files_sparse", ret);
  ret = io_uring_register_files_update(&ring, 0, &sfd, 1);
  if (ret < 0) die("io_uring_register_files_update", ret);
  int (*pipes)[2] = calloc(qd, sizeof(*pipes));
  for (unsigned i = 0; splice_mode && i < qd; i++) {
    if (pipe2(pipes[i], O_CLOEXEC) < 0) die("pipe2", errno);
    if (fcntl(pipes[i][1], F_SETPIPE_SZ, (int)chunk) < 0) die("F_SETPIPE_SZ", errno);
  }

  struct phase ph;
  unsigned long long ops = 0, copies = 0;
  phase_init(&ph, warmup, seconds);
  do {
    int dfd = open(dest, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, st.st_mode & 07777);
    if (dfd < 0) die(dest, errno);
    ret = io_uring_register_files_update(&ring, 1, &dfd, 1);
    if (ret < 0) die("io_uring_register_files_update", ret);

    unsigned long long next = 0; /* offset of the next chunk to arm */
    unsigned inflight = 0;
#define ARM(i)                                                                               \
  do {                                                                                       \
    unsigned len = (unsigned)(size - next < chunk ? size - next : chunk);                    \
    struct io_uring_sqe *r = io_uring_get_sqe(&ring);                                        \
    struct io_uring_sqe *w = io_uring_get_sqe(&ring);                                        \
    if (splice_mode) {                                                                       \
      io_uring_prep_splice(r, sfd, (int64_t)next, pipes[i][1], -1, len, 0);                  \
      io_uring_prep_splice(w, pipes[i][0], -1, dfd, (int64_t)next, len, 0);                  \
    } else {                                                                                 \
      io_uring_prep_read_fixed(r, 0, iov[i].iov_base, len, next, (int)(i));                  \
      io_uring_prep_write_fixed(w, 1, iov[i].iov_base, len, next, (int)(i));                 \
      r->flags |= IOSQE_FIXED_FILE;                                                          \
      w->flags |= IOSQE_FIXED_FILE;                                                          \
    }                                                                                        \
    r->flags |= IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS;                                      \
    r->user_data = ((unsigned long long)(i) << 1);                                           \
    w->user_data = ((unsigned long long)(i) << 1) | 1 | ((unsigned long long)len << 32);     \
    next += len;                                                                             \
    inflight++;                                                                              \
  } while (0)

    for (unsigned i = 0; i < qd && next < size; i++) ARM(i);
    while (inflight > 0) {
      ret = io_uring_submit_and_wait(&ring, 1);
      if (ret < 0 && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY) die("io_uring_submit_and_wait", ret);
      struct io_uring_cqe *cqe;
      unsigned head, n = 0;
      io_uring_for_each_cqe(&ring, head, cqe) {
        unsigned long long ud = cqe->user_data;
        n++;
        /* A read only posts when it failed (or came short: its write is then cancelled). */
        if (!(ud & 1)) die(splice_mode ? "splice to the pipe" : "read", cqe->res < 0 ? cqe->res : EIO);
        if (cqe->res != (int)(ud >> 32)) die("write", cqe->res < 0 ? cqe->res : EIO);
        inflight--;
        unsigned i = (unsigned)((ud & 0xffffffffULL) >> 1);
        if (next < size) ARM(i);
      }
      io_uring_cq_advance(&ring, n);
    }
    struct stat dst;
    if (fstat(dfd, &dst) < 0) die("fstat", errno);
    if ((unsigned long long)dst.st_size != size) {
      fprintf(stderr, "copy: the copy has %lld bytes, the source %llu\n", (long long)dst.st_size, size);
      return 1;
    }
    if (copies++ == 0) verify_copy(sfd, dfd, size);
    /* Empty slot 1 first: a file still in the table would keep the unlinked inode (and its
     * dirty pages) alive past unlink, to be freed later, off this copy's clock. */
    int none = -1;
    ret = io_uring_register_files_update(&ring, 1, &none, 1);
    if (ret < 0) die("io_uring_register_files_update", ret);
    close(dfd);
    if (unlink(dest) < 0) die("unlink", errno);
    ops += size / MiB;
  } while (phase_tick(&ph, ops));

  char extra[200];
  snprintf(extra, sizeof(extra), "\"mode\":\"%s\",\"setup\":\"%s\",\"fixedBuf\":%s,\"fixedFile\":%s,\"chunk\":%llu,\"qd\":%u,\"copies\":%llu",
           splice_mode ? "splice" : "read/write", setup, splice_mode ? "false" : "true", splice_mode ? "false" : "true", chunk, qd, copies);
  phase_report(&ph, ops, extra);
  io_uring_queue_exit(&ring);
  return 0;
}
