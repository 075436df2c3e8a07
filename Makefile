# ppgd — GNU Makefile. `make demo` and `make check` install what they need.
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share/ppgd
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
DESTDIR ?=

CC      ?= cc
PKGS    := libevent libevent_pthreads sqlite3 inih libfyaml jansson libcurl \
	   libcrypto libesmtp-1.0 libutf8proc libqrencode libsodium zlib
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
OBJS     := $(SRCS:daemon/%.c=$(B)/%.o) $(B)/framework_default.o
TESTS    := $(patsubst tests/%.c,$(B)/%,$(wildcard tests/test_*.c))

# A recipe that fails leaves no half-written target behind.
.DELETE_ON_ERROR:

.PHONY: FORCE all deps install-strip check unit integration bench demo install uninstall clean \
	format fuzz soak check-browser check-valgrind

all: deps ppgd

# `make install` (often run with sudo) never runs a package manager: it
# builds with what is there, or fails saying what is missing.
INSTALL_GOALS := install install-strip
deps:
ifeq ($(filter $(INSTALL_GOALS),$(MAKECMDGOALS)),)
	@scripts/deps.sh
endif

$(B):
	@mkdir -p $(B)

# -MMD -MP: each object's header dependencies in build/*.d; an object
# without its .d (built before) is built again so none is missed.
$(B)/%.o: daemon/%.c $(B)/%.d | $(B) deps
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP -Idaemon -c -o $@ $<

DEPS := $(OBJS:.o=.d) $(B)/main.d
$(DEPS):

# The data folder is compiled in (the built-in templates): an object that
# uses it is rebuilt when PREFIX or DATADIR changes, e.g. for make install.
$(B)/datadir.stamp: FORCE | $(B)
	@echo '$(DATADIR)' | cmp -s - $@ || echo '$(DATADIR)' > $@
$(B)/config.o $(B)/cmd_survey.o: $(B)/datadir.stamp
FORCE:

include $(wildcard $(DEPS) $(TESTS:=.d))

# The care phrase list is compiled into care.o (.incbin).
$(B)/care.o: config/care-phrases.txt

# The shipped framework, built into the binary (.incbin).
$(B)/framework_default.o: daemon/framework_default.S frameworks/herts-west-essex.yaml | $(B)
	$(CC) -c -o $@ $<

$(B)/libppgd.a: $(OBJS)
	$(AR) rcs $@ $^

ppgd: $(B)/main.o $(B)/libppgd.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(PKG_LIBS)

# A test may wrap our own seams: tests/test_x.wrap lists symbols, one a line.
$(B)/test_%: tests/test_%.c $(B)/libppgd.a
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP -Idaemon -Itests -o $@ $< $(B)/libppgd.a \
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
	  $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(BASHCOMPDIR)
	install -m 755 $(INSTALL_STRIP) ppgd $(DESTDIR)$(BINDIR)/ppgd
	install -m 644 $(wildcard docs/*.5) $(DESTDIR)$(MANDIR)/man5/
	install -m 644 $(wildcard docs/*.7) $(DESTDIR)$(MANDIR)/man7/
	install -m 644 $(wildcard docs/*.8) $(DESTDIR)$(MANDIR)/man8/
	cp -R surveys templates frameworks $(DESTDIR)$(DATADIR)/
	install -m 644 config/care-phrases.txt $(DESTDIR)$(DATADIR)/care-phrases.txt
	# The example for /etc/ppgd: state under /var/lib/ppgd (the unit's
	# StateDirectory); templates default to where they were installed.
	sed -e 's|^database = ppgd.db|database = /var/lib/ppgd/ppgd.db|' \
	    -e 's|^spool = spool|spool = /var/lib/ppgd/spool|' \
	    config/ppgd.conf > $(DESTDIR)$(DATADIR)/ppgd.conf.example
	chmod 644 $(DESTDIR)$(DATADIR)/ppgd.conf.example
	sed -e 's|/usr/local/bin/ppgd|$(BINDIR)/ppgd|' systemd/ppgd.service \
	  > $(DESTDIR)$(UNITDIR)/ppgd.service
	chmod 644 $(DESTDIR)$(UNITDIR)/ppgd.service
	install -m 644 systemd/ppgd.sysusers $(DESTDIR)$(SYSUSERSDIR)/ppgd.conf
	install -m 644 systemd/ppgd.tmpfiles $(DESTDIR)$(TMPFILESDIR)/ppgd.conf
	install -m 644 completion/ppgd.bash $(DESTDIR)$(BASHCOMPDIR)/ppgd

# The same, with the binary stripped of its symbols.
install-strip:
	$(MAKE) INSTALL_STRIP=-s install

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/ppgd $(DESTDIR)$(UNITDIR)/ppgd.service \
	  $(DESTDIR)$(SYSUSERSDIR)/ppgd.conf $(DESTDIR)$(TMPFILESDIR)/ppgd.conf \
	  $(DESTDIR)$(BASHCOMPDIR)/ppgd
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(wildcard docs/*.5)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man7/,$(notdir $(wildcard docs/*.7)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(wildcard docs/*.8)))
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -rf $(B) ppgd tests/artifacts
