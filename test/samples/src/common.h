/* Shared helpers for Quarantine sample programs. Static, no dependencies beyond libc. */
#ifndef QUARANTINE_SAMPLE_COMMON_H
#define QUARANTINE_SAMPLE_COMMON_H
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SAY(...) do { fprintf(stdout, __VA_ARGS__); fputc('\n', stdout); fflush(stdout); } while (0)
#define WARN(what) do { fprintf(stderr, "%s: %s\n", (what), strerror(errno)); fflush(stderr); } while (0)

/* Only addresses that cannot leave a --network none sandbox (and are not routed anywhere real). */
#define SINKHOLE_IP "10.66.66.66"
#define METADATA_IP "169.254.169.254"
#endif
