# Grace - a C toolkit of six Unix filters over NDJSON events.
#
#   make            build everything into build/
#   make demo       install missing packages (as root), build, run the demo
#   make check      install missing packages (as root), build, run all tests
#   make bench      the benchmarks (ratios against sha256, jq, ... in one run)
#   make fuzz       every libFuzzer harness in tests/fuzz/, FUZZ_SECONDS each
#                   (clang; FUZZ=NAME runs one)
#   make install    PREFIX=/usr/local DESTDIR=
#
# Knobs: WERROR=1 adds -Werror; SANITIZE=1 builds with ASan + UBSan.
# Flags are recorded in build/.flags so that changing them rebuilds.

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
DESTDIR ?=

CC      ?= cc
OPT     ?= -O2 -g
HARDEN  ?= -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
HARDEN_LD ?= -pie -Wl,-z,relro,-z,now
CFLAGS  ?= $(OPT)
WARN    := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
ifeq ($(WERROR),1)
WARN    += -Werror
endif
ifeq ($(SANITIZE),1)
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) $(HARDEN) $(SAN) $(CFLAGS) -Ilib
LDLIBS  := -lyaml -ljq -lonig -lcrypto -lpthread -lm
ALL_LDFLAGS := $(HARDEN_LD) $(SAN) $(LDFLAGS)

# Sanitizer builds live apart, so switching does not rebuild the other.
ifeq ($(SANITIZE),1)
B ?= build/san
else
B ?= build
endif
PROGS := $(patsubst cmd/%.c,%,$(wildcard cmd/grace-*.c))

# The library: the shared core in lib/, and one folder per system. Each
# folder is one archive; a program links its systems' archives, then the
# core's, and nothing else (so `make build/bin/grace-decide` compiles only
# lib/decide/ and lib/). Dependencies run cmd/ -> systems -> core, never
# back (tests/layout.bats checks it). SYSTEMS lists users before what they
# use (route uses gate and log; heal uses gate, verify and log; gate and
# verify use log), the order the unit tests link in.
SYSTEMS := route heal gate verify decide log
LIBS_grace-log    := log
LIBS_grace-gate   := gate log
LIBS_grace-verify := verify log
LIBS_grace-decide := decide
LIBS_grace-route  := route gate log
LIBS_grace-heal   := heal gate verify log
# Libraries one program alone links (the NATS client: grace-route's nats
# target and source, lib/route/nats.c).
LDLIBS_grace-route := -lnats
obj = $(patsubst %.c,$(B)/obj/%.o,$(1))
CORE_SRC := $(wildcard lib/*.c)
LIB_SRC := $(CORE_SRC) $(foreach s,$(SYSTEMS),$(wildcard lib/$(s)/*.c))
LIB_HDR := $(wildcard lib/*.h lib/*/*.h)
ARCHIVES := $(foreach s,$(SYSTEMS),$(B)/lib/lib$(s).a) $(B)/lib/libcore.a
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(patsubst tests/unit/%.c,$(B)/test/%,$(UNIT_SRC))
# Fuzz harnesses: each is also linked with the replay driver by the normal
# compiler, so that make check replays their corpora without clang.
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(FUZZ_SRC))
FUZZ_REPLAY := $(patsubst tests/fuzz/%.c,$(B)/test/%,$(FUZZ_SRC))
BINS := $(addprefix $(B)/bin/,$(PROGS))
MAN1 := $(wildcard man/*.1)
MAN5 := $(wildcard man/*.5)
MAN7 := $(wildcard man/*.7)

.PHONY: all deps demo check test unit bench install uninstall clean valgrind fuzz fuzz-build fuzz-bins
.DELETE_ON_ERROR:
.SECONDARY:

all: $(BINS) $(UNIT_BIN) $(FUZZ_REPLAY)

# Rebuild everything when the flags change.
$(B)/.flags: FORCE
	@mkdir -p $(B)
	@echo '$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS)' | cmp -s - $@ || echo '$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS)' > $@
FORCE:

$(B)/obj/%.o: %.c $(LIB_HDR) $(B)/.flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/lib/libcore.a: $(call obj,$(CORE_SRC))
$(foreach s,$(SYSTEMS),$(eval $(B)/lib/lib$(s).a: $(call obj,$(wildcard lib/$(s)/*.c))))
$(ARCHIVES):
	@mkdir -p $(dir $@)
	@rm -f $@
	ar rcs $@ $^

# A program: its object, its systems' archives in the order given, the core.
define prog_rule
$(B)/bin/$(1): $(B)/obj/cmd/$(1).o $(foreach s,$(LIBS_$(1)),$(B)/lib/lib$(s).a) $(B)/lib/libcore.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(ALL_LDFLAGS) -o $$@ $$^ $$(LDLIBS_$(1)) $$(LDLIBS)
endef
$(foreach p,$(PROGS),$(eval $(call prog_rule,$(p))))

# The unit tests may reach into any folder: they link every archive.
$(B)/test/%: $(B)/obj/tests/unit/%.o $(ARCHIVES)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/obj/tests/unit/%.o: tests/unit/%.c tests/unit/t.h $(LIB_HDR) $(B)/.flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/test/fuzz_%: $(B)/obj/tests/fuzz/fuzz_%.o $(B)/obj/tests/fuzz/replay.o $(ARCHIVES)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/obj/tests/fuzz/%.o: tests/fuzz/%.c tests/fuzz/fuzz.h $(LIB_HDR) $(B)/.flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# make fuzz: the library and every harness built by clang with libFuzzer,
# ASan and UBSan in build/fuzz/, then each harness run for FUZZ_SECONDS
# over a scratch copy of its seed corpus and regression inputs (nothing is
# written into the tree). scripts/fuzz.sh prints the executions and corpus
# size of each, names any crash file, and fails if one crashed.
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FB := build/fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) -g -O1 $(FUZZ_SAN) -Ilib
FUZZ_LIB_OBJ := $(patsubst lib/%.c,$(FB)/obj/lib/%.o,$(LIB_SRC))
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(FB)/bin/%,$(FUZZ_SRC))

$(FB)/.flags: FORCE
	@mkdir -p $(FB)
	@echo '$(FUZZ_CC) $(FUZZ_CFLAGS)' | cmp -s - $@ || echo '$(FUZZ_CC) $(FUZZ_CFLAGS)' > $@

$(FB)/obj/lib/%.o: lib/%.c $(LIB_HDR) $(FB)/.flags
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FB)/obj/fuzz/%.o: tests/fuzz/%.c tests/fuzz/fuzz.h $(LIB_HDR) $(FB)/.flags
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FB)/libgrace.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(FB)/bin/fuzz_%: $(FB)/obj/fuzz/fuzz_%.o $(FB)/libgrace.a
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

fuzz-build:
	@sh scripts/deps.sh fuzz
	@$(MAKE) --no-print-directory fuzz-bins

fuzz-bins: $(FUZZ_BINS)
	@:

fuzz: fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) sh scripts/fuzz.sh $(FB)/bin $(or $(FUZZ),$(FUZZ_NAMES))

deps:
	@sh scripts/deps.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@GRACE_BIN=$(abspath $(B)/bin) sh scripts/demo.sh

check: deps
	@$(MAKE) --no-print-directory test

# test: like check, without the package step.
test: all
	@GRACE_BIN=$(abspath $(B)/bin) GRACE_TESTBIN=$(abspath $(B)/test) sh scripts/run-tests.sh

bench: deps
	@$(MAKE) --no-print-directory all
	@GRACE_BIN=$(abspath $(B)/bin) sh bench/run.sh

valgrind: all
	@GRACE_BIN=$(abspath $(B)/bin) GRACE_TESTBIN=$(abspath $(B)/test) sh scripts/valgrind.sh

install: $(BINS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7
	install -m0755 $(BINS) $(DESTDIR)$(BINDIR)
	$(if $(MAN1),install -m0644 $(MAN1) $(DESTDIR)$(MANDIR)/man1)
	$(if $(MAN5),install -m0644 $(MAN5) $(DESTDIR)$(MANDIR)/man5)
	$(if $(MAN7),install -m0644 $(MAN7) $(DESTDIR)$(MANDIR)/man7)

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(PROGS))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MAN1)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(MAN5)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man7/,$(notdir $(MAN7)))

clean:
	rm -rf $(B)
