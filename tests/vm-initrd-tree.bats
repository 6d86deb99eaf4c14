#!/usr/bin/env bats
# vm-initrd and qemu-launch booting a kernel straight from its build tree,
# where `make modules_install` never ran: the modules come from the tree
# (modules.order in each of its forms), never from /lib/modules, through
# a cached modules directory that depmod indexes.  The trees are made from
# Debian's installed kernel (fixtures/mkbuildtree.sh).  One guest boots,
# the rest is vm-initrd alone.

bats_require_minimum_version 1.5.0

load helpers
load fixtures/vm
load fixtures/buildtree

INIT=/bin/busybox

setup() {
	helpers_setup
	MODCACHE=$T/xdg/vmtest-tools/modules
}

tree_requires() {
	requires cpio
	[ -x "$INIT" ] || skip "$INIT is not installed (make deps installs busybox-static)"
	KERNEL=$(vm_kernel) ||
		skip "no readable /boot/vmlinuz-* with its /lib/modules (make deps installs linux-image-amd64)"
	KVER=$(vm_kernel_version)
	PATH=$PATH:/usr/sbin:/sbin command -v depmod >/dev/null ||
		skip "depmod is not installed (make deps installs kmod)"
}

# initrd ARG...: vm-initrd with the test's init, and caches under $T/xdg.
initrd() { XDG_CACHE_HOME=$T/xdg vm-initrd --init "$INIT" "$@"; }
module_list() { cpio -i --quiet --to-stdout etc/vm-init/modules <"$1"; }

# tree_modules FILE: the archive names of the modules a modules.order
# lists, whatever its form, sorted.
tree_modules() {
	sed -E "/^\$/d; s,^kernel/,,; s,\.o\$,.ko,; s,^,lib/modules/$KVER/kernel/," "$1" | sort -u
}

# from_tree IMG ORDER: the archive's modules are the tree's, those the
# guest cannot do without among them.
from_tree() {
	local m
	module_list "$1" | sort >"$T/list"
	[ -z "$(comm -23 "$T/list" <(tree_modules "$2"))" ] ||
		{ comm -23 "$T/list" <(tree_modules "$2"); return 1; }
	for m in drivers/virtio/virtio_pci drivers/char/virtio_console net/9p/9pnet_virtio fs/9p/9p; do
		grep -qx "lib/modules/$KVER/kernel/$m.ko" "$T/list" || { echo "no $m"; return 1; }
	done
}

@test "tree: modules.order of each form (.o, .ko, kernel/.ko) gives the tree's modules" {
	tree_requires
	local form
	for form in o ko kernel; do
		make_tree "$T/$form" "$form"
		[ ! -e "$T/$form/lib" ]
		(cd "$T/$form" && initrd -k arch/x86/boot/bzImage -o "$T/$form.img" --verbose) 2>"$T/err" ||
			{ cat "$T/err"; return 1; }
		grep -q "^vm-initrd: build tree $T/$form: [0-9]* modules, linked into $MODCACHE/tree-$KVER-" "$T/err" ||
			{ cat "$T/err"; return 1; }
		grep -q "^vm-initrd: modules from $MODCACHE/tree-$KVER-[0-9a-f]*/lib/modules/$KVER: " "$T/err"
		! grep -q "from /lib/modules" "$T/err"
		from_tree "$T/$form.img" "$T/$form/modules.order"
	done
	# The same modules, whatever the form said.
	cmp <(module_list "$T/o.img" | sort) <(module_list "$T/kernel.img" | sort)
}

@test "tree: the tree wins over /lib/modules of the same release, byte for byte" {
	tree_requires
	make_tree "$T/linux"
	# The tree's 9p.ko is another build's: its bytes differ.
	printf 'rebuilt' >>"$T/linux/fs/9p/9p.ko"
	initrd -k "$T/linux/arch/x86/boot/bzImage" -o "$T/initrd.img"
	mkdir "$T/x"
	(cd "$T/x" && cpio -i --quiet -d) <"$T/initrd.img"
	cmp "$T/linux/fs/9p/9p.ko" "$T/x/lib/modules/$KVER/kernel/fs/9p/9p.ko"
	cmp "$T/linux/net/9p/9pnet.ko" "$T/x/lib/modules/$KVER/kernel/net/9p/9pnet.ko"
	# The image from /boot, outside the tree: /lib/modules.
	initrd -k "$KERNEL" -o "$T/sys.img"
	mkdir "$T/y"
	(cd "$T/y" && cpio -i --quiet -d) <"$T/sys.img"
	cmp "/lib/modules/$KVER/kernel/fs/9p/9p.ko" "$T/y/lib/modules/$KVER/kernel/fs/9p/9p.ko"
	# --modules-dir still decides over the tree.
	run --separate-stderr initrd -k "$T/linux/arch/x86/boot/bzImage" \
		--modules-dir "/lib/modules/$KVER" -o "$T/m.img" --verbose
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"modules from /lib/modules/$KVER: "* ]]
	[[ "$stderr" != *"build tree"* ]]
}

@test "tree: /lib/modules hidden, the tree is enough" {
	tree_requires
	mount_ns_requires
	make_tree "$T/linux"
	cd "$T/linux"
	run --separate-stderr hide_modules env XDG_CACHE_HOME="$T/xdg" \
		"$VT_BIN/vm-initrd" --init "$INIT" -k arch/x86/boot/bzImage \
		-o "$T/initrd.img" --verbose
	[ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
	[[ "$stderr" == *"build tree $T/linux: "* ]]
	module_list "$T/initrd.img" | grep -q "/kernel/fs/9p/9p.ko$"
	# Hidden indeed: the installed kernel finds no modules there.
	run hide_modules env XDG_CACHE_HOME="$T/xdg" "$VT_BIN/vm-initrd" \
		--init "$INIT" -k "$KERNEL" -o "$T/x.img"
	[ "$status" -eq 2 ]
	[[ "$output" == *"/lib/modules/$KVER: No such file or directory"* ]]
}

@test "tree: the modules directory is cached; a rebuilt module is a new entry" {
	tree_requires
	make_tree "$T/linux"
	local k=$T/linux/arch/x86/boot/bzImage first
	run --separate-stderr initrd -k "$k" --cache-dir "$T/ic" --verbose
	[ "$status" -eq 0 ]
	first=$(sed -n 's/.*modules, linked into \([^,]*\),.*/\1/p' <<<"$stderr")
	[[ "$first" == "$T/ic/modules/tree-$KVER-"* ]]
	[ -f "$first/lib/modules/$KVER/modules.dep.bin" ]
	[ -L "$first/lib/modules/$KVER/kernel/fs/9p/9p.ko" ]
	[ "$(readlink "$first/lib/modules/$KVER/kernel/fs/9p/9p.ko")" = "$T/linux/fs/9p/9p.ko" ]
	# No temporary directory is left.
	[ "$(ls -A "$T/ic/modules")" = "${first##*/}" ]
	run --separate-stderr initrd -k "$k" --cache-dir "$T/ic" --verbose
	[[ "$stderr" == *"modules, cached in $first"* ]]
	[[ "$stderr" == *"vm-initrd: cached: "* ]]
	# make modules rebuilt 9p.ko: a new modules directory, a new initrd.
	cp "$T/linux/fs/9p/9p.ko" "$T/9p" && mv "$T/9p" "$T/linux/fs/9p/9p.ko"
	run --separate-stderr initrd -k "$k" --cache-dir "$T/ic" --verbose
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"modules, linked into $T/ic/modules/tree-$KVER-"* ]]
	[[ "$stderr" != *"$first"* ]]
	[[ "$stderr" == *"vm-initrd: built "* ]]
	[ "$(ls "$T/ic/modules" | wc -l)" -eq 2 ]
}

@test "tree: depmod's output stays off stdout; a failing depmod is one error and leaves nothing" {
	tree_requires
	make_tree "$T/linux"
	local real
	real=$(PATH=$PATH:/usr/sbin:/sbin command -v depmod)
	mkdir "$T/bin"
	printf '#!/bin/sh\necho noise from depmod\nexec %s "$@"\n' "$real" >"$T/bin/depmod"
	chmod +x "$T/bin/depmod"
	run --separate-stderr env PATH="$T/bin:$PATH" XDG_CACHE_HOME="$T/xdg" \
		vm-initrd --init "$INIT" -k "$T/linux/arch/x86/boot/bzImage" -o "$T/x" --verbose
	[ "$status" -eq 0 ]
	[ "$output" = "$T/x" ]
	[[ "$stderr" == *"noise from depmod"*"indexed by $T/bin/depmod in"* ]]
	printf '#!/bin/sh\necho "depmod: broken" >&2\nexit 3\n' >"$T/bin/depmod"
	touch "$T/linux/fs/9p/9p.ko"	# another key: depmod runs again
	run --separate-stderr env PATH="$T/bin:$PATH" XDG_CACHE_HOME="$T/xdg" \
		vm-initrd --init "$INIT" -k "$T/linux/arch/x86/boot/bzImage" -o "$T/y"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[[ "$stderr" == "depmod: broken"$'\n'"vm-initrd: error: $T/bin/depmod -b $MODCACHE/.tmp-vmtest-"*" $KVER failed (exit status 3), for the modules of build tree $T/linux" ]]
	[ "$(ls -A "$MODCACHE" | wc -l)" -eq 1 ]
	[ ! -e "$T/y" ]
}

@test "tree: old modules directories and stale temporary ones are pruned" {
	tree_requires
	make_tree "$T/linux"
	local i
	mkdir -p "$MODCACHE"
	echo keep >"$T/outside"
	for i in 1 2 3 4 5 6 7 8 9; do
		mkdir -p "$MODCACHE/tree-$KVER-000000000000000$i/lib"
		ln -s "$T/outside" "$MODCACHE/tree-$KVER-000000000000000$i/lib/link"
		touch -d "-$i hours" "$MODCACHE/tree-$KVER-000000000000000$i"
	done
	mkdir -p "$MODCACHE/.tmp-vmtest-old/lib" "$MODCACHE/.tmp-vmtest-new/lib"
	touch -d '-2 hours' "$MODCACHE/.tmp-vmtest-old"
	mkdir "$MODCACHE/tree-$KVER-00000000000000aa"
	touch -d '-40 days' "$MODCACHE/tree-$KVER-00000000000000aa"
	initrd -k "$T/linux/arch/x86/boot/bzImage" -o "$T/initrd.img"
	# The new entry and the 7 most recent of the others are left.
	[ "$(ls "$MODCACHE" | wc -l)" -eq 8 ]
	[ -d "$MODCACHE/tree-$KVER-0000000000000007" ]
	[ ! -e "$MODCACHE/tree-$KVER-0000000000000008" ]
	[ ! -e "$MODCACHE/tree-$KVER-00000000000000aa" ]
	[ ! -e "$MODCACHE/.tmp-vmtest-old" ]
	[ -d "$MODCACHE/.tmp-vmtest-new" ]
	# Links were removed, not followed.
	[ "$(cat "$T/outside")" = keep ]
}

@test "tree errors: a module modules.order names is not built" {
	tree_requires
	make_tree "$T/linux" o
	rm "$T/linux/fs/9p/9p.ko"
	local line
	line=$(grep -n '^fs/9p/9p.o$' "$T/linux/modules.order" | cut -d: -f1)
	run initrd -k "$T/linux/arch/x86/boot/bzImage" -o "$T/x" --verbose
	[ "$status" -eq 2 ]
	[ "${lines[-1]}" = "vm-initrd: error: $T/linux/fs/9p/9p.ko: No such file or directory (named by $T/linux/modules.order:$line): the module is not built; run make modules in $T/linux" ]
	[ ! -e "$T/x" ]
	[ -z "$(ls -A "$MODCACHE" 2>/dev/null)" ]
	# No modules.order at all, in a tree of a kernel with modules.
	rm "$T/linux/modules.order"
	run initrd -k "$T/linux/arch/x86/boot/bzImage" -o "$T/x"
	[ "$status" -eq 2 ]
	[ "$output" = "vm-initrd: error: $T/linux/modules.order: No such file or directory (the modules of build tree $T/linux are not built: run make modules there)" ]
}

@test "tree errors: a line of modules.order that is no module's path is named" {
	tree_requires
	make_tree "$T/linux"
	cp "$T/linux/modules.order" "$T/order"
	local n bad
	n=$(( $(wc -l <"$T/order") + 1 ))
	while IFS='|' read -r bad why; do
		{ cat "$T/order"; printf '%s\n' "$bad"; } >"$T/linux/modules.order"
		run initrd -k "$T/linux/arch/x86/boot/bzImage" -o "$T/x"
		[ "$status" -eq 2 ] || { echo "$bad: $output"; return 1; }
		[ "$output" = "vm-initrd: error: $T/linux/modules.order:$n: not the path of a module: $why" ] ||
			{ echo "$bad: $output"; return 1; }
	done <<-'EOF'
		/fs/9p/9p.ko|an absolute path
		fs/../9p.ko|a "." or ".." component
		fs//9p.ko|an empty component
		fs/9p/9p.c|no name ending in .o or .ko
		fs/9p/.ko|no name ending in .o or .ko
		fs/9p/9p.ko |a blank, a control character or a NUL
	EOF
	# Blank lines and a repeated module are harmless.
	{ echo; cat "$T/order"; echo; sed -n 1p "$T/order"; } >"$T/linux/modules.order"
	initrd -k "$T/linux/arch/x86/boot/bzImage" -o "$T/x"
	from_tree "$T/x" "$T/order"
}

@test "tree: an image in a tree of another release passes the tree over; --build-tree insists" {
	tree_requires
	make_tree "$T/linux"
	echo 9.9.9-other >"$T/linux/include/config/kernel.release"
	run --separate-stderr initrd -k "$T/linux/arch/x86/boot/bzImage" -o "$T/x" --verbose
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"lies in build tree $T/linux, of kernel 9.9.9-other, not $KVER: not its modules"* ]]
	[[ "$stderr" == *"modules from /lib/modules/$KVER: "* ]]
	run initrd -k "$T/linux/arch/x86/boot/bzImage" --build-tree "$T/linux" -o "$T/x"
	[ "$status" -eq 2 ]
	[ "$output" = "vm-initrd: error: build tree $T/linux is of kernel 9.9.9-other, $T/linux/arch/x86/boot/bzImage of kernel $KVER (include/config/kernel.release)" ]
}

@test "tree: --build-tree for an image kept elsewhere; it excludes --modules-dir and --no-modules" {
	tree_requires
	make_tree "$T/linux"
	run --separate-stderr initrd -k "$KERNEL" --build-tree "$T/linux" -o "$T/x" --verbose
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"build tree $T/linux: "* ]]
	from_tree "$T/x" "$T/linux/modules.order"
	run initrd -k "$KERNEL" --build-tree "$T/linux" --modules-dir "/lib/modules/$KVER" -o "$T/x"
	[ "$status" -eq 2 ]
	[ "$output" = "vm-initrd: error: --modules-dir, --build-tree and --no-modules exclude each other" ]
	run initrd -k "$KERNEL" --build-tree "$T/linux" --no-modules -o "$T/x"
	[ "$status" -eq 2 ]
	run initrd -k "$KERNEL" --build-tree "$T/none" -o "$T/x"
	[ "$status" -eq 2 ]
	[ "$output" = "vm-initrd: error: $T/none: No such file or directory" ]
}

@test "tree: a kernel built without module support takes no modules" {
	tree_requires
	make_tree "$T/linux"
	rm "$T/linux/modules.order"
	sed -i 's/^CONFIG_MODULES=y$/# CONFIG_MODULES is not set/' "$T/linux/.config"
	run --separate-stderr initrd -k "$T/linux/arch/x86/boot/bzImage" -o "$T/x" --verbose
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"build tree $T/linux: no module support (CONFIG_MODULES): no modules"* ]]
	[ -z "$(module_list "$T/x")" ]
}

@test "tree: vmtest -k arch/x86/boot/bzImage in the tree boots with the tree's modules, /lib/modules hidden" {
	tree_requires
	mount_ns_requires
	vm_requires
	local tree
	tree=$(cached_tree)
	cd "$tree"
	run --separate-stderr hide_modules env TMPDIR=/var/tmp VMTEST_NO_UI=1 VMTEST_BINDIR="$VT_BIN" \
		"$VT_ROOT/bin/vmtest" -k arch/x86/boot/bzImage -- \
		'ls /lib/modules | wc -l; grep -o "^9p " /proc/modules; grep -o "^9pnet_virtio " /proc/modules'
	[ "$status" -eq 0 ] || { echo "$output"; echo "$stderr"; return 1; }
	# The guest shares the host's root, in which /lib/modules is empty.
	[[ "$output" == *$'\n0\n9p \n9pnet_virtio '* ]] || { echo "$output"; return 1; }
}
