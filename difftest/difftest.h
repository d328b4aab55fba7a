/* `hvsim difftest`: differential testing of the CPU model against real
 * silicon (KVM) and Unicorn. */
#ifndef HVSIM_DIFFTEST_H
#define HVSIM_DIFFTEST_H

/* argv[0] is "difftest". Returns the exit status: 0 no real divergence,
 * 1 real divergences, 2 usage or set-up error. */
int difftest_main(int argc, char **argv);
/* `hvsim difftest --image ...`: a whole guest image on the model and on
 * KVM, compared at a point (difftest/image.c). */
int dt_image_main(int argc, char **argv);

#endif
