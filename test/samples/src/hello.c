/* Benign: prints a greeting and exits 0. */
#include "common.h"
int main(void) { SAY("hello from quarantine-samples/hello"); return 0; }
