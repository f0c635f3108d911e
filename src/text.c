/* The tools' text (tools.h): appended into a caller's buffer, never past
 * its end, with no allocation and no printf (nothing that could take a lock
 * of the C library or depend on a locale while a dump runs). */
#include "tools.h"

#include <string.h>

void weft__text_init(weft__text *t, char *buf, size_t cap) {
  t->buf = buf;
  t->cap = cap;
  t->len = 0;
  t->cut = false;
  if (cap) buf[0] = '\0';
}

static void put(weft__text *t, const char *s, size_t n) {
  if (t->len + 1 >= t->cap) {
    t->cut = t->cut || n > 0;
    return;
  }
  size_t room = t->cap - 1 - t->len;
  if (n > room) {
    n = room;
    t->cut = true;
  }
  memcpy(t->buf + t->len, s, n);
  t->len += n;
  t->buf[t->len] = '\0';
}

void weft__text_str(weft__text *t, const char *s) {
  put(t, s, strlen(s));
}

void weft__text_u64(weft__text *t, uint64_t v) {
  char digits[24];
  size_t i = sizeof digits;
  do {
    digits[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  put(t, digits + i, sizeof digits - i);
}

void weft__text_hex(weft__text *t, uintptr_t v) {
  char digits[2 + 2 * sizeof v];
  size_t i = sizeof digits;
  do {
    digits[--i] = "0123456789abcdef"[v & 15];
    v >>= 4;
  } while (v);
  digits[--i] = 'x';
  digits[--i] = '0';
  put(t, digits + i, sizeof digits - i);
}

void weft__text_ms(weft__text *t, uintptr_t ms) {
  weft__text_u64(t, ms / 1000);
  char frac[4] = {'.', (char)('0' + ms / 100 % 10), (char)('0' + ms / 10 % 10),
                  (char)('0' + ms % 10)};
  put(t, frac, sizeof frac);
}

void weft__text_ns(weft__text *t, int64_t ns) {
  if (ns < 0) ns = 0;
  uint64_t us = (uint64_t)ns / 1000;
  weft__text_u64(t, us / 1000000);
  char frac[7] = {'.'};
  for (int i = 6; i >= 1; i--, us /= 10)
    frac[i] = (char)('0' + us % 10);
  put(t, frac, 4); /* ms resolution is plenty */
}

void weft__text_quoted(weft__text *t, const char *s) {
  size_t n = strlen(s), max = 64;
  if (n > max) {
    n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
      n--;
  }
  put(t, "\"", 1);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') {
      char esc[2] = {'\\', (char)c};
      put(t, esc, 2);
    } else if (c < 0x20 || c == 0x7F) {
      put(t, "?", 1);
    } else {
      put(t, (const char *)&s[i], 1);
    }
  }
  if (n < strlen(s)) put(t, "...", 3);
  put(t, "\"", 1);
}

void weft__text_site(weft__text *t, const void *site) {
  weft__symbol sym;
  if (!site || !weft__port_symbolize(site, &sym)) {
    weft__text_hex(t, (uintptr_t)site);
    return;
  }
  if (sym.name[0]) {
    weft__text_str(t, sym.name);
    weft__text_str(t, "+");
    weft__text_hex(t, sym.offset);
    weft__text_str(t, " (");
    weft__text_str(t, sym.module);
    weft__text_str(t, ")");
  } else {
    weft__text_str(t, sym.module);
    weft__text_str(t, "+");
    weft__text_hex(t, sym.offset);
  }
}

void weft__text_object(weft__text *t, uintptr_t addr) {
  char name[WEFT__NAME_MAX + 1];
  if (weft__obj_name(addr, name)) {
    weft__text_quoted(t, name);
    weft__text_str(t, " (");
    weft__text_hex(t, addr);
    weft__text_str(t, ")");
  } else {
    weft__text_hex(t, addr);
  }
}

void weft__text_thread(weft__text *t, const struct weft_thread *r, bool names_held) {
  const char *name = names_held ? weft__name_locked(r) : NULL;
  if (name) {
    weft__text_quoted(t, name);
    weft__text_str(t, " (ident ");
  } else {
    weft__text_str(t, "(ident ");
  }
  weft__text_u64(t, r->ident);
  weft__text_str(t, ")");
}
