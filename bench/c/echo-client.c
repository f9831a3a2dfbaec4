/*
 * Workload 4, the load client: C and epoll, so it is never the bottleneck. CONNS connections
 * to 127.0.0.1:PORT; each sends SIZE bytes, waits until all SIZE come back (checked byte for
 * byte), and sends again. Reports messages (round trips) of the timed phase, and, read from
 * /proc/<server-pid>, the server's CPU seconds (user + system, every thread) over the timed
 * phase and its peak RSS: the numbers the table shows are the server's.
 *
 *   echo-client <port> <conns> <size> <seconds> <warmup-seconds> <server-pid>
 */
#include "common.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

struct conn {
  int fd;
  unsigned got;
  unsigned char tag;
};

/* utime + stime of a process (every thread), in seconds; -1 when it cannot be read. */
static double proc_cpu(int pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof(path), "/proc/%d/stat", pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  size_t n = fread(buf, 1, sizeof(buf) - 1, f);
  fclose(f);
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  if (!p) return -1;
  unsigned long ut = 0, st = 0;
  /* after ")": state(3) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime(14) stime(15) */
  if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2) return -1;
  return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static long proc_hwm_kb(int pid) {
  char path[64], line[256];
  snprintf(path, sizeof(path), "/proc/%d/status", pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  long kb = -1;
  while (fgets(line, sizeof(line), f)) {
    if (sscanf(line, "VmHWM: %ld", &kb) == 1) break;
  }
  fclose(f);
  return kb;
}

static void send_msg(struct conn *c, unsigned size, unsigned char *msg) {
  c->tag++;
  memset(msg, c->tag, size);
  ssize_t w = send(c->fd, msg, size, MSG_NOSIGNAL);
  if (w != (ssize_t)size) die("send", w < 0 ? errno : EIO);
  c->got = 0;
}

int main(int argc, char **argv) {
  if (argc < 7) {
    fprintf(stderr, "usage: echo-client <port> <conns> <size> <seconds> <warmup-seconds> <server-pid>\n");
    return 2;
  }
  int port = atoi(argv[1]);
  unsigned conns = (unsigned)atoi(argv[2]), size = (unsigned)atoi(argv[3]);
  double seconds = atof(argv[4]), warmup = atof(argv[5]);
  int spid = atoi(argv[6]);
  if (conns < 1 || conns > 4096 || size < 1 || size > 65536) die("arguments", EINVAL);

  int ep = epoll_create1(0);
  if (ep < 0) die("epoll_create1", errno);
  struct conn *cs = calloc(conns, sizeof(*cs));
  unsigned char *msg = malloc(size), *in = malloc(65536);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (unsigned i = 0; i < conns; i++) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket", errno);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) die("connect", errno);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    cs[i].fd = fd;
    struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl", errno);
  }

  struct phase ph;
  unsigned long long ops = 0;
  double scpu0 = proc_cpu(spid);
  phase_init(&ph, warmup, seconds);
  int was_timing = ph.timing;
  for (unsigned i = 0; i < conns; i++) send_msg(&cs[i], size, msg);
  struct epoll_event evs[256];
  for (;;) {
    int n = epoll_wait(ep, evs, 256, 5000);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait", errno);
    }
    if (n == 0) die("no echo for 5 s", ETIMEDOUT);
    for (int k = 0; k < n; k++) {
      struct conn *c = &cs[evs[k].data.u32];
      ssize_t r = recv(c->fd, in, 65536, 0);
      if (r == 0) die("the server closed a connection", ECONNRESET);
      if (r < 0) {
        if (errno == EAGAIN || errno == EINTR) continue;
        die("recv", errno);
      }
      for (ssize_t j = 0; j < r; j++)
        if (in[j] != c->tag) die("echo differs from what was sent", EPROTO);
      c->got += (unsigned)r;
      if (c->got > size) die("more bytes echoed than sent", EPROTO);
      if (c->got == size) {
        ops++;
        send_msg(c, size, msg);
      }
    }
    if (!phase_tick(&ph, ops)) break;
    if (!was_timing && ph.timing) {
      was_timing = 1;
      scpu0 = proc_cpu(spid);
    }
  }
  double scpu1 = proc_cpu(spid);
  long shwm = proc_hwm_kb(spid);
  double ccpu = cpu_s() - ph.cpu0;
  char extra[200];
  snprintf(extra, sizeof(extra), "\"serverCpu\":%.4f,\"serverRssKb\":%ld,\"clientCpu\":%.4f,\"conns\":%u,\"size\":%u",
           scpu0 >= 0 && scpu1 >= 0 ? scpu1 - scpu0 : -1.0, shwm, ccpu, conns, size);
  phase_report(&ph, ops, extra);
  return 0;
}
