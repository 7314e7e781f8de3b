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
DESTDIR ?=
CC ?= cc
PKG_CONFIG ?= pkg-config
OPT ?= -O2 -g
BUILD ?= build
SAN ?=
CRYPTO ?= both
WERROR ?=
JOBS ?= 2

MAJOR = 0
VERSION = 0.1.0

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
CPPFLAGS_ALL = -D_GNU_SOURCE -Iinclude -Ilib $(CRYPTO_CFLAGS) $(ZLIB_CFLAGS) $(REDIS_CFLAGS)
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

STATIC = $(BUILD)/libcrumb.a
SHARED = $(BUILD)/libcrumb.so.$(VERSION)
SONAME = libcrumb.so.$(MAJOR)

.SECONDARY:
.PHONY: all lib tests check check-build bench fuzz run deps install uninstall clean
CLI = $(if $(TOOL_SRC),$(BUILD)/crumb)
all: lib $(CLI) $(BUILD)/crumb.pc

lib: $(STATIC) $(SHARED) $(BUILD)/libcrumb.so

$(BUILD)/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(STATIC): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(SHARED): $(LIB_OBJ) lib/libcrumb.map
	$(CC) -shared -Wl,-soname,$(SONAME) -Wl,--version-script=lib/libcrumb.map \
	  $(LDFLAGS_ALL) -o $@ $(LIB_OBJ) $(LIBS_ALL)

$(BUILD)/libcrumb.so: $(SHARED)
	ln -sf libcrumb.so.$(VERSION) $(BUILD)/$(SONAME)
	ln -sf libcrumb.so.$(VERSION) $@

$(BUILD)/crumb.pc: Makefile
	@mkdir -p $(dir $@)
	printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$(LIBDIR)' 'includedir=$(INCDIR)' '' \
	  'Name: libcrumb' 'Description: authenticated session cookies and session stores' \
	  'Version: $(VERSION)' 'Requires.private: $(CRYPTO_PC) zlib' \
	  'Libs: -L$${libdir} -lcrumb' 'Libs.private: $(MBEDTLS_LIBS) $(REDIS_LIBS) -lpthread' \
	  'Cflags: -I$${includedir}' > $@

$(BUILD)/crumb: $(TOOL_SRC) $(STATIC) $(HEADERS)
	$(CC) $(CFLAGS_ALL) -Itools $(LDFLAGS_ALL) -o $@ $(TOOL_SRC) $(STATIC) $(LIBS_ALL)

tests: $(TEST_BIN)

$(BUILD)/tests/%: tests/%.c $(TEST_SUPPORT_OBJ) $(STATIC) $(HEADERS)
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

$(BUILD)/bench/%: bench/%.c $(STATIC) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itests $(LDFLAGS_ALL) -o $@ $< $(STATIC) $(LIBS_ALL)

# check: the plain build, then the same tests under ASan+UBSan and the
# threaded ones under TSan, all run by tests/run.sh which ends with
# "N passed, N failed".
check: deps
	$(MAKE) -j$(JOBS) check-build
	$(MAKE) -j$(JOBS) check-build BUILD=build/asan SAN=address,undefined OPT='-O1 -g'
	$(MAKE) -j$(JOBS) check-build BUILD=build/tsan SAN=thread OPT='-O1 -g'
	tests/run.sh

check-build: all tests $(if $(FUZZ_SRC),$(BUILD)/fuzz_replay)

# fuzz harnesses: libFuzzer builds (clang) and a replay main for make check.
$(BUILD)/fuzz_replay: $(FUZZ_SRC) fuzz/replay_main.c $(wildcard fuzz/*.h) $(STATIC) $(HEADERS)
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

deps:
	@tools/deps.sh

run: deps all
	$(MAKE) -C examples run

install: all
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCDIR) $(DESTDIR)$(PCDIR) $(DESTDIR)$(BINDIR)
	install -m 644 $(STATIC) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(SHARED) $(DESTDIR)$(LIBDIR)/
	ln -sf libcrumb.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf libcrumb.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libcrumb.so
	install -m 644 include/crumb.h include/crumb_store.h $(DESTDIR)$(INCDIR)/
	install -m 644 $(BUILD)/crumb.pc $(DESTDIR)$(PCDIR)/
	install -m 755 $(BUILD)/crumb $(DESTDIR)$(BINDIR)/

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libcrumb.a $(DESTDIR)$(LIBDIR)/libcrumb.so.$(VERSION) \
	  $(DESTDIR)$(LIBDIR)/$(SONAME) $(DESTDIR)$(LIBDIR)/libcrumb.so \
	  $(DESTDIR)$(INCDIR)/crumb.h $(DESTDIR)$(INCDIR)/crumb_store.h \
	  $(DESTDIR)$(PCDIR)/crumb.pc $(DESTDIR)$(BINDIR)/crumb

clean:
	rm -rf build
