/*
 * floor-init: the /init of bench/boot.sh's floor, a guest that does
 * nothing but power off, so that its boot is the kernel's alone.
 */
#include <sys/reboot.h>

#include <unistd.h>

int
main(void)
{
	sync();
	reboot(RB_POWER_OFF);
	return 1;
}
