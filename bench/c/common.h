/*
 * Shared parts of the C baselines: timing, resource usage, the JSON report, and a ring set up
 * the way an expert would (SINGLE_ISSUER + DEFER_TASKRUN, falling back when the kernel refuses).
 *
 * Every program runs a warm-up phase, then a timed phase, and prints one JSON line:
 *   {"ops":..,"seconds":..,"cpu":..,"rssKb":..,"opsTotal":..,...}
 * ops/seconds/cpu cover the timed phase only; opsTotal counts warm-up too (for syscalls/op).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#ifdef BENCH_URING
#include <liburing.h>
#ifndef IORING_SETUP_COOP_TASKRUN
#define IORING_SETUP_COOP_TASKRUN (1U << 8)
#endif
#ifndef IORING_SETUP_TASKRUN_FLAG
#define IORING_SETUP_TASKRUN_FLAG (1U << 9)
#endif
#ifndef IORING_SETUP_SINGLE_ISSUER
#define IORING_SETUP_SINGLE_ISSUER (1U << 12)
#endif
#ifndef IORING_SETUP_DEFER_TASKRUN
#define IORING_SETUP_DEFER_TASKRUN (1U << 13)
#endif
#endif

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/*
 * Peak RSS in KiB: VmHWM of /proc/self/status, the high-water mark of this program's own memory.
 * getrusage's ru_maxrss is not: Linux carries the parent's peak over an exec, so a program started
 * by bench/run.js (Node, ~50-90 MB) reported ~15 MB where it uses ~2-6. ru_maxrss without /proc.
 */
static long rss_kb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  if (f) {
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof(line), f))
      if (sscanf(line, "VmHWM: %ld", &kb) == 1) break;
    fclose(f);
    if (kb >= 0) return kb;
  }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

static void die(const char *what, int err) {
  fprintf(stderr, "%s: %s\n", what, strerror(err < 0 ? -err : err));
  exit(1);
}

/* xorshift64*: the same cheap generator the JS variants use (quality is irrelevant here). */
static unsigned long long rng_state = 0x9E3779B97F4A7C15ULL;
static inline unsigned long long rng_next(void) {
  unsigned long long x = rng_state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  rng_state = x;
  return x * 0x2545F4914F6CDD1DULL;
}

#include <unistd.h>

/* Compares 64 random 4 KiB blocks and the last block of `a` and `b` (both `size` bytes). */
static inline void verify_copy(int a, int b, unsigned long long size) {
  static char x[4096], y[4096];
  unsigned long long blocks = (size + 4095) / 4096;
  for (int i = 0; i <= 64 && blocks > 0; i++) {
    unsigned long long blk = i == 64 ? blocks - 1 : (rng_next() >> 11) % blocks;
    ssize_t n = pread(a, x, sizeof(x), (off_t)(blk * 4096));
    ssize_t m = pread(b, y, sizeof(y), (off_t)(blk * 4096));
    if (n < 0 || m < 0) die("verify: pread", errno);
    if (n != m || memcmp(x, y, (size_t)n) != 0) {
      fprintf(stderr, "verify: the copy differs from the source in block %llu\n", blk);
      exit(1);
    }
  }
}


/* The timed-phase bookkeeping: call phase_tick() after every batch with the ops done so far. */
struct phase {
  double warm_end, end, t0, cpu0;
  unsigned long long ops0;
  int timing;
};

static inline void phase_init(struct phase *p, double warmup, double seconds) {
  double t = now_s();
  p->warm_end = t + warmup;
  p->end = p->warm_end + seconds;
  p->timing = 0;
  p->t0 = t;
  p->cpu0 = cpu_s();
  p->ops0 = 0;
  if (warmup <= 0) p->timing = 1;
}

/* Returns 1 while the run should go on. */
static inline int phase_tick(struct phase *p, unsigned long long ops) {
  double t = now_s();
  if (!p->timing) {
    if (t < p->warm_end) return 1;
    p->timing = 1;
    p->t0 = t;
    p->cpu0 = cpu_s();
    p->ops0 = ops;
    return 1;
  }
  return t < p->end;
}

static inline void phase_report(struct phase *p, unsigned long long ops, const char *extra) {
  double t = now_s(), c = cpu_s();
  printf("{\"ops\":%llu,\"seconds\":%.6f,\"cpu\":%.6f,\"rssKb\":%ld,\"opsTotal\":%llu%s%s}\n",
         ops - p->ops0, t - p->t0, c - p->cpu0, rss_kb(), ops, extra && *extra ? "," : "", extra ? extra : "");
}

#ifdef BENCH_URING
/*
 * The best setup this kernel accepts: SINGLE_ISSUER + DEFER_TASKRUN (6.1), else
 * COOP_TASKRUN + TASKRUN_FLAG (5.19), else plain. Returns the name of what was set up.
 */
static const char *setup_ring(struct io_uring *ring, unsigned entries, unsigned cq_entries) {
  static const struct { unsigned flags; const char *name; } tries[] = {
    { IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, "single_issuer+defer_taskrun" },
    { IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG, "coop_taskrun+taskrun_flag" },
    { 0, "plain" },
  };
  int ret = -EINVAL;
  for (unsigned i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
    struct io_uring_params p;
    memset(&p, 0, sizeof(p));
    p.flags = tries[i].flags;
    if (cq_entries) {
      p.flags |= IORING_SETUP_CQSIZE;
      p.cq_entries = cq_entries;
    }
    ret = io_uring_queue_init_params(entries, ring, &p);
    if (ret == 0) {
      /* Enter with the registered ring index instead of the fd (5.18); harmless if refused. */
      io_uring_register_ring_fd(ring);
      return tries[i].name;
    }
    if (ret != -EINVAL) break;
  }
  die("io_uring_queue_init_params", ret);
  return NULL;
}
#endif
