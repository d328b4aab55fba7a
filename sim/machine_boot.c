/* Loading what the machine boots: kernel and modules read once from files,
 * then at creation and at every reset: ACPI tables, the kernel through the
 * multiboot/ELF loaders, and the BSP's entry state. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sim/machine_internal.h"

static int read_file(const char *what, const char *path, uint64_t limit, struct loaded_file *f,
                     char *err, size_t errlen)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        snprintf(err, errlen, "cannot open %s '%s': %s", what, path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s '%s' is not a regular file", what, path);
        fclose(fp);
        return -1;
    }
    if ((uint64_t)st.st_size > limit) {
        snprintf(err, errlen, "%s '%s' (%llu bytes) is larger than guest RAM", what, path,
                 (unsigned long long)st.st_size);
        fclose(fp);
        return -1;
    }
    size_t size = (size_t)st.st_size;
    uint8_t *data = malloc(size ? size : 1);
    if (!data) {
        snprintf(err, errlen, "out of memory reading %s '%s'", what, path);
        fclose(fp);
        return -1;
    }
    if (size && fread(data, 1, size, fp) != size) {
        snprintf(err, errlen, "cannot read %s '%s': %s", what, path,
                 ferror(fp) ? strerror(errno) : "short read");
        free(data);
        fclose(fp);
        return -1;
    }
    fclose(fp);
    f->data = data;
    f->size = size;
    return 0;
}

int machine_boot_read_files(struct machine *m, char *err, size_t errlen)
{
    if (!m->cfg.kernel) {
        snprintf(err, errlen, "no kernel image given (hvsim has no firmware)");
        return -1;
    }
    if (read_file("kernel", m->cfg.kernel, m->cfg.ram_size, &m->kernel, err, errlen)) return -1;
    for (unsigned i = 0; i < m->cfg.nmodules; i++)
        if (read_file("module", m->cfg.modules[i].path, m->cfg.ram_size, &m->modules[i], err,
                      errlen))
            return -1;
    return 0;
}

void machine_boot_free(struct machine *m)
{
    free(m->kernel.data);
    m->kernel.data = NULL;
    for (unsigned i = 0; i < MACHINE_MAX_MODULES; i++) {
        free(m->modules[i].data);
        m->modules[i].data = NULL;
    }
}

static const char *kind_name(enum boot_kind k)
{
    switch (k) {
    case BOOT_KIND_MB_ELF32: return "multiboot ELF32";
    case BOOT_KIND_MB_ELF64: return "multiboot ELF64";
    case BOOT_KIND_MB_AOUT: return "multiboot a.out kludge";
    case BOOT_KIND_ELF64: return "ELF64 (long mode entry)";
    }
    return "?";
}

static void apply_entry(struct cpu *c, const struct boot_entry *e)
{
    struct cpu_state s;
    cpu_get_state(c, &s);
    s.rip = e->rip;
    s.gpr[R_RSP] = e->rsp;
    s.gpr[R_RAX] = e->rax;
    s.gpr[R_RBX] = e->rbx;
    s.gpr[R_RCX] = e->rcx;
    s.gpr[R_RDX] = e->rdx;
    s.gpr[R_RSI] = e->rsi;
    s.gpr[R_RDI] = e->rdi;
    s.rflags = e->rflags | RF_FIXED1;
    s.cr0 = e->cr0;
    s.cr3 = e->cr3;
    s.cr4 = e->cr4;
    s.msr.efer = e->efer;
    s.seg[SEG_CS] = e->cs;
    s.seg[SEG_DS] = e->data;
    s.seg[SEG_ES] = e->data;
    s.seg[SEG_FS] = e->data;
    s.seg[SEG_GS] = e->data;
    s.seg[SEG_SS] = e->data;
    s.gdtr = e->gdtr;
    s.idtr = e->idtr;
    cpu_set_state(c, &s);
}

int machine_boot_load(struct machine *m, char *err, size_t errlen)
{
    char why[200];
    if (!acpi_install(&m->target, &m->acpi, why, sizeof why)) {
        snprintf(err, errlen, "cannot write the ACPI tables: %s", why);
        return -1;
    }
    struct boot_module mods[MACHINE_MAX_MODULES];
    for (unsigned i = 0; i < m->cfg.nmodules; i++) {
        mods[i] = (struct boot_module){
            .name = m->cfg.modules[i].path,
            .data = m->modules[i].data,
            .size = m->modules[i].size,
            .cmdline =
                m->cfg.modules[i].cmdline ? m->cfg.modules[i].cmdline : m->cfg.modules[i].path,
        };
    }
    struct boot_params p = {
        .name = m->cfg.kernel,
        .image = m->kernel.data,
        .size = m->kernel.size,
        .cmdline = m->cfg.append,
        .mods = mods,
        .nmods = m->cfg.nmodules,
        .e820 = &m->e820,
    };
    if (!boot_load_kernel(&m->target, &p, &m->boot, err, errlen)) return -1;
    apply_entry(m->vcpu[0].cpu, &m->boot.entry);
    /* Multiboot 0.6.96, 3.2: "A20 gate must be enabled". */
    machine_set_a20(m, m->boot.entry.a20);
    snprintf(m->boot_summary, sizeof m->boot_summary,
             "%s, image 0x%llx-0x%llx, entry 0x%llx, %u module(s), multiboot info at 0x%x",
             kind_name(m->boot.kind), (unsigned long long)m->boot.image_start,
             (unsigned long long)m->boot.image_end, (unsigned long long)m->boot.entry.rip,
             m->cfg.nmodules, m->boot.mbi_addr);
    return 0;
}
