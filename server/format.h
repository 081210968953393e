/* format.h: renders items already built as JSON (the objects the API returns) into the other
 * formats of the contract: RFC 4180 CSV (whole pages or row by row, for streaming) and
 * RFC 5545 iCalendar feeds of sessions and side events; and the growable buffer, with its
 * JSON string writer, in which answers are written as text without building json_t values.
 * No I/O, no database. */
#ifndef PLENARY_FORMAT_H
#define PLENARY_FORMAT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A growable byte buffer the streaming functions append to. Zero-initialize it
 * (`struct format_buf b = {0};`); free it with format_buf_free. `data` is always
 * NUL-terminated once anything has been appended. */
struct format_buf {
    char *data; /* malloc'd bytes, NUL-terminated; NULL while empty */
    size_t len; /* bytes used, without the NUL */
    size_t cap; /* bytes allocated */
};

/* Releases the buffer's memory and zeroes it. */
void format_buf_free(struct format_buf *buf);

/* Hands the buffer's bytes to the caller (who frees them) with their length in *len, and
 * leaves the buffer empty. Returns "" (malloc'd) for an empty buffer; NULL when out of memory. */
char *format_buf_take(struct format_buf *buf, size_t *len);

/* format_append when the bytes do not fit the room there is: grows the buffer first. */
int format_append_grow(struct format_buf *buf, const char *s, size_t n);

/* Appends n bytes of s. Returns 0, or -1 when out of memory. Inline: an answer is written a
 * few bytes at a time (a search page in ~200 pieces), nearly all into room already there,
 * and a call per piece cost more than the copy. */
static inline int format_append(struct format_buf *buf, const char *s, size_t n) {
    if (n >= buf->cap - buf->len) /* also an empty buffer: cap and len 0 */
        return format_append_grow(buf, s, n);
    if (n > 0)
        memcpy(buf->data + buf->len, s, n);
    buf->len += n;
    buf->data[buf->len] = '\0';
    return 0;
}

/* Most bytes format_decimal writes (INT64_MIN: a sign and 19 digits). */
#define FORMAT_DECIMAL_MAX 20

/* Writes v in decimal (as printf, jansson and SQLite write an integer) at out, which has room
 * for FORMAT_DECIMAL_MAX bytes; no NUL. Returns the bytes written. */
size_t format_decimal(char *out, int64_t v);

/* Appends v in decimal. Returns 0 or -1. */
int format_append_int(struct format_buf *buf, int64_t v);

/* Appends s (UTF-8, NUL-terminated) as a JSON string, escaped as jansson's compact dump
 * escapes it: `"` and `\` with a backslash, control characters as \b \f \n \r \t or
 * \u00XX in upper-case hex, everything else as it is. So text written here and text from
 * json_dumps are the same bytes. Returns 0, or -1 when out of memory. */
int format_append_json_string(struct format_buf *buf, const char *s);

/* The length (2, 3 or 4) of the valid UTF-8 sequence that starts at s, whose first byte is
 * not ASCII; 0 when it is not one (RFC 3629: no overlong forms, no surrogates, nothing past
 * U+10FFFF). Reads no further than a NUL. */
size_t format_utf8_sequence(const unsigned char *s);

/* Does c separate the words of a q (ASCII whitespace: what isspace() is in the C locale,
 * whatever the locale)? */
static inline int format_is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Is s (NUL-terminated) valid UTF-8, as format_utf8_sequence judges it? */
int format_utf8_valid(const char *s);

/* format_append_json_string for text that may not be UTF-8, checked in the same pass:
 * 0 with s appended when it is valid UTF-8; 1 with nothing appended when it is not; -1
 * when out of memory. */
int format_append_json_utf8(struct format_buf *buf, const char *s);

/* --- CSV (RFC 4180) ----------------------------------------------------------------------
 * CRLF line ends; a field is quoted when it contains `,` `"` CR or LF, quotes doubled.
 * `columns` is the NULL-terminated list of top-level fields, in order, each a plain field name
 * exactly as in the JSON item ("session", never "session@ref" or "session_id"): the renderer,
 * not the caller, decides which become two columns. Each field becomes:
 *   - a compact reference (an object with "id" and "name") or null in a reference
 *     column (see below): two columns `<field>_id` and `<field>_name`;
 *   - a list: one cell, the names joined by "; " (objects: their "name"; else, for hosts and
 *     affiliations {organization, role|title}, the organization's name; else their
 *     "title", as for segments; scalars as is);
 *   - a plain object without id/name (rare): its "name" or "title";
 *   - null or missing: an empty cell; true/false; numbers as JSON prints them; strings as is.
 * Which columns are references is fixed by the contract, not guessed from values, so that the
 * header is the same on every page, the empty one included: `assembly`, `session`,
 * `segment`, `speaker`, `organization`, `author` and `parent` (format_csv_is_ref). Any other
 * column is one cell; a reference found there renders as its name. The collection engine
 * (collection.c) asserts that every field a resource marks as a reference is one of these. */

/* 1 when column is one of the contract's reference fields (two CSV columns), else 0. */
int format_csv_is_ref(const char *column);

/* Appends the header row (with CRLF) for columns. Returns 0, or -1 when out of memory. */
int format_csv_header(struct format_buf *buf, const char *const columns[]);

/* Appends one row (with CRLF) for item (an object) under columns. Returns 0 or -1. */
int format_csv_row(struct format_buf *buf, const json_t *item, const char *const columns[]);

/* A whole page: the header row, then one row per element of the array items.
 * Returns a new malloc'd string (caller frees) and its length in *len, or NULL when out of
 * memory or when items is not an array. */
char *format_csv(const json_t *items, const char *const columns[], size_t *len);

/* --- iCalendar (RFC 5545) ----------------------------------------------------------------- */

/* What the items of a feed are: sessions or side events (their UIDs and text differ). */
enum ics_kind {
    ICS_SESSIONS,    /* /v1/sessions.ics: items are session objects */
    ICS_SIDE_EVENTS, /* /v1/side-events.ics: items are side-event objects */
};

/* Appends BEGIN:VCALENDAR and its properties (VERSION, PRODID, CALSCALE, METHOD:PUBLISH,
 * X-WR-CALNAME). Returns 0 or -1. */
int format_ics_begin(struct format_buf *buf, const char *calendar_name);

/* Appends one VEVENT for item (a session or side-event object). Every event is an all-day
 * event (DTSTART;VALUE=DATE, DTEND the next day): the record gives sessions only a date and
 * a part of the day, which is said in the DESCRIPTION and as X-PLENARY-PART-OF-DAY, never
 * guessed as a clock time. UID is `session-<id>@plenary` / `side-event-<id>@plenary`;
 * DTSTAMP and LAST-MODIFIED come from updated_at. Side events list their hosts in the
 * DESCRIPTION ("Hosts: A, B (co-host)") and one X-PLENARY-HOST;X-ROLE=host|co_host per
 * host. Returns 0; 1 when the item is skipped (no integer id or no valid date: nothing is
 * appended); -1 when out of memory (nothing of the event is left in buf). */
int format_ics_event(struct format_buf *buf, const json_t *item, enum ics_kind kind);

/* Appends END:VCALENDAR. Returns 0 or -1. */
int format_ics_end(struct format_buf *buf);

/* A whole feed: begin, one VEVENT per element of items (items that cannot be rendered are
 * skipped), end. Returns a new malloc'd string (caller frees) with its length in *len, or
 * NULL when out of memory or when items is not an array. */
char *format_ics(const json_t *items, enum ics_kind kind, const char *calendar_name, size_t *len);

#endif
