/* The built-in CPU profiles (one file each in cpu/profiles/). */
#ifndef HVSIM_CPU_PROFILES_H
#define HVSIM_CPU_PROFILES_H

#include "../profile.h"

extern const struct cpu_profile profile_zen4;
extern const struct cpu_profile profile_sapphirerapids;

/* Bits of one feature word, for profile initialisers. */
#define FBIT(f) (1u << ((unsigned)(f) % 32u))

#endif
