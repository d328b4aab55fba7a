/* The hvsim command as a function, so tests can run it without a process. */
#ifndef HVSIM_FRONTEND_CLI_H
#define HVSIM_FRONTEND_CLI_H

#define HVSIM_VERSION "0.1.0"

int hvsim_main(int argc, char *argv[]);

#endif
