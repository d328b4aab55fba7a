#include "machine_config.h"

#include <string.h>

void machine_config_defaults(struct machine_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->ram_size = 128ull << 20; /* QEMU's default -m */
    cfg->ncpus = 1;
    cfg->serial_present = true;
    cfg->quantum = MACHINE_DEFAULT_QUANTUM;
    cfg->serial_input_ns = MACHINE_DEFAULT_INPUT_NS;
}
