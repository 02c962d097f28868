# localmodel: make, make test, make check (ASan+UBSan), make bench, make fuzz,
# make install PREFIX=... DESTDIR=...

VERSION   = 0.1.0
PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
DATADIR  ?= $(PREFIX)/share
CC       ?= cc
PKG_CONFIG ?= pkg-config

# The OS picks one side of the platform seam (src/os_<os>.c) and the SHA-256
# implementation: OpenSSL's libcrypto on Linux, CommonCrypto on macOS.
# TARGET_OS=Darwin with CC='zig cc -target aarch64-macos' cross-compiles
# (see scripts/cross-check.sh).
TARGET_OS ?= $(shell uname -s)
ifeq ($(TARGET_OS),Darwin)
OS_SRC    = src/os_darwin.c src/dl/crypto_cc.c
OS_CFLAGS = -D_DARWIN_C_SOURCE
OS_LIBS   =
CRYPTO_PKG =
# Homebrew's curl, sqlite and libarchive are keg-only: pkg-config finds them
# only through their own folders.
BREW_PREFIX := $(shell brew --prefix 2>/dev/null)
ifneq ($(BREW_PREFIX),)
export PKG_CONFIG_PATH := $(BREW_PREFIX)/opt/libarchive/lib/pkgconfig:$(BREW_PREFIX)/opt/curl/lib/pkgconfig:$(BREW_PREFIX)/opt/sqlite/lib/pkgconfig:$(PKG_CONFIG_PATH)
endif
else
OS_SRC    = src/os_linux.c src/dl/crypto.c
OS_CFLAGS = -D_GNU_SOURCE
OS_LIBS   = -ldl
CRYPTO_PKG = libcrypto
endif

# Headers of every library; only sqlite3 and cJSON are linked. libcurl,
# libarchive and libcrypto are loaded with dlopen by the commands that need
# them (src/dl/), so that start-up stays as cheap as a plain C program.
# PKG_CFLAGS and PKG_LIBS may be given (the cross check does).
PKGS      = libcurl sqlite3 libcjson libarchive $(CRYPTO_PKG)
LINK_PKGS = sqlite3 libcjson
ifeq ($(origin PKG_CFLAGS),undefined)
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS))
endif
ifeq ($(origin PKG_LIBS),undefined)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(LINK_PKGS))
endif

CFLAGS  ?= -O2 -g
WARN     = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter
# snprintf truncation is deliberate where it happens; gcc alone warns about it
IS_CLANG := $(shell $(CC) --version 2>/dev/null | grep -q clang && echo 1)
ifneq ($(IS_CLANG),1)
WARN    += -Wno-format-truncation
endif
ALL_CFLAGS = -std=c11 $(OS_CFLAGS) -DLM_VERSION='"$(VERSION)"' -Iinclude $(PKG_CFLAGS) $(WARN) $(CFLAGS)
LDLIBS  += $(PKG_LIBS) $(OS_LIBS) -lm

BUILD   ?= build
OS_ALL   = src/os_linux.c src/os_darwin.c src/dl/crypto.c src/dl/crypto_cc.c
SRC      = $(filter-out $(OS_ALL),$(wildcard src/*.c src/cmd/*.c src/dl/*.c)) $(OS_SRC)
OBJ      = $(SRC:%.c=$(BUILD)/%.o)
LIB_OBJ  = $(filter-out $(BUILD)/src/main.o,$(OBJ))
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
MAN_SRC  = $(sort $(wildcard man/src/*.roff))

all: localmodel man/localmodel.1

localmodel: $(BUILD)/localmodel
	cp $< $@

$(BUILD)/localmodel: $(OBJ)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(OBJ) $(LDLIBS)

$(BUILD)/%.o: %.c $(wildcard include/localmodel/*.h src/*.h src/dl/*.h) Makefile
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c tests/unit/t.h $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(ALL_CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(LIB_OBJ) $(LDLIBS)

# The man page is assembled from one part per section/command.
man/localmodel.1: $(MAN_SRC)
	cat $(MAN_SRC) | sed 's/@VERSION@/$(VERSION)/g' > $@

unit: $(UNIT_BIN)

test: all unit
	LOCALMODEL_BIN=$(CURDIR)/$(BUILD)/localmodel BUILD=$(BUILD) sh tests/run.sh

# Every source compiled for macOS (arm64, x86_64) and aarch64 Linux with
# zig's cc, and a Mach-O arm64 executable linked (run by tests/e2e).
cross:
	sh scripts/cross-check.sh

# Sanitizers: a separate build tree, the same tests.
check:
	$(MAKE) BUILD=build-asan CFLAGS='-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all' \
		LDFLAGS='-fsanitize=address,undefined' build-asan/localmodel man/localmodel.1 unit-asan
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		LOCALMODEL_BIN=$(CURDIR)/build-asan/localmodel BUILD=build-asan LOCALMODEL_SANITIZED=1 sh tests/run.sh

unit-asan:
	$(MAKE) BUILD=build-asan CFLAGS='-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all' \
		LDFLAGS='-fsanitize=address,undefined' unit

# memcheck on the unit tests and the short end-to-end scripts
VALGRIND_TESTS ?= t0001 t0002 t0300 t0302 t0400 t0415 t0450 t0501 t0502 t0503 t0504 t0505 t0710 t0720
valgrind: all unit
	LOCALMODEL_BIN=$(CURDIR)/$(BUILD)/localmodel BUILD=$(BUILD) LOCALMODEL_VALGRIND=1 \
		TESTS="$(VALGRIND_TESTS)" sh tests/run.sh

bench: all
	sh scripts/bench/run-all.sh

fuzz:
	sh tests/fuzz/run.sh

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(DATADIR)/bash-completion/completions \
		$(DESTDIR)$(DATADIR)/zsh/site-functions $(DESTDIR)$(DATADIR)/fish/vendor_completions.d
	install -m 0755 localmodel $(DESTDIR)$(BINDIR)/localmodel
	install -m 0644 man/localmodel.1 $(DESTDIR)$(MANDIR)/man1/localmodel.1
	install -m 0644 scripts/completions/localmodel.bash $(DESTDIR)$(DATADIR)/bash-completion/completions/localmodel
	install -m 0644 scripts/completions/_localmodel $(DESTDIR)$(DATADIR)/zsh/site-functions/_localmodel
	install -m 0644 scripts/completions/localmodel.fish $(DESTDIR)$(DATADIR)/fish/vendor_completions.d/localmodel.fish

clean:
	rm -rf build build-asan build-cross localmodel man/localmodel.1

.PHONY: all unit test cross check unit-asan valgrind bench fuzz install clean
