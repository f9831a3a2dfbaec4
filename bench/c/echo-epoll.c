/*
 * Workload 4, C epoll server: level-triggered epoll, accept4 non-blocking, read() whatever is
 * there and write() it back. 64-byte messages always fit the socket buffer, so a write that
 * would block (never seen here) is simply retried.
 *
 *   echo-epoll
 */
#include "common.h"
#include "echo.h"
#include <sys/epoll.h>

int main(void) {
  int lfd = echo_listen();
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1", errno);
  struct epoll_event ev = { .events = EPOLLIN, .data.fd = lfd };
  if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0) die("epoll_ctl", errno);
  static char buf[65536];
  struct epoll_event evs[256];
  for (;;) {
    int n = epoll_wait(ep, evs, 256, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait", errno);
    }
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      if (fd == lfd) {
        int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c < 0) continue;
        echo_nodelay(c);
        struct epoll_event ce = { .events = EPOLLIN, .data.fd = c };
        if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce) < 0) die("epoll_ctl", errno);
        continue;
      }
      ssize_t r = read(fd, buf, sizeof(buf));
      if (r <= 0) {
        if (r < 0 && errno == EAGAIN) continue;
        close(fd); /* also leaves the epoll set */
        continue;
      }
      ssize_t off = 0;
      while (off < r) {
        ssize_t w = write(fd, buf + off, (size_t)(r - off));
        if (w < 0) {
          if (errno == EAGAIN || errno == EINTR) continue;
          close(fd);
          break;
        }
        off += w;
      }
    }
  }
}
