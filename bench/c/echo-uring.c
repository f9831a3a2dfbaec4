/*
 * Workload 4, C liburing server: one multishot accept; per connection one multishot recv that
 * picks its buffers from a provided-buffer ring; each received chunk is sent back from the
 * buffer it landed in, and the buffer goes back to the ring when the send completes. One
 * io_uring_submit_and_wait(1) per batch, all ready CQEs reaped at once. Ring: SINGLE_ISSUER +
 * DEFER_TASKRUN where the kernel has it (setup_ring in common.h).
 *
 *   echo-uring
 */
#define BENCH_URING
#include "common.h"
#include "echo.h"
#include <sys/mman.h>

#define NBUF 1024 /* buffers in the ring (a power of two) */
#define BUFSZ 2048
#define BGID 7

enum { ACCEPT = 1, RECV = 2, SEND = 3 };
/* user_data: type | fd << 8 | bid << 40 */
#define UD(type, fd, bid) ((__u64)(type) | ((__u64)(unsigned)(fd) << 8) | ((__u64)(bid) << 40))

static struct io_uring ring;
static struct io_uring_buf_ring *br;
static char *bufs;
static unsigned short sent_len[NBUF], sent_off[NBUF];

static struct io_uring_sqe *sqe_get(void) {
  struct io_uring_sqe *s = io_uring_get_sqe(&ring);
  if (!s) {
    io_uring_submit(&ring);
    s = io_uring_get_sqe(&ring);
    if (!s) die("io_uring_get_sqe", EBUSY);
  }
  return s;
}

static void arm_accept(int lfd) {
  struct io_uring_sqe *s = sqe_get();
  io_uring_prep_multishot_accept(s, lfd, NULL, NULL, SOCK_CLOEXEC);
  s->user_data = UD(ACCEPT, lfd, 0);
}

static void arm_recv(int fd) {
  struct io_uring_sqe *s = sqe_get();
  io_uring_prep_recv_multishot(s, fd, NULL, 0, 0);
  s->flags |= IOSQE_BUFFER_SELECT;
  s->buf_group = BGID;
  s->user_data = UD(RECV, fd, 0);
}

static void send_from(int fd, unsigned bid) {
  struct io_uring_sqe *s = sqe_get();
  io_uring_prep_send(s, fd, bufs + (size_t)bid * BUFSZ + sent_off[bid], sent_len[bid] - sent_off[bid], MSG_NOSIGNAL);
  s->user_data = UD(SEND, fd, bid);
}

static void give_back(unsigned bid) {
  io_uring_buf_ring_add(br, bufs + (size_t)bid * BUFSZ, BUFSZ, (unsigned short)bid, io_uring_buf_ring_mask(NBUF), 0);
  io_uring_buf_ring_advance(br, 1);
}

int main(void) {
  int lfd = echo_listen();
  setup_ring(&ring, 512, 4096);

  br = mmap(NULL, NBUF * sizeof(struct io_uring_buf), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (br == MAP_FAILED) die("mmap", errno);
  struct io_uring_buf_reg reg = { .ring_addr = (unsigned long)br, .ring_entries = NBUF, .bgid = BGID };
  int ret = io_uring_register_buf_ring(&ring, &reg, 0);
  if (ret < 0) die("io_uring_register_buf_ring", ret);
  io_uring_buf_ring_init(br);
  bufs = malloc((size_t)NBUF * BUFSZ);
  if (!bufs) die("malloc", ENOMEM);
  for (unsigned i = 0; i < NBUF; i++) io_uring_buf_ring_add(br, bufs + (size_t)i * BUFSZ, BUFSZ, (unsigned short)i, io_uring_buf_ring_mask(NBUF), (int)i);
  io_uring_buf_ring_advance(br, NBUF);

  arm_accept(lfd);
  for (;;) {
    ret = io_uring_submit_and_wait(&ring, 1);
    if (ret < 0 && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY) die("io_uring_submit_and_wait", ret);
    struct io_uring_cqe *cqe;
    unsigned head, n = 0;
    io_uring_for_each_cqe(&ring, head, cqe) {
      n++;
      unsigned type = (unsigned)(cqe->user_data & 0xff);
      int fd = (int)(unsigned)((cqe->user_data >> 8) & 0xffffffffu);
      unsigned bid = (unsigned)(cqe->user_data >> 40);
      int more = cqe->flags & IORING_CQE_F_MORE;
      if (type == ACCEPT) {
        if (cqe->res >= 0) {
          echo_nodelay(cqe->res);
          arm_recv(cqe->res);
        }
        if (!more) arm_accept(lfd);
      } else if (type == RECV) {
        if (cqe->res > 0) {
          unsigned b = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
          sent_len[b] = (unsigned short)cqe->res;
          sent_off[b] = 0;
          send_from(fd, b);
          if (!more) arm_recv(fd);
        } else if (cqe->res == -ENOBUFS) {
          if (!more) arm_recv(fd); /* every buffer is out in a send: try again */
        } else if (!more) {
          close(fd); /* EOF or error */
        }
      } else if (type == SEND) {
        if (cqe->res > 0 && sent_off[bid] + cqe->res < sent_len[bid]) {
          sent_off[bid] += (unsigned short)cqe->res; /* short send: the rest */
          send_from(fd, bid);
        } else {
          give_back(bid);
        }
      }
    }
    io_uring_cq_advance(&ring, n);
  }
}
