/* Abusive: never exits on its own (ignores SIGTERM as PID 1 does by default); only the
 * observation window ends it. */
#include "common.h"
int main(void) { SAY("sleeper: sleeping forever"); for (;;) pause(); }
