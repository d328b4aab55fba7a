/* Benchmark guest: runs one loop selected on the command line
 * (-append "reg N" or -append "mem N"; N iterations of 10 instructions). */
#include "guest.h"
#include "multiboot.h"

uint64_t bench_reg_loop(uint64_t iters);
uint64_t bench_mem_loop(uint64_t iters, uint64_t *array64k);

static uint64_t array[8192] __attribute__((aligned(4096)));

/* Finds the words "reg"/"mem" and a count among the command-line words
 * (QEMU's loader puts the image path first). */
static void parse_cmdline(const char *cmd, const char **mode, uint64_t *iters)
{
    while (*cmd) {
        while (*cmd == ' ')
            cmd++;
        const char *w = cmd;
        while (*cmd && *cmd != ' ')
            cmd++;
        size_t n = (size_t)(cmd - w);
        if (n == 3 && (!strncmp(w, "reg", 3) || !strncmp(w, "mem", 3))) {
            *mode = w[0] == 'r' ? "reg" : "mem";
        } else if (n && w[0] >= '0' && w[0] <= '9') {
            uint64_t v = 0;
            for (size_t i = 0; i < n && w[i] >= '0' && w[i] <= '9'; i++)
                v = v * 10 + (uint64_t)(w[i] - '0');
            *iters = v;
        }
    }
}

void test_main(void)
{
    const struct mb_info *mb = mb_info();
    const char *cmd = (mb->flags & MB_INFO_CMDLINE) ? (const char *)(uintptr_t)mb->cmdline : "";
    const char *mode = NULL;
    uint64_t iters = 50000000;
    parse_cmdline(cmd, &mode, &iters);
    if (!mode) {
        test_fail("bench", "command line \"%s\" names no loop (want \"reg N\" or \"mem N\")", cmd);
        return;
    }
    printf("bench: %s loop, %llu iterations x 10 instructions\n", mode, (unsigned long long)iters);
    uint64_t t0 = rdtsc();
    uint64_t r = 0;
    if (iters) /* 0 iterations: a baseline run measuring boot and exit only */
        r = mode[0] == 'r' ? bench_reg_loop(iters) : bench_mem_loop(iters, array);
    uint64_t dt = rdtsc() - t0;
    printf("bench: done, result %#llx, %llu guest TSC cycles\n", (unsigned long long)r,
           (unsigned long long)dt);
    test_pass("bench loop completed");
}
