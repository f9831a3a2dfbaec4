/*
 * Workload 4 (TCP echo): what the C servers share. A server listens on 127.0.0.1 on a port the
 * kernel picks, prints {"port":N,"pid":P} on one line, and serves until it is killed.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

static int echo_listen(void) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket", errno);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) die("bind", errno);
  if (listen(fd, 1024) < 0) die("listen", errno);
  socklen_t len = sizeof(a);
  if (getsockname(fd, (struct sockaddr *)&a, &len) < 0) die("getsockname", errno);
  printf("{\"port\":%d,\"pid\":%d}\n", ntohs(a.sin_port), (int)getpid());
  fflush(stdout);
  return fd;
}

static void echo_nodelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}
