# ppgd — GNU Makefile. `make demo` and `make check` install what they need.
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share/ppgd
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
DESTDIR ?=

CC      ?= cc
PKGS    := libevent libevent_pthreads sqlite3 inih libfyaml jansson libcurl \
	   libcrypto libesmtp-1.0 libutf8proc libqrencode libsodium
VERSION := 0.1.0

CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter \
	   -DPPGD_VERSION='"$(VERSION)"' -DPPGD_DATADIR='"$(DATADIR)"' -pthread
ifeq ($(WERROR),1)
CFLAGS  += -Werror
endif
ifeq ($(SANITIZE),1)
CFLAGS  += -fsanitize=address,undefined -fno-sanitize-recover=all \
	   -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
endif

B        := build
# The deps check runs once per make invocation, not per target.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lcsv -lm
CMOCKA_LIBS = $(shell pkg-config --libs cmocka 2>/dev/null)

SRCS     := $(filter-out daemon/main.c,$(wildcard daemon/*.c))
OBJS     := $(SRCS:daemon/%.c=$(B)/%.o)
TESTS    := $(patsubst tests/%.c,$(B)/%,$(wildcard tests/test_*.c))

.PHONY: all deps check unit integration bench demo install uninstall clean \
	format fuzz soak check-browser check-valgrind

all: deps ppgd

deps:
	@scripts/deps.sh

$(B):
	@mkdir -p $(B)

$(B)/%.o: daemon/%.c daemon/*.h daemon/*.def | $(B) deps
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -Idaemon -c -o $@ $<

$(B)/libppgd.a: $(OBJS)
	$(AR) rcs $@ $^

ppgd: $(B)/main.o $(B)/libppgd.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(PKG_LIBS)

# A test may wrap our own seams: tests/test_x.wrap lists symbols, one a line.
$(B)/test_%: tests/test_%.c $(B)/libppgd.a $(wildcard tests/*.h)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -Idaemon -Itests -o $@ $< $(B)/libppgd.a \
	  $(LDFLAGS) $(if $(wildcard tests/test_$*.wrap),$(foreach s,$(shell cat tests/test_$*.wrap),-Wl,--wrap=$(s))) \
	  $(PKG_LIBS) $(CMOCKA_LIBS)

check: all $(TESTS)
	@scripts/check-layers.sh
	@tests/run.sh $(TESTS)

unit: all $(TESTS)
	@tests/run.sh --unit-only $(TESTS)

integration: all
	@tests/run.sh --integration-only

# The daemon and CLI under valgrind through a representative subset of the
# integration tests; each process's report is in build/valgrind.
VALGRIND_TESTS := test_lifecycle.py test_webhooks.py test_campaigns.py \
		  test_privacy.py
check-valgrind: all
	@PPGD_DEPS_VALGRIND=1 scripts/deps.sh
	@rm -rf $(B)/valgrind; fail=0; for t in $(VALGRIND_TESTS); do \
	  echo "== valgrind: $$t"; PPGD=$(CURDIR)/tests/valgrind-ppgd.sh \
	  PPGD_TOP=$(CURDIR) PPGD_SLOW=10 PPGD_VALGRIND_LOGS=$(CURDIR)/$(B)/valgrind \
	  tests/integration/$$t || fail=1; done; \
	for f in $(B)/valgrind/*.log; do [ -s $$f ] && { cat $$f; fail=1; }; done; \
	[ $$fail = 0 ] && echo "== valgrind clean"

bench: all
	@PPGD_DEPS_BENCH=1 scripts/deps.sh
	@bench/run.sh

check-browser: all
	@tests/browser/run.sh

demo: all
	@scripts/demo.sh

# Mixed load against one daemon for SOAK_SECONDS (600): RSS and fds must not grow.
soak: all
	@tests/soak/soak.py

# Fuzz targets (libFuzzer, clang): FUZZ_SECONDS each.
FUZZ_SECONDS ?= 60
fuzz:
	@fuzz/build.sh run $(FUZZ_SECONDS)

print-pkgs:
	@echo $(PKGS)

format:
	clang-format -i daemon/*.c daemon/*.h tests/*.c $(wildcard tests/*.h bench/*.c fuzz/*.c)

install: ppgd
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man5 \
	  $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DATADIR) $(DESTDIR)$(UNITDIR) \
	  $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR)
	install -m 755 ppgd $(DESTDIR)$(BINDIR)/ppgd
	install -m 644 $(wildcard docs/*.5) $(DESTDIR)$(MANDIR)/man5/
	install -m 644 $(wildcard docs/*.7) $(DESTDIR)$(MANDIR)/man7/
	install -m 644 $(wildcard docs/*.8) $(DESTDIR)$(MANDIR)/man8/
	cp -R surveys templates $(DESTDIR)$(DATADIR)/
	# The example for /etc/ppgd: state under /var/lib/ppgd (the unit's
	# StateDirectory), templates where they were installed.
	sed -e 's|^database = ppgd.db|database = /var/lib/ppgd/ppgd.db|' \
	    -e 's|^spool = spool|spool = /var/lib/ppgd/spool|' \
	    -e 's|^templates = templates|templates = $(DATADIR)/templates|' \
	    config/ppgd.conf > $(DESTDIR)$(DATADIR)/ppgd.conf.example
	chmod 644 $(DESTDIR)$(DATADIR)/ppgd.conf.example
	install -m 644 systemd/ppgd.service $(DESTDIR)$(UNITDIR)/ppgd.service
	install -m 644 systemd/ppgd.sysusers $(DESTDIR)$(SYSUSERSDIR)/ppgd.conf
	install -m 644 systemd/ppgd.tmpfiles $(DESTDIR)$(TMPFILESDIR)/ppgd.conf

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/ppgd $(DESTDIR)$(UNITDIR)/ppgd.service \
	  $(DESTDIR)$(SYSUSERSDIR)/ppgd.conf $(DESTDIR)$(TMPFILESDIR)/ppgd.conf
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(wildcard docs/*.5)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man7/,$(notdir $(wildcard docs/*.7)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(wildcard docs/*.8)))
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -rf $(B) ppgd tests/artifacts
