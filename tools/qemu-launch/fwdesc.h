/*
 * fwdesc: QEMU's firmware descriptors (docs/interop/firmware.json), the
 * JSON files distributions ship in /usr/share/qemu/firmware for libvirt
 * to pick firmware by: each names a firmware's files, the machines it
 * runs on and what it needs.
 */
#ifndef QEMU_LAUNCH_FWDESC_H
#define QEMU_LAUNCH_FWDESC_H

#include <stdbool.h>
#include <stddef.h>

#include "arch.h"

/* What qemu-launch reads of one descriptor. */
struct fw_desc {
	char *path;		/* the descriptor's file (fw_desc_load) */
	char *code;		/* the executable (device memory: the file) */
	char *vars;		/* the NVRAM template of a split flash, or NULL */
	bool for_arch;		/* a target of the arch */
	bool for_machine;	/* ... whose machines include ours */
	bool needs_smm;		/* "requires-smm": q35 with SMM, not pc */
};

/*
 * Parses a descriptor's bytes for arch a.  0 if it describes UEFI
 * firmware in raw files (d filled, malloc'd), -1 if not, with the reason
 * in why.
 */
int fw_desc_parse(const char *text, size_t len, enum arch a,
    struct fw_desc *d, char *why, size_t whysize);
void fw_desc_free(struct fw_desc *d);

/*
 * The UEFI descriptors for arch a, in QEMU's order of preference: the
 * *.json files of /usr/share/qemu/firmware, /etc/qemu/firmware and
 * $XDG_CONFIG_HOME/qemu/firmware (default ~/.config), where a file of a
 * later directory hides one of the same name in an earlier one (an empty
 * file hides it and is nothing), sorted by name.  Files that are not
 * such descriptors are passed over in silence, as QEMU's users do.
 * Returns how many are in *out (malloc'd; fw_desc_free_all frees).
 */
size_t fw_desc_load(enum arch a, struct fw_desc **out);
void fw_desc_free_all(struct fw_desc *d, size_t n);

#endif
