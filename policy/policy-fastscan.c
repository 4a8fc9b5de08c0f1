/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A fast reader for the plain YAML that policy files are written in. It feeds the same tree
 * builder as libyaml's events, with the positions libyaml gives, and takes only:
 *
 *   - block mappings and block sequences (also a sequence at its key's indentation), one node per
 *     line, items `- key: value`;
 *   - plain scalars on one line that start with no indicator and hold no ": " and no " #";
 *   - single- or double-quoted scalars on one line without escapes;
 *   - flow sequences on one line of such scalars: [a, "b"];
 *   - comments, blank lines, LF or CR LF line ends.
 *
 * Anything else (and any error) makes it return a negative errno without a message; the caller
 * then reads the file with libyaml, so every message comes from there. */

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "policy-internal.h"

#define UNSUPPORTED (-EOPNOTSUPP)
#define MAX_KEY_SIZE 1000U      /* libyaml refuses simple keys of more than 1024 characters */

typedef struct Scan {
        PolicyTreeBuilder *b;
        PolicyError error;      /* builder messages, never shown */
        const char *end;        /* end of the data */
        const char *line;       /* start of the current line */
        const char *eol;        /* end of its content (before CR LF or LF) */
        const char *next;       /* start of the line after it */
        unsigned lineno;        /* of the current line, 1-based */
        int indent;             /* of the current line, -1 at the end of the data */
        const char *p;          /* its first character that is not a space */
} Scan;

typedef struct Scalar {
        const char *start;      /* position (the opening quote of a quoted scalar) */
        const char *value;
        size_t length;
        bool plain;
        const char *after;      /* the first byte after it */
} Scalar;

/* Whether [p, e) holds only characters that need no care: printable ASCII, or UTF-8 that libyaml
 * reads as neither a line break (U+0085, U+2028, U+2029) nor a control character, BOM or
 * noncharacter. Tabs and CRs are refused too. The data is valid UTF-8 (checked before). */
static bool line_plain(const char *p, const char *e) {
        while (p < e) {
                const unsigned char *u = (const unsigned char *) p;

                if (e - p >= 8) {
                        uint64_t x;

                        memcpy(&x, p, 8);
                        /* a byte below 0x20, or 0x7f and above */
                        if (((((x - UINT64_C(0x2020202020202020)) & ~x) | (x + UINT64_C(0x0101010101010101)) | x) &
                             UINT64_C(0x8080808080808080)) == 0) {
                                p += 8;
                                continue;
                        }
                }
                if (u[0] >= 0x20 && u[0] < 0x7f) {
                        p++;
                        continue;
                }
                if (u[0] < 0x80)
                        return false;
                if ((u[0] == 0xc2 && u[1] < 0xa0) ||
                    (u[0] == 0xe2 && u[1] == 0x80 && (u[2] == 0xa8 || u[2] == 0xa9)) ||
                    (u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf) ||
                    (u[0] == 0xef && u[1] == 0xbf && u[2] >= 0xbe))
                        return false;
                p += u[0] < 0xe0 ? 2 : u[0] < 0xf0 ? 3 : 4;
        }
        return true;
}

/* 1-based column (in characters, as libyaml counts) of p on the current line. */
static unsigned column(const Scan *s, const char *p) {
        unsigned c = 1;

        for (const char *q = s->line; q < p; q++)
                c += ((unsigned char) *q & 0xc0) != 0x80;
        return c;
}

/* Moves to the next line with content (not blank, not only a comment). */
static int advance(Scan *s) {
        for (;;) {
                const char *p, *nl;

                if (s->next >= s->end) {
                        s->line = s->eol = s->p = s->end;
                        s->indent = -1;
                        return 0;
                }
                s->lineno++;
                s->line = s->next;
                nl = memchr(s->line, '\n', (size_t) (s->end - s->line));
                s->eol = nl ?: s->end;
                s->next = nl ? nl + 1 : s->end;
                if (s->eol > s->line && s->eol[-1] == '\r')
                        s->eol--;
                if (!line_plain(s->line, s->eol))
                        return UNSUPPORTED;

                for (p = s->line; p < s->eol && *p == ' '; p++)
                        ;
                if (p == s->eol || *p == '#')
                        continue;
                /* document markers */
                if (p == s->line && s->eol - p >= 3 && (memcmp(p, "---", 3) == 0 || memcmp(p, "...", 3) == 0))
                        return UNSUPPORTED;
                if (p - s->line > 4096)
                        return UNSUPPORTED;
                s->indent = (int) (p - s->line);
                s->p = p;
                return 0;
        }
}

static const char *skip_spaces(const Scan *s, const char *p) {
        while (p < s->eol && *p == ' ')
                p++;
        return p;
}

/* Whether p (on the current line) is a block sequence entry: '-' then a space or the line end. */
static bool is_entry(const Scan *s, const char *p) {
        return p < s->eol && *p == '-' && (p + 1 == s->eol || p[1] == ' ');
}

/* Whether only spaces and perhaps a comment follow p on the current line. */
static bool at_line_end(const Scan *s, const char *p) {
        const char *q = skip_spaces(s, p);

        return q == s->eol || (*q == '#' && q > p);
}

static int scan_quoted(const Scan *s, const char *p, Scalar *ret) {
        const char *close = memchr(p + 1, *p, (size_t) (s->eol - p - 1));

        if (!close)
                return UNSUPPORTED;
        if (*p == '"' && memchr(p + 1, '\\', (size_t) (close - p - 1)))
                return UNSUPPORTED;
        if (*p == '\'' && close + 1 < s->eol && close[1] == '\'')
                return UNSUPPORTED;
        *ret = (Scalar) { .start = p, .value = p + 1, .length = (size_t) (close - p - 1), .after = close + 1 };
        return 0;
}

static bool plain_start_ok(char c) {
        return !strchr("-?:,[]{}#&*!|>'\"%@` ", c);
}

/* A plain scalar in block context: up to ": " or ":" at the line end (*ret_colon set), " #" or the
 * line end, without the spaces before it. */
static int scan_plain(const Scan *s, const char *p, Scalar *ret, bool *ret_colon) {
        const char *q, *e;

        if (!plain_start_ok(*p))
                return UNSUPPORTED;
        for (q = p; q < s->eol; q++) {
                if (*q == ':' && (q + 1 == s->eol || q[1] == ' '))
                        break;
                if (*q == ' ' && q + 1 < s->eol && q[1] == '#')
                        break;
        }
        *ret_colon = q < s->eol && *q == ':';
        for (e = q; e > p && e[-1] == ' '; e--)
                ;
        *ret = (Scalar) { .start = p, .value = p, .length = (size_t) (e - p), .plain = true, .after = q };
        return 0;
}

/* A key at p: a plain or quoted scalar, then ':' and a space or the line end. Returns the position
 * after the ':' in *ret_value. */
static int scan_key(const Scan *s, const char *p, Scalar *ret, const char **ret_value) {
        bool colon;
        int r;

        if (*p == '"' || *p == '\'') {
                r = scan_quoted(s, p, ret);
                if (r < 0)
                        return r;
                if (ret->after >= s->eol || *ret->after != ':' ||
                    (ret->after + 1 < s->eol && ret->after[1] != ' '))
                        return UNSUPPORTED;
        } else {
                r = scan_plain(s, p, ret, &colon);
                if (r < 0)
                        return r;
                if (!colon || ret->value + ret->length != ret->after)
                        return UNSUPPORTED;
        }
        if ((size_t) (ret->after - p) > MAX_KEY_SIZE)
                return UNSUPPORTED;
        *ret_value = ret->after + 1;
        return 0;
}

static int emit(Scan *s, const Scalar *sc) {
        return policy_builder_scalar(s->b, s->lineno, column(s, sc->start), sc->value, sc->length, sc->plain,
                                     &s->error);
}

static int emit_empty(Scan *s, unsigned line, unsigned col) {
        return policy_builder_scalar(s->b, line, col, "", 0, true, &s->error);
}

/* [a, "b"] on one line. */
static int parse_flow_sequence(Scan *s, const char *p, const char **ret_after) {
        int r;

        r = policy_builder_open(s->b, POLICY_NODE_SEQUENCE, s->lineno, column(s, p), &s->error);
        if (r < 0)
                return r;
        p = skip_spaces(s, p + 1);
        if (p < s->eol && *p == ']')
                goto done;
        for (;;) {
                Scalar sc;

                if (p >= s->eol)
                        return UNSUPPORTED;
                if (*p == '"' || *p == '\'') {
                        r = scan_quoted(s, p, &sc);
                        if (r < 0)
                                return r;
                } else {
                        const char *q;

                        if (!plain_start_ok(*p))
                                return UNSUPPORTED;
                        for (q = p; q < s->eol && !strchr(" ,]", *q); q++)
                                if (strchr(":#[{}?'\"", *q))
                                        return UNSUPPORTED;
                        sc = (Scalar) { .start = p, .value = p, .length = (size_t) (q - p), .plain = true, .after = q };
                }
                r = emit(s, &sc);
                if (r < 0)
                        return r;
                p = skip_spaces(s, sc.after);
                if (p < s->eol && *p == ']')
                        break;
                if (p >= s->eol || *p != ',')
                        return UNSUPPORTED;
                p = skip_spaces(s, p + 1);
                if (p < s->eol && *p == ']')
                        return UNSUPPORTED; /* trailing comma */
        }
done:
        *ret_after = p + 1;
        return policy_builder_close(s->b, &s->error);
}

/* A value on the rest of the line at p: a scalar or a flow sequence. Moves to the next line; a
 * line indented more than `indent` after it would be a continuation or an error. */
static int parse_inline(Scan *s, const char *p, int indent) {
        const char *after;
        Scalar sc;
        bool colon;
        int r;

        if (*p == '[')
                r = parse_flow_sequence(s, p, &after);
        else {
                if (*p == '"' || *p == '\'')
                        r = scan_quoted(s, p, &sc);
                else {
                        r = scan_plain(s, p, &sc, &colon);
                        if (r >= 0 && colon)
                                r = UNSUPPORTED;
                }
                if (r >= 0)
                        r = emit(s, &sc);
                after = sc.after;
        }
        if (r < 0)
                return r;
        if (!at_line_end(s, after))
                return UNSUPPORTED;
        r = advance(s);
        if (r < 0)
                return r;
        return s->indent > indent ? UNSUPPORTED : 0;
}

static int parse_mapping(Scan *s, int indent);
static int parse_sequence(Scan *s, int indent);

/* A node that starts on the current line, indented more than its parent. */
static int parse_block(Scan *s) {
        return is_entry(s, s->p) ? parse_sequence(s, s->indent) : parse_mapping(s, s->indent);
}

/* The value after "key:" or "-" that ends the line: a block node on the next lines, or an empty
 * scalar at (line, col). */
static int parse_empty_or_block(Scan *s, int indent, bool in_mapping, unsigned line, unsigned col) {
        int r;

        r = advance(s);
        if (r < 0)
                return r;
        if (s->indent > indent)
                return parse_block(s);
        if (in_mapping && s->indent == indent && is_entry(s, s->p))
                return parse_sequence(s, indent); /* a sequence at its key's indentation */
        return emit_empty(s, line, col);
}

/* A block mapping whose keys are at `indent`; the current line holds its first key at s->p. */
static int parse_mapping(Scan *s, int indent) {
        int r;

        r = policy_builder_open(s->b, POLICY_NODE_MAPPING, s->lineno, column(s, s->p), &s->error);
        if (r < 0)
                return r;
        do {
                const char *v;
                Scalar key;

                r = scan_key(s, s->p, &key, &v);
                if (r < 0)
                        return r;
                r = emit(s, &key);
                if (r < 0)
                        return r;
                v = skip_spaces(s, v);
                if (v == s->eol || *v == '#')
                        r = parse_empty_or_block(s, indent, true, s->lineno, column(s, key.after + 1));
                else
                        r = parse_inline(s, v, indent);
                if (r < 0)
                        return r;
        } while (s->indent == indent);
        if (s->indent > indent)
                return UNSUPPORTED;
        return policy_builder_close(s->b, &s->error);
}

/* A block sequence whose '-' are at `indent`; the current line holds its first '-' at s->p. */
static int parse_sequence(Scan *s, int indent) {
        int r;

        r = policy_builder_open(s->b, POLICY_NODE_SEQUENCE, s->lineno, column(s, s->p), &s->error);
        if (r < 0)
                return r;
        do {
                const char *v = skip_spaces(s, s->p + 1), *after;
                Scalar key;

                if (v == s->eol || *v == '#')
                        r = parse_empty_or_block(s, indent, false, s->lineno, column(s, s->p + 1));
                else if (*v != '[' && scan_key(s, v, &key, &after) >= 0) {
                        /* "- key: value": a mapping at the key's column (the line starts with ASCII) */
                        s->p = v;
                        s->indent = (int) (v - s->line);
                        r = parse_mapping(s, s->indent);
                } else if (*v == '-')
                        r = UNSUPPORTED;
                else
                        r = parse_inline(s, v, indent);
                if (r < 0)
                        return r;
        } while (s->indent == indent && is_entry(s, s->p));
        return policy_builder_close(s->b, &s->error);
}

int policy_fastscan(PolicyTreeBuilder *b, const char *data, size_t size) {
        Scan s = { .b = b, .end = data + size, .next = data };
        int r;

        r = advance(&s);
        if (r < 0)
                return r;
        if (s.indent < 0)
                return 0; /* nothing but comments */
        if (is_entry(&s, s.p))
                return UNSUPPORTED;
        r = parse_mapping(&s, s.indent);
        if (r < 0)
                return r;
        return s.indent < 0 ? 0 : UNSUPPORTED;
}
