# vmtest-tools: plain GNU make.  `make` builds every tool into build/bin,
# `make check` installs what the tests need and runs them.  SAN=1 builds
# with ASan+UBSan into build/san so the two builds never mix objects.

VERSION := 0.1.0
SHELL := /bin/bash
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man

CC ?= cc
CFLAGS ?= -O2 -g
PKG_CONFIG ?= pkg-config
PKGS := jansson inih
# Packages only some tools link, by tool: PKGS_<tool>.  The unit tests and
# fuzz targets take any tool's parts, so they link all of TOOL_PKGS.
PKGS_vm-initrd := libkmod zlib liblzma libzstd
PKGS_qemu-launch := zlib liblzma libzstd
TOOL_PKGS := $(PKGS_vm-initrd)

ifeq ($(SAN),1)
BUILD := build/san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else
BUILD := build
SANFLAGS :=
endif

# pkg-config is asked when a recipe first needs its answer, never when
# make reads this file: `make demo` installs the packages (deps) and only
# then builds, in a make of its own.  A missing package is one error.
pkg = $(if $(shell $(PKG_CONFIG) --exists $(1) 2>/dev/null && echo y),$(shell \
	$(PKG_CONFIG) $(2) $(1)),$(error pkg-config finds no $(1): run 'make deps', \
	which installs build-aux/debian-packages))
# once NAME,VALUE: VALUE computed at NAME's first use, then kept.
once = $(eval $(1) := $(2))$($(1))
PKG_CFLAGS = $(call once,PKG_CFLAGS,$(call pkg,$(PKGS) $(TOOL_PKGS),--cflags))
LIBS = $(call once,LIBS,$(call pkg,$(PKGS),--libs))
LIBS_vm-initrd = $(call once,LIBS_vm-initrd,$(call pkg,$(PKGS_vm-initrd),--libs))
LIBS_qemu-launch = $(call once,LIBS_qemu-launch,$(call pkg,$(PKGS_qemu-launch),--libs))
PART_LIBS = $(call once,PART_LIBS,$(call pkg,$(TOOL_PKGS),--libs))

ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow \
	-Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral \
	-pthread -Ilib -DVERSION='"$(VERSION)"' -MMD -MP $(SANFLAGS) \
	$(PKG_CFLAGS) $(CFLAGS)
ALL_LDFLAGS := $(SANFLAGS) -pthread $(LDFLAGS)

TOOLS := qmp-send qga-exec nbd-fault nbd-replay qemu-launch vm-initrd line-window vmtest-report
LIB_SRCS := $(wildcard lib/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
BINS := $(TOOLS:%=$(BUILD)/bin/%)

.PHONY: all deps check check-fresh fuzz fuzz-targets fuzz-run bench demo install uninstall clean
.DEFAULT_GOAL := all
# Keep objects make would otherwise treat as intermediate and delete.
.SECONDARY:

all: $(BINS) $(UNIT_BINS) $(BUILD)/bin/vm-init

$(BUILD)/lib/libvt.a: $(LIB_OBJS)
	ar rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# Each tool is tools/NAME/*.c linked against lib/.
define tool_rule
$(BUILD)/bin/$(1): $(patsubst %.c,$(BUILD)/%.o,$(wildcard tools/$(1)/*.c)) $(BUILD)/lib/libvt.a
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_LDFLAGS) -o $$@ $$^ $$(LIBS) $$(LIBS_$(1))
endef
$(foreach t,$(TOOLS),$(eval $(call tool_rule,$(t))))

# qemu-launch runs toml-targets.py as python3 -c SCRIPT: the script as a
# C string, made with sed alone ('?' escaped against trigraphs).
TOML_PY := tools/qemu-launch/toml-targets.py
build/gen/toml-targets.h: $(TOML_PY)
	@mkdir -p $(@D)
	{ echo 'static const char toml_targets_py[] ='; \
	  sed -e 's/[\\"?]/\\&/g' -e 's/^/"/' -e 's/$$/\\n"/' $<; echo ';'; } >$@.tmp
	mv $@.tmp $@
$(BUILD)/tools/qemu-launch/tomlrun.o build/fuzz/obj/tools/qemu-launch/tomlrun.o: \
	build/gen/toml-targets.h
$(BUILD)/tools/qemu-launch/tomlrun.o: ALL_CFLAGS += -Ibuild/gen
build/fuzz/obj/tools/qemu-launch/tomlrun.o: FUZZ_FLAGS += -Ibuild/gen

# vm-init is the guest's PID 1, run from an initramfs that has no
# libraries: one static binary of libc alone (no jansson, no inih), so
# not a TOOLS member.  Its objects are its own, built without sanitizers
# (they cannot link statically), also in a SAN=1 build.
VMINIT := $(BUILD)/bin/vm-init
VMINIT_SRCS := $(wildcard tools/vm-init/*.c) lib/diag.c lib/parse.c lib/fdio.c
VMINIT_OBJS := $(VMINIT_SRCS:%.c=$(BUILD)/static/%.o)
VMINIT_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow \
	-Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral \
	-Ilib -DVERSION='"$(VERSION)"' -MMD -MP $(CFLAGS)
$(BUILD)/static/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(VMINIT_CFLAGS) -c -o $@ $<
$(VMINIT): $(VMINIT_OBJS)
	@mkdir -p $(@D)
	$(CC) -static $(LDFLAGS) -o $@ $^

# vm-init for the other architectures, so that a kernel of one boots
# without a hand-made initrd: $(BUILD)/bin/vm-init.ARCH, cross-built by
# Debian's gcc-ARCH-linux-gnu with libc6-dev-DEBARCH-cross.  An arch whose
# cross compiler or static libc is missing is left out, quietly: its
# kernel targets then need --initrd, and vm-initrd says so.
HOST_ARCH := $(firstword $(subst -, ,$(shell $(CC) -dumpmachine)))
CROSS_ARCHES := $(filter-out $(HOST_ARCH),x86_64 aarch64 riscv64 s390x)
cross_ok = $(findstring /,$(shell $(1)-linux-gnu-gcc -print-file-name=libc.a \
	2>/dev/null))
CROSS_FOUND := $(foreach a,$(CROSS_ARCHES),$(if $(call cross_ok,$(a)),$(a)))
VMINIT_CROSS := $(CROSS_FOUND:%=$(VMINIT).%)
define cross_rule
$(BUILD)/static-$(1)/%.o: %.c
	@mkdir -p $$(@D)
	$(1)-linux-gnu-gcc $$(VMINIT_CFLAGS) -c -o $$@ $$<
$(VMINIT).$(1): $(VMINIT_SRCS:%.c=$(BUILD)/static-$(1)/%.o)
	@mkdir -p $$(@D)
	$(1)-linux-gnu-gcc -static $$(LDFLAGS) -o $$@ $$^
endef
$(foreach a,$(CROSS_FOUND),$(eval $(call cross_rule,$(a))))
all: $(VMINIT_CROSS)

# Unit tests and fuzz targets take what they test from lib/ and from the
# tools' own parts: every tool file but its main.c, in one more archive.
PART_SRCS := $(filter-out %/main.c,$(wildcard tools/*/*.c))
PART_OBJS := $(PART_SRCS:%.c=$(BUILD)/%.o)
$(BUILD)/lib/libparts.a: $(PART_OBJS)
	@mkdir -p $(@D)
	ar rcs $@ $^

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(BUILD)/lib/libparts.a $(BUILD)/lib/libvt.a
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) $(PART_LIBS)

# The dependency installer; tests put a stand-in here.
INSTALL_DEPS ?= build-aux/deps.sh
deps:
	@$(INSTALL_DEPS)

# The sanitizers write their reports to files so that a report fails the
# run even where a test expected the tool to fail anyway.
SAN_REPORTS := $(CURDIR)/$(BUILD)/san-reports
# Each target that installs packages first builds in a make of its own,
# which reads this file after deps has run.
# Two test files at a time (GNU parallel runs them): a file's tests run in
# order, as many share one guest, and most of a file's time is spent
# waiting on a guest or a peer, so two files overlap well even on two
# cores.  The longest files start first.
CHECK_JOBS ?= 2
CHECK_FIRST := $(patsubst %,tests/%.bats,vmtest snapshot vm-init image build \
	foreign packages nbd-fault qga-exec qemu-launch)
CHECK_FILES = $(CHECK_FIRST) $(filter-out $(CHECK_FIRST),$(sort $(wildcard tests/*.bats)))
check: deps
	@$(MAKE) --no-print-directory all fuzz-targets
	@rm -rf $(SAN_REPORTS) && mkdir -p $(SAN_REPORTS)
	VT_BIN=$(CURDIR)/$(BUILD)/bin VT_TESTBIN=$(CURDIR)/$(BUILD)/tests \
	VT_FUZZBIN=$(CURDIR)/build/fuzz BATS_TEST_TIMEOUT=$${BATS_TEST_TIMEOUT:-300} \
	ASAN_OPTIONS=log_path=$(SAN_REPORTS)/asan:detect_leaks=1 \
	UBSAN_OPTIONS=log_path=$(SAN_REPORTS)/ubsan:print_stacktrace=1 \
	bats --tap --jobs $(CHECK_JOBS) --no-parallelize-within-files $(CHECK_FILES) \
	    | tee $(BUILD)/check.tap; rc=$${PIPESTATUS[0]}; \
	awk '/^not ok /{f++; next} /^ok .*# [Ss][Kk][Ii][Pp]/{s++; next} /^ok /{p++} \
	    END {printf "check: %d passed, %d failed, %d skipped\n", p, f, s}' \
	    $(BUILD)/check.tap; exit $$rc
	@if [ -n "$$(ls $(SAN_REPORTS))" ]; then \
		cat $(SAN_REPORTS)/*; echo "make check: sanitizer reports above" >&2; exit 1; fi

# libFuzzer targets, always built with clang and both sanitizers.  What
# they test is compiled once, instrumented, into build/fuzz/obj.
FUZZ_CC ?= clang
FUZZ_TARGETS := $(patsubst fuzz/%.c,build/fuzz/%,$(wildcard fuzz/*.c))
FUZZ_FLAGS = -std=c11 -D_GNU_SOURCE -g -O1 -pthread -Ilib -DVERSION='"$(VERSION)"' \
	$(PKG_CFLAGS)
FUZZ_OBJS := $(patsubst %.c,build/fuzz/obj/%.o,$(LIB_SRCS) $(PART_SRCS))
fuzz: deps
	@$(MAKE) --no-print-directory fuzz-targets
fuzz-targets: $(FUZZ_TARGETS)
build/fuzz/obj/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link,address,undefined -MMD -MP -c -o $@ $<
build/fuzz/libfuzzparts.a: $(FUZZ_OBJS)
	ar rcs $@ $^
build/fuzz/%: fuzz/%.c build/fuzz/libfuzzparts.a $(wildcard fuzz/*.h)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer,address,undefined \
		-o $@ $< build/fuzz/libfuzzparts.a $(LIBS) $(PART_LIBS)

FUZZ_SECONDS ?= 60
fuzz-run: fuzz
	@for f in $(FUZZ_TARGETS); do n=$${f##*/}; mkdir -p build/fuzz-corpus/$$n; \
		echo "fuzz: $$n for $(FUZZ_SECONDS)s"; \
		$$f -max_total_time=$(FUZZ_SECONDS) build/fuzz-corpus/$$n fuzz/corpus/$$n || exit 1; done

bench: deps
	@$(MAKE) --no-print-directory all
	@for b in bench/*.sh; do VT_BIN=$(CURDIR)/$(BUILD)/bin $$b || exit 1; done

demo: deps
	@$(MAKE) --no-print-directory all
	@VT_BIN=$(CURDIR)/$(BUILD)/bin build-aux/demo.sh

# The README's two commands in a fresh minimal Debian root (needs root).
check-fresh:
	@build-aux/fresh-root.sh

# The driver finds the tools beside itself once installed.  Installing
# builds with what is installed: `make deps` first on a fresh machine.
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 $(BINS) $(VMINIT) $(VMINIT_CROSS) bin/vmtest $(DESTDIR)$(BINDIR)
	install -m 644 $(foreach t,$(TOOLS) vm-init,tools/$(t)/$(t).1) bin/vmtest.1 \
		$(DESTDIR)$(MANDIR)/man1

uninstall:
	rm -f $(TOOLS:%=$(DESTDIR)$(BINDIR)/%) $(TOOLS:%=$(DESTDIR)$(MANDIR)/man1/%.1)
	rm -f $(DESTDIR)$(BINDIR)/vm-init $(DESTDIR)$(MANDIR)/man1/vm-init.1
	rm -f $(foreach a,x86_64 aarch64 riscv64 s390x,$(DESTDIR)$(BINDIR)/vm-init.$(a))
	rm -f $(DESTDIR)$(BINDIR)/vmtest $(DESTDIR)$(MANDIR)/man1/vmtest.1

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
