/*
 * fresh: what a guest must not share with the other runs restored from
 * the same saved state: the clock, which a restore leaves at the moment
 * of the save, and the kernel's random state, which it would otherwise
 * repeat (keys, UUIDs, /proc/sys/kernel/random/boot_id).
 */
#ifndef VM_INIT_FRESH_H
#define VM_INIT_FRESH_H

#include <stddef.h>
#include <time.h>

/*
 * Sets CLOCK_REALTIME to now (the host's); writes by how much it moved,
 * in milliseconds, to *moved_ms.  0, or -1 with errno.
 */
int fresh_clock(const struct timespec *now, long long *moved_ms);

/*
 * Adds len random bytes from the host to the kernel's input pool,
 * credited as entropy (8 bits a byte), and reseeds the CRNG from it at
 * once, so that nothing read from /dev/urandom or getrandom() from now on
 * depends on the state that was saved alone.  0, or -1 with errno.
 */
int fresh_entropy(const unsigned char *bytes, size_t len);

#endif
