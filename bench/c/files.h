/*
 * Workload 3 (small files): the file names, shared by readfile.c and openread.c.
 * The directory holds <count> files named f00000, f00001, ... (bench/run.js makes them).
 */
#include <stdio.h>
#include <stdlib.h>

static char **file_names(const char *dir, unsigned count) {
  char **names = calloc(count, sizeof(char *));
  if (!names) die("calloc", ENOMEM);
  for (unsigned i = 0; i < count; i++) {
    if (asprintf(&names[i], "%s/f%05u", dir, i) < 0) die("asprintf", ENOMEM);
  }
  return names;
}
