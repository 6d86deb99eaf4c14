/*
 * kernel: a kernel target's image unpacked on the host, once, so that
 * the guest does not decompress itself under TCG on every boot (about
 * 4 s of Debian's bzImage's boot).
 *
 * x86_64: a bzImage whose payload is the vmlinux ELF with the PVH entry
 * note (XEN_ELFNOTE_PHYS32_ENTRY), which QEMU boots directly.  aarch64:
 * a compressed Image (Image.gz) or an EFI zboot image, unpacked to the
 * raw Image (QEMU 7.2 cannot boot zboot at all without firmware).
 * Anything else boots as given: an ELF or a raw Image already, a bzImage
 * without the note, a compression we do not read.
 *
 * The unpacked kernel is kept in cachedir's "kernels", named by a key of
 * the original file's content.
 */
#ifndef QEMU_LAUNCH_KERNEL_H
#define QEMU_LAUNCH_KERNEL_H

#include <stddef.h>

#include "arch.h"
#include "target.h"

enum kernel_form {
	KERNEL_AS_GIVEN,
	KERNEL_PVH_ELF,		/* x86_64: the ELF inside a bzImage */
	KERNEL_IMAGE,		/* aarch64: the raw Image */
};

/* An unpacked kernel is some tens of MB; a payload that says more lies. */
#define KERNEL_UNPACK_MAX ((size_t)512 * 1024 * 1024)

/* "as-given", "pvh-elf", "image": the JSON's names. */
const char *kernel_form_name(enum kernel_form f);

/*
 * The pure part, fuzzed: what QEMU should boot instead of the image
 * in[0..len) of arch.  Returns KERNEL_AS_GIVEN (*out NULL) when there is
 * nothing to unpack, or the form with the unpacked kernel in *out
 * (malloc'd, *out_len bytes).  Returns -1 with a reason when the image is
 * a kind we unpack but its payload is out of bounds, corrupt, truncated
 * or unpacks to more than limit bytes.
 */
int kernel_unpack(const unsigned char *in, size_t len, enum arch arch,
    size_t limit, unsigned char **out, size_t *out_len, char *why,
    size_t whylen);

/*
 * For a kernel target: sets t->kernel_key from t->kernel's bytes, and
 * t->boot_kernel and t->kernel_form from the cache, unpacking into it on
 * a miss.  Never fails: an unreadable kernel, a corrupt payload or a
 * cache that cannot be written is one warning, and the kernel boots as
 * given.
 */
void kernel_prepare(struct target *t);

/* Frees what kernel_prepare set. */
void kernel_free(struct target *t);

#endif
