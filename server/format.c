/* format.c: JSON items into CSV (RFC 4180) and iCalendar (RFC 5545), and the growable buffer
 * that JSON answers written as text are built in.
 *
 * The file is divided as follows: the growable buffer, with a JSON string writer that escapes
 * as jansson does; CSV cells, rows and pages; iCalendar content lines (escaping and folding),
 * events and feeds. Every function here is pure text work: no database, no HTTP. */
#include "format.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- buffer ------------------------------------------------------------------------------ */

void format_buf_free(struct format_buf *buf) {
    if (buf == NULL)
        return;
    free(buf->data);
    buf->data = NULL;
    buf->len = 0;
    buf->cap = 0;
}

/* Makes room for n more bytes and the NUL. Returns 0 or -1. */
static int buf_reserve(struct format_buf *buf, size_t n) {
    if (n > SIZE_MAX / 2 - buf->len - 1)
        return -1;
    size_t need = buf->len + n + 1;
    if (need <= buf->cap)
        return 0;
    size_t cap = buf->cap ? buf->cap : 4096; /* a page of JSON in two or three steps */
    while (cap < need)
        cap *= 2;
    char *data = realloc(buf->data, cap);
    if (data == NULL)
        return -1;
    buf->data = data;
    buf->cap = cap;
    return 0;
}

int format_append_grow(struct format_buf *buf, const char *s, size_t n) {
    if (buf_reserve(buf, n) != 0)
        return -1;
    if (n > 0)
        memcpy(buf->data + buf->len, s, n);
    buf->len += n;
    buf->data[buf->len] = '\0';
    return 0;
}

size_t format_decimal(char *out, int64_t v) {
    char digits[FORMAT_DECIMAL_MAX];
    size_t i = sizeof digits;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v; /* INT64_MIN too */
    do {
        digits[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (v < 0)
        digits[--i] = '-';
    memcpy(out, digits + i, sizeof digits - i);
    return sizeof digits - i;
}

int format_append_int(struct format_buf *buf, int64_t v) {
    char digits[FORMAT_DECIMAL_MAX];
    return format_append(buf, digits, format_decimal(digits, v));
}

static int buf_str(struct format_buf *buf, const char *s) {
    return format_append(buf, s, strlen(s));
}

/* The bytes a JSON string must escape: control characters, the quote and the backslash. */
static const unsigned char json_escaped[256] = {
    [0x00] = 1, [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1, [0x05] = 1, [0x06] = 1,
    [0x07] = 1, [0x08] = 1, [0x09] = 1, [0x0A] = 1, [0x0B] = 1, [0x0C] = 1, [0x0D] = 1,
    [0x0E] = 1, [0x0F] = 1, [0x10] = 1, [0x11] = 1, [0x12] = 1, [0x13] = 1, [0x14] = 1,
    [0x15] = 1, [0x16] = 1, [0x17] = 1, [0x18] = 1, [0x19] = 1, [0x1A] = 1, [0x1B] = 1,
    [0x1C] = 1, [0x1D] = 1, [0x1E] = 1, [0x1F] = 1, ['"'] = 1,  ['\\'] = 1,
};

/* Bit tricks over eight bytes at once (Hacker's Delight, ch. 6): the high bit of each byte of
 * the result is set where that byte of x is zero; exact, with no false hits. */
#define BYTES(b) (0x0101010101010101ULL * (b))
static inline uint64_t zero_bytes(uint64_t x) {
    return (x - BYTES(0x01)) & ~x & BYTES(0x80);
}

/* Does any of the eight bytes of x need more than a copy into a JSON string: a control
 * character, the quote, the backslash, or a byte of a multi-byte UTF-8 sequence (checked)? */
static inline int needs_care(uint64_t x) {
    uint64_t high = x & BYTES(0x80);                        /* 0x80 and above */
    uint64_t control = (x - BYTES(0x20)) & ~x & BYTES(0x80); /* below 0x20 (exact below 0x80) */
    return (high | control | zero_bytes(x ^ BYTES('"')) | zero_bytes(x ^ BYTES('\\'))) != 0;
}

/* Appends the escape of ch, one of the bytes json_escaped marks. Returns 0 or -1. */
static int append_escape(struct format_buf *buf, unsigned char ch) {
    char esc[8];
    const char *e = ch == '"'    ? "\\\""
                    : ch == '\\' ? "\\\\"
                    : ch == '\b' ? "\\b"
                    : ch == '\f' ? "\\f"
                    : ch == '\n' ? "\\n"
                    : ch == '\r' ? "\\r"
                    : ch == '\t' ? "\\t"
                                 : NULL;
    if (e == NULL) {
        snprintf(esc, sizeof esc, "\\u%04X", ch);
        e = esc;
    }
    return format_append(buf, e, strlen(e));
}

size_t format_utf8_sequence(const unsigned char *s) {
    if ((s[0] & 0xE0) == 0xC0)
        return s[0] >= 0xC2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if ((s[0] & 0xF0) == 0xE0)
        return (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80 && !(s[0] == 0xE0 && s[1] < 0xA0) &&
                       !(s[0] == 0xED && s[1] >= 0xA0)
                   ? 3
                   : 0;
    if ((s[0] & 0xF8) == 0xF0)
        return s[0] <= 0xF4 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80 &&
                       (s[3] & 0xC0) == 0x80 && !(s[0] == 0xF0 && s[1] < 0x90) &&
                       !(s[0] == 0xF4 && s[1] >= 0x90)
                   ? 4
                   : 0;
    return 0;
}

int format_utf8_valid(const char *s) {
    const unsigned char *u = (const unsigned char *)s;
    while (*u) {
        size_t len = *u < 0x80 ? 1 : format_utf8_sequence(u);
        if (len == 0)
            return 0;
        u += len;
    }
    return 1;
}

/* Appends s as a JSON string (format_append_json_string). When check_utf8, each non-ASCII
 * sequence must be valid UTF-8: else nothing is appended and 1 returned. 0, 1 or -1. */
static int append_json(struct format_buf *buf, const char *s, int check_utf8) {
    size_t n = strlen(s);
    /* room for the text unescaped and its quotes: most texts need no more */
    if (n > SIZE_MAX / 2 || buf_reserve(buf, n + 2) != 0)
        return -1;
    size_t start = buf->len;
    buf->data[buf->len++] = '"';
    const unsigned char *p = (const unsigned char *)s, *end = p + n, *run = p;
    while (p < end) {
        while (end - p >= 8) { /* most of a text: eight bytes at a time that need nothing */
            uint64_t x;
            memcpy(&x, p, sizeof x);
            if (needs_care(x))
                break;
            p += 8;
        }
        if (p == end)
            break;
        unsigned char ch = *p;
        if (ch >= 0x80 && check_utf8) {
            size_t len = format_utf8_sequence(p);
            if (len == 0) {
                buf->len = start;
                return 1;
            }
            p += len;
        } else if (!json_escaped[ch]) {
            p++;
        } else {
            if (format_append(buf, (const char *)run, (size_t)(p - run)) != 0 ||
                append_escape(buf, ch) != 0)
                return -1;
            run = ++p;
        }
    }
    return format_append(buf, (const char *)run, (size_t)(end - run)) != 0
               ? -1
               : format_append(buf, "\"", 1);
}

int format_append_json_string(struct format_buf *buf, const char *s) {
    return append_json(buf, s, 0);
}

int format_append_json_utf8(struct format_buf *buf, const char *s) {
    return append_json(buf, s, 1);
}

static int buf_printf(struct format_buf *buf, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int buf_printf(struct format_buf *buf, const char *fmt, ...) {
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp)
        return -1; /* only short numeric pieces are formatted here */
    return format_append(buf, tmp, (size_t)n);
}

char *format_buf_take(struct format_buf *buf, size_t *len) {
    if (buf->data == NULL && buf_reserve(buf, 0) != 0)
        return NULL;
    if (buf->len == 0)
        buf->data[0] = '\0';
    char *out = buf->data;
    if (len != NULL)
        *len = buf->len;
    buf->data = NULL;
    buf->len = 0;
    buf->cap = 0;
    return out;
}

/* --- CSV --------------------------------------------------------------------------------- */

/* The contract's reference fields: each is a compact object {id, name, ...} or null. */
static const char *const csv_ref_fields[] = {
    "assembly", "session", "segment", "speaker", "organization", "author", "parent", NULL,
};

int format_csv_is_ref(const char *column) {
    for (size_t i = 0; csv_ref_fields[i] != NULL; i++)
        if (strcmp(column, csv_ref_fields[i]) == 0)
            return 1;
    return 0;
}

/* Appends one field, quoted when it holds `,` `"` CR or LF (RFC 4180 2.6, 2.7). */
static int csv_field(struct format_buf *buf, const char *s, size_t n) {
    int quote = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n') {
            quote = 1;
            break;
        }
    if (!quote)
        return format_append(buf, s, n);
    if (format_append(buf, "\"", 1) != 0)
        return -1;
    size_t start = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '"') {
            if (format_append(buf, s + start, i + 1 - start) != 0 || format_append(buf, "\"", 1) != 0)
                return -1;
            start = i + 1;
        }
    if (format_append(buf, s + start, n - start) != 0)
        return -1;
    return format_append(buf, "\"", 1);
}

/* The display name of an object inside a list or a plain-object cell: its "name"; else the
 * name of its "organization" (hosts, affiliations); else its "title" (segments). */
static const char *object_name(const json_t *obj) {
    const char *s = json_string_value(json_object_get(obj, "name"));
    if (s != NULL)
        return s;
    const json_t *org = json_object_get(obj, "organization");
    if (json_is_object(org)) {
        s = json_string_value(json_object_get(org, "name"));
        if (s != NULL)
            return s;
    }
    return json_string_value(json_object_get(obj, "title"));
}

/* Appends a scalar's text (unquoted) to tmp: strings as is, numbers as JSON writes them. */
static int scalar_text(struct format_buf *tmp, const json_t *v) {
    switch (json_typeof(v)) {
    case JSON_STRING:
        return format_append(tmp, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        return buf_printf(tmp, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    case JSON_REAL:
        return buf_printf(tmp, "%.17g", json_real_value(v));
    case JSON_TRUE:
        return buf_str(tmp, "true");
    case JSON_FALSE:
        return buf_str(tmp, "false");
    case JSON_OBJECT: {
        const char *name = object_name(v);
        return name != NULL ? buf_str(tmp, name) : 0;
    }
    case JSON_NULL:
    case JSON_ARRAY:
    default:
        return 0;
    }
}

/* Appends the text of one single-column cell (before quoting) to tmp. */
static int cell_text(struct format_buf *tmp, const json_t *v) {
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_array(v))
        return scalar_text(tmp, v);
    size_t i;
    const json_t *el;
    int first = 1;
    json_array_foreach(v, i, el) {
        if (json_is_null(el) || json_is_array(el))
            continue;
        if (json_is_object(el) && object_name(el) == NULL)
            continue;
        if (!first && format_append(tmp, "; ", 2) != 0)
            return -1;
        if (scalar_text(tmp, el) != 0)
            return -1;
        first = 0;
    }
    return 0;
}

int format_csv_header(struct format_buf *buf, const char *const columns[]) {
    for (size_t i = 0; columns[i] != NULL; i++) {
        if (i > 0 && format_append(buf, ",", 1) != 0)
            return -1;
        if (format_csv_is_ref(columns[i])) {
            size_t n = strlen(columns[i]);
            if (csv_field(buf, columns[i], n) != 0 || buf_str(buf, "_id,") != 0 ||
                csv_field(buf, columns[i], n) != 0 || buf_str(buf, "_name") != 0)
                return -1;
        } else if (csv_field(buf, columns[i], strlen(columns[i])) != 0) {
            return -1;
        }
    }
    return format_append(buf, "\r\n", 2);
}

int format_csv_row(struct format_buf *buf, const json_t *item, const char *const columns[]) {
    struct format_buf tmp = {0};
    int rc = -1;
    for (size_t i = 0; columns[i] != NULL; i++) {
        const json_t *v = json_object_get(item, columns[i]);
        if (i > 0 && format_append(buf, ",", 1) != 0)
            goto fail;
        if (format_csv_is_ref(columns[i])) {
            const json_t *id = json_is_object(v) ? json_object_get(v, "id") : NULL;
            const char *name =
                json_is_object(v) ? json_string_value(json_object_get(v, "name")) : NULL;
            if (id != NULL && !json_is_null(id)) {
                tmp.len = 0;
                if (scalar_text(&tmp, id) != 0 ||
                    csv_field(buf, tmp.data ? tmp.data : "", tmp.len) != 0)
                    goto fail;
            }
            if (format_append(buf, ",", 1) != 0)
                goto fail;
            if (name != NULL && csv_field(buf, name, strlen(name)) != 0)
                goto fail;
            continue;
        }
        tmp.len = 0;
        if (cell_text(&tmp, v) != 0)
            goto fail;
        if (tmp.len > 0 && csv_field(buf, tmp.data, tmp.len) != 0)
            goto fail;
    }
    rc = format_append(buf, "\r\n", 2);
fail:
    format_buf_free(&tmp);
    return rc;
}

char *format_csv(const json_t *items, const char *const columns[], size_t *len) {
    assert(columns != NULL);
    if (!json_is_array(items))
        return NULL;
    struct format_buf buf = {0};
    if (format_csv_header(&buf, columns) != 0)
        goto fail;
    size_t i;
    const json_t *item;
    json_array_foreach(items, i, item) {
        if (format_csv_row(&buf, item, columns) != 0)
            goto fail;
    }
    return format_buf_take(&buf, len);
fail:
    format_buf_free(&buf);
    return NULL;
}

/* --- iCalendar ---------------------------------------------------------------------------- */

/* Content lines are at most 75 octets without the CRLF (RFC 5545 3.1). */
#define ICS_LINE_OCTETS 75

/* Appends one content line, folded: a line longer than 75 octets is split before an octet
 * that does not continue a UTF-8 sequence, and each continuation starts with one space
 * (which counts in its 75). */
static int ics_line(struct format_buf *buf, const char *line, size_t n) {
    size_t pos = 0;
    size_t room = ICS_LINE_OCTETS;
    while (n - pos > room) {
        size_t cut = pos + room;
        while (cut > pos && ((unsigned char)line[cut] & 0xC0) == 0x80)
            cut--; /* never split a multibyte sequence */
        if (cut == pos)
            cut = pos + room; /* not UTF-8: split anyway rather than loop */
        if (format_append(buf, line + pos, cut - pos) != 0 || format_append(buf, "\r\n ", 3) != 0)
            return -1;
        pos = cut;
        room = ICS_LINE_OCTETS - 1;
    }
    if (format_append(buf, line + pos, n - pos) != 0)
        return -1;
    return format_append(buf, "\r\n", 2);
}

/* Appends TEXT escaped (RFC 5545 3.3.11): backslash, semicolon and comma get a backslash, a
 * line break (LF, CRLF or CR) becomes \n; other control characters (forbidden in content
 * lines) are dropped, tab kept. */
static int ics_escape(struct format_buf *out, const char *s) {
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        int rc;
        if (c == '\\' || c == ';' || c == ',') {
            char esc[2] = {'\\', (char)c};
            rc = format_append(out, esc, 2);
        } else if (c == '\r') {
            rc = format_append(out, "\\n", 2);
            if (s[1] == '\n')
                s++;
        } else if (c == '\n') {
            rc = format_append(out, "\\n", 2);
        } else if ((c < 0x20 && c != '\t') || c == 0x7F) {
            rc = 0;
        } else {
            rc = format_append(out, s, 1);
        }
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* A line built in `line` from a name (with parameters) and a value escaped as TEXT. */
static int ics_text_prop(struct format_buf *buf, struct format_buf *line, const char *name,
                         const char *value) {
    line->len = 0;
    if (buf_str(line, name) != 0 || format_append(line, ":", 1) != 0 || ics_escape(line, value) != 0)
        return -1;
    return ics_line(buf, line->data, line->len);
}

/* A line whose value is already in iCalendar form (dates, URIs, numbers): not escaped, but
 * control characters are still kept out. */
static int ics_raw_prop(struct format_buf *buf, struct format_buf *line, const char *name,
                        const char *value) {
    line->len = 0;
    if (buf_str(line, name) != 0 || format_append(line, ":", 1) != 0)
        return -1;
    for (const char *p = value; *p != '\0'; p++)
        if ((unsigned char)*p >= 0x20 && *p != 0x7F && format_append(line, p, 1) != 0)
            return -1;
    return ics_line(buf, line->data, line->len);
}

int format_ics_begin(struct format_buf *buf, const char *calendar_name) {
    struct format_buf line = {0};
    int rc = -1;
    if (ics_line(buf, "BEGIN:VCALENDAR", 15) != 0 || ics_line(buf, "VERSION:2.0", 11) != 0 ||
        ics_raw_prop(buf, &line, "PRODID", "-//plenary//plenary API v1//EN") != 0 ||
        ics_line(buf, "CALSCALE:GREGORIAN", 18) != 0 || ics_line(buf, "METHOD:PUBLISH", 14) != 0 ||
        ics_text_prop(buf, &line, "X-WR-CALNAME", calendar_name ? calendar_name : "plenary") != 0)
        goto fail;
    rc = 0;
fail:
    format_buf_free(&line);
    return rc;
}

int format_ics_end(struct format_buf *buf) {
    return ics_line(buf, "END:VCALENDAR", 13);
}

/* Parses "YYYY-MM-DD" (a real calendar day). Returns 0 or -1. */
static int parse_date(const char *s, int *y, int *m, int *d) {
    if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return -1;
    *y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    *m = (s[5] - '0') * 10 + (s[6] - '0');
    *d = (s[8] - '0') * 10 + (s[9] - '0');
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (*m < 1 || *m > 12 || *d < 1)
        return -1;
    int leap = (*y % 4 == 0 && *y % 100 != 0) || *y % 400 == 0;
    int max = mdays[*m - 1] + (*m == 2 && leap);
    return *d <= max ? 0 : -1;
}

/* The day after y-m-d, written as YYYYMMDD into out (32 bytes, room for any int). */
static void next_day(int y, int m, int d, char out[static 32]) {
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    int max = mdays[m - 1] + (m == 2 && leap);
    if (++d > max) {
        d = 1;
        if (++m > 12) {
            m = 1;
            y++;
        }
    }
    snprintf(out, 32, "%04d%02d%02d", y, m, d);
}

/* "2021-12-08T09:00:00.000Z" -> "20211208T090000Z" (out: 32 bytes). Returns 0 or -1. */
static int utc_stamp(const char *t, char out[static 32]) {
    int y, m, d;
    if (t == NULL || strlen(t) < 20 || t[10] != 'T' || t[13] != ':' || t[16] != ':')
        return -1;
    char date[11];
    memcpy(date, t, 10);
    date[10] = '\0';
    if (parse_date(date, &y, &m, &d) != 0)
        return -1;
    const char *hms = t + 11; /* HH:MM:SS */
    for (int i = 0; i < 8; i++)
        if (i != 2 && i != 5 && (hms[i] < '0' || hms[i] > '9'))
            return -1;
    if (t[strlen(t) - 1] != 'Z')
        return -1;
    snprintf(out, 32, "%04d%02d%02dT%c%c%c%c%c%cZ", y, m, d, hms[0], hms[1], hms[3], hms[4], hms[6],
             hms[7]);
    return 0;
}

/* Appends the names of a list of objects (object_name), escaped as TEXT, joined by sep
 * (written as is). Used for CATEGORIES (sep ",": a list value). */
static int ics_name_list(struct format_buf *line, const json_t *list, const char *sep) {
    size_t i;
    const json_t *el;
    int first = 1;
    json_array_foreach(list, i, el) {
        const char *name = json_is_object(el) ? object_name(el) : json_string_value(el);
        if (name == NULL)
            continue;
        if (!first && buf_str(line, sep) != 0)
            return -1;
        if (ics_escape(line, name) != 0)
            return -1;
        first = 0;
    }
    return 0;
}

/* The unescaped DESCRIPTION of an event into desc. Sessions: theme (when it is not the
 * title), summary, and "Part of day: morning". Side events: description, then
 * "Hosts: A, B (co-host)". Parts are separated by a blank line. */
static int ics_description(struct format_buf *desc, const json_t *item, enum ics_kind kind) {
    const char *title = json_string_value(json_object_get(item, "title"));
    const char *parts[3] = {NULL, NULL, NULL};
    if (kind == ICS_SESSIONS) {
        const char *theme = json_string_value(json_object_get(item, "theme"));
        if (theme != NULL && (title == NULL || strcmp(theme, title) != 0))
            parts[0] = theme;
        parts[1] = json_string_value(json_object_get(item, "summary"));
    } else {
        parts[0] = json_string_value(json_object_get(item, "description"));
    }
    for (size_t i = 0; i < 3; i++) {
        if (parts[i] == NULL || parts[i][0] == '\0')
            continue;
        if (desc->len > 0 && buf_str(desc, "\n\n") != 0)
            return -1;
        if (buf_str(desc, parts[i]) != 0)
            return -1;
    }
    if (kind == ICS_SESSIONS) {
        const char *pod = json_string_value(json_object_get(item, "part_of_day"));
        if (pod != NULL) {
            if ((desc->len > 0 && buf_str(desc, "\n\n") != 0) ||
                buf_str(desc, "Part of day: ") != 0 || buf_str(desc, pod) != 0)
                return -1;
        }
        return 0;
    }
    const json_t *hosts = json_object_get(item, "hosts");
    size_t i;
    const json_t *host;
    int first = 1;
    json_array_foreach(hosts, i, host) {
        const char *name = object_name(host);
        if (name == NULL)
            continue;
        const char *role = json_string_value(json_object_get(host, "role"));
        if (first &&
            ((desc->len > 0 && buf_str(desc, "\n\n") != 0) || buf_str(desc, "Hosts: ") != 0))
            return -1;
        if (!first && buf_str(desc, ", ") != 0)
            return -1;
        if (buf_str(desc, name) != 0)
            return -1;
        if (role != NULL && strcmp(role, "co_host") == 0 && buf_str(desc, " (co-host)") != 0)
            return -1;
        first = 0;
    }
    return 0;
}

int format_ics_event(struct format_buf *buf, const json_t *item, enum ics_kind kind) {
    const json_t *id = json_object_get(item, "id");
    const char *date = json_string_value(json_object_get(item, "date"));
    int y, m, d;
    if (!json_is_integer(id) || parse_date(date, &y, &m, &d) != 0)
        return 1;
    struct format_buf line = {0};
    struct format_buf text = {0};
    size_t start = buf->len; /* on failure the partial event is cut off */
    char value[64];
    char stamp[32];
    char end[32];
    int rc = -1;

    if (ics_line(buf, "BEGIN:VEVENT", 12) != 0)
        goto fail;
    snprintf(value, sizeof value, "%s-%" JSON_INTEGER_FORMAT "@plenary",
             kind == ICS_SESSIONS ? "session" : "side-event", json_integer_value(id));
    if (ics_raw_prop(buf, &line, "UID", value) != 0)
        goto fail;
    const char *updated = json_string_value(json_object_get(item, "updated_at"));
    const char *created = json_string_value(json_object_get(item, "created_at"));
    if (utc_stamp(updated, stamp) != 0 && utc_stamp(created, stamp) != 0)
        snprintf(stamp, sizeof stamp, "%04d%02d%02dT000000Z", y, m, d); /* stable fallback */
    if (ics_raw_prop(buf, &line, "DTSTAMP", stamp) != 0)
        goto fail;
    if (utc_stamp(updated, stamp) == 0 && ics_raw_prop(buf, &line, "LAST-MODIFIED", stamp) != 0)
        goto fail;
    snprintf(value, sizeof value, "%04d%02d%02d", y, m, d);
    if (ics_raw_prop(buf, &line, "DTSTART;VALUE=DATE", value) != 0)
        goto fail;
    next_day(y, m, d, end);
    if (ics_raw_prop(buf, &line, "DTEND;VALUE=DATE", end) != 0)
        goto fail;
    const char *title = json_string_value(json_object_get(item, "title"));
    if (title != NULL && ics_text_prop(buf, &line, "SUMMARY", title) != 0)
        goto fail;
    if (ics_description(&text, item, kind) != 0)
        goto fail;
    if (text.len > 0 && ics_text_prop(buf, &line, "DESCRIPTION", text.data) != 0)
        goto fail;
    const json_t *topics = json_object_get(item, "topics");
    if (json_is_array(topics) && json_array_size(topics) > 0) {
        line.len = 0;
        if (buf_str(&line, "CATEGORIES:") != 0 || ics_name_list(&line, topics, ",") != 0)
            goto fail;
        if (line.len > strlen("CATEGORIES:") && ics_line(buf, line.data, line.len) != 0)
            goto fail;
    }
    const char *url = json_string_value(json_object_get(item, "url"));
    if (url != NULL && ics_raw_prop(buf, &line, "URL", url) != 0)
        goto fail;
    if (kind == ICS_SESSIONS) {
        const char *pod = json_string_value(json_object_get(item, "part_of_day"));
        if (pod != NULL && ics_text_prop(buf, &line, "X-PLENARY-PART-OF-DAY", pod) != 0)
            goto fail;
    } else {
        size_t i;
        const json_t *host;
        json_array_foreach(json_object_get(item, "hosts"), i, host) {
            const char *name = object_name(host);
            const char *role = json_string_value(json_object_get(host, "role"));
            if (name == NULL)
                continue;
            const char *prop = role != NULL && strcmp(role, "co_host") == 0
                                   ? "X-PLENARY-HOST;X-ROLE=co_host"
                                   : "X-PLENARY-HOST;X-ROLE=host";
            if (ics_text_prop(buf, &line, prop, name) != 0)
                goto fail;
        }
    }
    if (ics_line(buf, "END:VEVENT", 10) != 0)
        goto fail;
    rc = 0;
fail:
    if (rc != 0 && buf->data != NULL) {
        buf->len = start;
        buf->data[start] = '\0';
    }
    format_buf_free(&line);
    format_buf_free(&text);
    return rc;
}

char *format_ics(const json_t *items, enum ics_kind kind, const char *calendar_name, size_t *len) {
    if (!json_is_array(items))
        return NULL;
    struct format_buf buf = {0};
    if (format_ics_begin(&buf, calendar_name) != 0)
        goto fail;
    size_t i;
    const json_t *item;
    json_array_foreach(items, i, item) {
        if (format_ics_event(&buf, item, kind) < 0)
            goto fail; /* out of memory; an item without id or date is skipped (1) */
    }
    if (format_ics_end(&buf) != 0)
        goto fail;
    return format_buf_take(&buf, len);
fail:
    format_buf_free(&buf);
    return NULL;
}
