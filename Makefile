# libcrumb Makefile. Knobs (override on the command line or environment):
#   PREFIX DESTDIR CC OPT SAN BUILD CRYPTO=both|mbedtls WERROR=1 PKG_CONFIG
#   SODIUM_CFLAGS SODIUM_LIBS MBEDTLS_CFLAGS MBEDTLS_LIBS ZLIB_CFLAGS ZLIB_LIBS
#   REDIS=auto|on|off HIREDIS_CFLAGS HIREDIS_LIBS
# Targets: all (default), check, bench, fuzz, run, deps, install, uninstall, clean.

PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCDIR ?= $(PREFIX)/include
BINDIR ?= $(PREFIX)/bin
PCDIR ?= $(LIBDIR)/pkgconfig
MANDIR ?= $(PREFIX)/share/man
# the store conformance suite, for third-party store authors (crumb_store(3))
CONFDIR ?= $(PREFIX)/share/libcrumb
DESTDIR ?=
CC ?= cc
PKG_CONFIG ?= pkg-config
OPT ?= -O2 -g
BUILD ?= build
SAN ?=
CRYPTO ?= both
WERROR ?=
JOBS ?= 2

# The version lives in include/crumb.h alone (CRUMB_VERSION_MAJOR/MINOR/PATCH);
# tests/version.sh checks the library, the .pc and the SONAME agree with it.
VMACRO = $(shell sed -n 's/^\#define CRUMB_VERSION_$(1) \([0-9][0-9]*\).*/\1/p' include/crumb.h)
MAJOR := $(call VMACRO,MAJOR)
VERSION := $(MAJOR).$(call VMACRO,MINOR).$(call VMACRO,PATCH)

SODIUM_CFLAGS ?= $(shell $(PKG_CONFIG) --cflags libsodium 2>/dev/null)
SODIUM_LIBS ?= $(shell $(PKG_CONFIG) --libs libsodium 2>/dev/null || echo -lsodium)
MBEDTLS_CFLAGS ?= $(shell $(PKG_CONFIG) --cflags mbedcrypto 2>/dev/null)
MBEDTLS_LIBS ?= $(shell $(PKG_CONFIG) --libs mbedcrypto 2>/dev/null || echo -lmbedcrypto)
ZLIB_CFLAGS ?= $(shell $(PKG_CONFIG) --cflags zlib 2>/dev/null)
ZLIB_LIBS ?= $(shell $(PKG_CONFIG) --libs zlib 2>/dev/null || echo -lz)
MHD_CFLAGS ?= $(shell $(PKG_CONFIG) --cflags libmicrohttpd 2>/dev/null)
MHD_LIBS ?= $(shell $(PKG_CONFIG) --libs libmicrohttpd 2>/dev/null || echo -lmicrohttpd)

ifeq ($(CRYPTO),mbedtls)
CRYPTO_CFLAGS = -DCRUMB_HAVE_SODIUM=0 $(MBEDTLS_CFLAGS)
CRYPTO_LIBS = $(MBEDTLS_LIBS)
CRYPTO_PC =
else
CRYPTO_CFLAGS = -DCRUMB_HAVE_SODIUM=1 $(SODIUM_CFLAGS) $(MBEDTLS_CFLAGS)
CRYPTO_LIBS = $(SODIUM_LIBS) $(MBEDTLS_LIBS)
CRYPTO_PC = libsodium
endif

WARN = -std=c11 -Wall -Wextra -Wconversion -Wshadow -pedantic $(if $(WERROR),-Werror)
SANFLAGS = $(if $(SAN),-fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=all)
CPPFLAGS_ALL = -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -Iinclude -Ilib $(CRYPTO_CFLAGS) $(ZLIB_CFLAGS) $(REDIS_CFLAGS)
CFLAGS_ALL = $(WARN) $(OPT) $(SANFLAGS) -fPIC -fvisibility=hidden $(CPPFLAGS_ALL) $(CFLAGS)
LIBS_ALL = $(CRYPTO_LIBS) $(ZLIB_LIBS) $(REDIS_LIBS) -lpthread
LDFLAGS_ALL = $(SANFLAGS) $(LDFLAGS)

# REDIS=auto|on|off (or 1|0): build stores/redis.c (needs hiredis); auto = if
# pkg-config finds hiredis.
REDIS ?= auto
ifeq ($(REDIS),1)
override REDIS := on
endif
ifeq ($(REDIS),0)
override REDIS := off
endif
ifeq ($(REDIS),auto)
override REDIS := $(shell $(PKG_CONFIG) --exists hiredis 2>/dev/null && echo on || echo off)
endif
ifeq ($(REDIS),on)
HIREDIS_CFLAGS ?= $(shell $(PKG_CONFIG) --cflags hiredis 2>/dev/null)
HIREDIS_LIBS ?= $(shell $(PKG_CONFIG) --libs hiredis 2>/dev/null || echo -lhiredis)
REDIS_CFLAGS = -DCRUMB_HAVE_REDIS=1 $(HIREDIS_CFLAGS)
REDIS_LIBS = $(HIREDIS_LIBS)
else
# without hiredis stores/redis.c builds stubs returning CRUMB_E_UNAVAILABLE
REDIS_CFLAGS = -DCRUMB_HAVE_REDIS=0
REDIS_LIBS =
endif
# $(BUILD)/config.stamp holds every flag that shapes an object or a link; it
# is rewritten only when it differs, and everything built depends on it, so
# a build dir reused with other knobs (REDIS, CRYPTO, SAN, OPT, CFLAGS, CC)
# is rebuilt instead of mixing objects of two configurations.
STAMP = $(BUILD)/config.stamp
STAMP_TEXT = CC=$(CC) CFLAGS=$(CFLAGS_ALL) LDFLAGS=$(LDFLAGS_ALL) LIBS=$(LIBS_ALL) VERSION=$(VERSION)
LIB_SRC = $(wildcard lib/*.c) $(wildcard stores/*.c)
LIB_OBJ = $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
TEST_SUPPORT_SRC = $(filter-out tests/test_%.c,$(wildcard tests/*.c))
TEST_SUPPORT_OBJ = $(TEST_SUPPORT_SRC:%.c=$(BUILD)/obj/%.o)
TEST_SRC = $(wildcard tests/test_*.c)
TEST_BIN = $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
TOOL_SRC = $(wildcard tools/*.c)
FUZZ_SRC = $(wildcard fuzz/fuzz_*.c)
BENCH_SRC = $(wildcard bench/*.c)
BENCH_BIN = $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
HEADERS = $(wildcard include/*.h lib/*.h stores/*.h)
PUBLIC_HEADERS = $(wildcard include/*.h)
TEST_HEADERS = $(wildcard tests/*.h)
CONFORMANCE = tests/store_conformance.c tests/store_conformance.h
MAN1 = $(wildcard man/*.1)
MAN3 = $(wildcard man/*.3)

STATIC = $(BUILD)/libcrumb.a
SHARED = $(BUILD)/libcrumb.so.$(VERSION)
SONAME = libcrumb.so.$(MAJOR)

.SECONDARY:
.PHONY: all lib tests check check-build bench fuzz run deps install uninstall clean FORCE
CLI = $(if $(TOOL_SRC),$(BUILD)/crumb)
all: lib $(CLI) $(BUILD)/crumb.pc

lib: $(STATIC) $(SHARED) $(BUILD)/libcrumb.so

$(STAMP): FORCE
	@mkdir -p $(dir $@)
	@printf '%s\n' '$(subst ','\'',$(STAMP_TEXT))' > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; echo "config: $@ updated"; fi

$(BUILD)/obj/%.o: %.c $(HEADERS) $(TEST_HEADERS) $(STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(STATIC): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(SHARED): $(LIB_OBJ) lib/libcrumb.map $(STAMP)
	$(CC) -shared -Wl,-soname,$(SONAME) -Wl,--version-script=lib/libcrumb.map \
	  $(LDFLAGS_ALL) -o $@ $(LIB_OBJ) $(LIBS_ALL)

$(BUILD)/libcrumb.so: $(SHARED)
	ln -sf libcrumb.so.$(VERSION) $(BUILD)/$(SONAME)
	ln -sf libcrumb.so.$(VERSION) $@

# crumb.pc for PREFIX/LIBDIR/INCDIR as given to this make; `make install`
# writes it again for the PREFIX/LIBDIR/INCDIR given to the install.
PC_TEXT = 'prefix=$(PREFIX)' 'libdir=$(LIBDIR)' 'includedir=$(INCDIR)' '' \
	  'Name: libcrumb' 'Description: authenticated session cookies and session stores' \
	  'Version: $(VERSION)' 'Requires.private: $(CRYPTO_PC) zlib' \
	  'Libs: -L$${libdir} -lcrumb' 'Libs.private: $(MBEDTLS_LIBS) $(REDIS_LIBS) -lpthread' \
	  'Cflags: -I$${includedir}'
$(BUILD)/crumb.pc: FORCE
	@mkdir -p $(dir $@)
	@printf '%s\n' $(PC_TEXT) > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; echo "wrote $@"; fi

# the CLI sees only the public headers (no -Ilib): it uses the public API
# alone, like any application (it links the static library).
CLI_CFLAGS = $(filter-out -Ilib,$(CFLAGS_ALL))
$(BUILD)/crumb: $(TOOL_SRC) $(wildcard tools/*.h) $(STATIC) $(HEADERS) $(STAMP)
	$(CC) $(CLI_CFLAGS) -Itools $(LDFLAGS_ALL) -o $@ $(TOOL_SRC) $(STATIC) $(LIBS_ALL)

tests: $(TEST_BIN)

$(BUILD)/tests/%: tests/%.c $(TEST_SUPPORT_OBJ) $(STATIC) $(HEADERS) $(TEST_HEADERS) $(STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itests $(LDFLAGS_ALL) -o $@ $< $(TEST_SUPPORT_OBJ) $(STATIC) $(LIBS_ALL)

# test_store_faults alone is linked with ld --wrap for the system calls the
# file store makes, so it can make the Nth one fail ("private": not inherited
# by the prerequisites; the other test binaries never see the wrappers).
FAULT_WRAP = open open64 __open_2 __open64_2 read __read_chk write fsync close rename \
  mkdir link unlink flock fstat fstat64 lstat lstat64 opendir readdir readdir64 \
  openat openat64 __openat_2 __openat64_2 renameat mkdirat linkat unlinkat fstatat fstatat64 \
  fdopendir
$(BUILD)/tests/test_store_faults: private LDFLAGS_ALL += $(FAULT_WRAP:%=-Wl,--wrap=%)

$(BUILD)/bench/bench_sqlite: private LIBS_ALL += -lsqlite3
$(BUILD)/bench/%: bench/%.c $(STATIC) $(HEADERS) $(STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itests $(LDFLAGS_ALL) -o $@ $< $(STATIC) $(LIBS_ALL)

# check: the plain build in $(BUILD), then the same tests under ASan+UBSan
# ($(BUILD)/asan) and the threaded ones under TSan ($(BUILD)/tsan), all run by
# tests/run.sh (told these roots), which ends with "N passed, N failed, N
# skipped". CHECK_STAGES picks stages: `make check CHECK_STAGES='plain
# script'` builds and runs the plain build only (CI's CRYPTO=mbedtls pass).
CHECK_STAGES ?= plain asan tsan valgrind script fuzz
# (a variable: a literal comma inside $(if ...) would end its then-part)
ASAN_SAN = address,undefined
check: deps
	$(MAKE) -j$(JOBS) check-build
	$(if $(filter asan fuzz,$(CHECK_STAGES)),$(MAKE) -j$(JOBS) check-build BUILD=$(BUILD)/asan SAN=$(ASAN_SAN) OPT='-O1 -g')
	$(if $(filter tsan,$(CHECK_STAGES)),$(MAKE) -j$(JOBS) check-build BUILD=$(BUILD)/tsan SAN=thread OPT='-O1 -g')
	CRUMB_BUILD=$(BUILD) CRUMB_BUILD_ASAN=$(BUILD)/asan CRUMB_BUILD_TSAN=$(BUILD)/tsan \
	  CRUMB_STAGES='$(CHECK_STAGES)' tests/run.sh

check-build: all tests $(if $(FUZZ_SRC),$(BUILD)/fuzz_replay)

# fuzz harnesses: libFuzzer builds (clang) and a replay main for make check.
$(BUILD)/fuzz_replay: $(FUZZ_SRC) fuzz/replay_main.c $(wildcard fuzz/*.h) $(STATIC) $(HEADERS) $(STAMP)
	@mkdir -p $(BUILD)/fuzz
	@for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
	  echo "$(CC) ... -o $(BUILD)/fuzz/$$n-replay"; \
	  $(CC) $(CFLAGS_ALL) -Ifuzz $(LDFLAGS_ALL) -o $(BUILD)/fuzz/$$n-replay $$f fuzz/replay_main.c $(STATIC) $(LIBS_ALL) || exit 1; \
	done; touch $@

# `make fuzz`: libFuzzer binaries in build/fuzz (run by tools/fuzz_ci.sh);
# build/fuzz/gen_corpus writes the seed corpora (fuzz/README.md).
FUZZ_CC ?= clang
FUZZ_BUILD = build/fuzz
FUZZ_SAN = -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
fuzz:
	$(MAKE) $(FUZZ_BUILD)/libcrumb.a BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) SAN=address,undefined \
	  OPT='-O1 -g' CFLAGS='-fsanitize=fuzzer-no-link'
	@for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
	  echo "$(FUZZ_CC) $(FUZZ_SAN) -o $(FUZZ_BUILD)/$$n"; \
	  $(FUZZ_CC) $(WARN) -O1 -g $(FUZZ_SAN) $(CPPFLAGS_ALL) -Ifuzz -o $(FUZZ_BUILD)/$$n $$f \
	    $(FUZZ_BUILD)/libcrumb.a $(LIBS_ALL) || exit 1; \
	done

$(FUZZ_BUILD)/gen_corpus: fuzz/gen_corpus.c fuzz/fuzz_common.h $(HEADERS)
	$(MAKE) $(FUZZ_BUILD)/gen/libcrumb.a BUILD=$(FUZZ_BUILD)/gen OPT='-O1 -g'
	$(CC) $(WARN) -O1 -g $(CPPFLAGS_ALL) -Ifuzz -o $@ fuzz/gen_corpus.c $(FUZZ_BUILD)/gen/libcrumb.a $(LIBS_ALL)

bench: lib $(BENCH_BIN)
	@for b in $(BENCH_BIN); do echo "== $$b"; $$b || exit 1; done
	@echo "== bench/callgrind.sh"; bench/callgrind.sh $(BUILD)
	@echo "== bench/peers.sh"; bench/peers.sh $(BUILD)

deps:
	@tools/deps.sh

run: deps all
	$(MAKE) -C examples run

install: all
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCDIR) $(DESTDIR)$(PCDIR) $(DESTDIR)$(BINDIR) \
	  $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(CONFDIR)
	install -m 644 $(STATIC) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(SHARED) $(DESTDIR)$(LIBDIR)/
	ln -sf libcrumb.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf libcrumb.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libcrumb.so
	install -m 644 $(PUBLIC_HEADERS) $(DESTDIR)$(INCDIR)/
	install -m 644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/
	install -m 644 $(MAN3) $(DESTDIR)$(MANDIR)/man3/
	install -m 644 $(CONFORMANCE) $(DESTDIR)$(CONFDIR)/
	printf '%s\n' $(PC_TEXT) > $(DESTDIR)$(PCDIR)/crumb.pc
	chmod 644 $(DESTDIR)$(PCDIR)/crumb.pc
	install -m 755 $(BUILD)/crumb $(DESTDIR)$(BINDIR)/

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libcrumb.a $(DESTDIR)$(LIBDIR)/libcrumb.so.$(VERSION) \
	  $(DESTDIR)$(LIBDIR)/$(SONAME) $(DESTDIR)$(LIBDIR)/libcrumb.so \
	  $(PUBLIC_HEADERS:include/%=$(DESTDIR)$(INCDIR)/%) \
	  $(MAN1:man/%=$(DESTDIR)$(MANDIR)/man1/%) $(MAN3:man/%=$(DESTDIR)$(MANDIR)/man3/%) \
	  $(DESTDIR)$(PCDIR)/crumb.pc $(DESTDIR)$(BINDIR)/crumb \
	  $(CONFORMANCE:tests/%=$(DESTDIR)$(CONFDIR)/%)
	rmdir $(DESTDIR)$(CONFDIR) 2>/dev/null || true

clean:
	rm -rf build
