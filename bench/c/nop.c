/*
 * Workload 2, C liburing: NOPs in batches of B. Each round queues B NOPs, submits them and
 * waits for their B completions with one io_uring_enter, then reaps them all at once.
 *
 *   nop <batch> <seconds> <warmup-seconds>
 */
#define BENCH_URING
#include "common.h"

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: nop <batch> <seconds> <warmup-seconds>\n");
    return 2;
  }
  unsigned batch = (unsigned)atoi(argv[1]);
  double seconds = atof(argv[2]), warmup = atof(argv[3]);
  if (batch < 1 || batch > 32768) die("batch", EINVAL);

  struct io_uring ring;
  const char *setup = setup_ring(&ring, batch, 2 * batch);
  struct phase ph;
  unsigned long long ops = 0;
  phase_init(&ph, warmup, seconds);
  do {
    for (unsigned i = 0; i < batch; i++) {
      struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
      io_uring_prep_nop(sqe);
      sqe->user_data = i;
    }
    int ret = io_uring_submit_and_wait(&ring, batch);
    if (ret < 0 && ret != -EINTR) die("io_uring_submit_and_wait", ret);
    struct io_uring_cqe *cqe;
    unsigned head, n = 0;
    io_uring_for_each_cqe(&ring, head, cqe) {
      if (cqe->res < 0) die("nop", cqe->res);
      n++;
    }
    io_uring_cq_advance(&ring, n);
    ops += n;
    /* A short wait (EINTR) leaves CQEs behind: collect them before the next batch. */
    while (n < batch) {
      ret = io_uring_wait_cqe_nr(&ring, &cqe, batch - n);
      if (ret < 0 && ret != -EINTR) die("io_uring_wait_cqe_nr", ret);
      unsigned m = 0;
      io_uring_for_each_cqe(&ring, head, cqe) m++;
      io_uring_cq_advance(&ring, m);
      n += m;
      ops += m;
    }
  } while (phase_tick(&ph, ops));
  char extra[96];
  snprintf(extra, sizeof(extra), "\"setup\":\"%s\"", setup);
  phase_report(&ph, ops, extra);
  io_uring_queue_exit(&ring);
  return 0;
}
