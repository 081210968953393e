/* test_format.c: CSV (quoting, CRLF, flattening of references and lists, the header of an
 * empty page) and iCalendar (folding at 75 octets without splitting UTF-8, escaping, stable
 * UIDs, all-day dates, hosts) from JSON items. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "format.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static json_t *parse(const char *text) {
    json_error_t err;
    json_t *v = json_loads(text, 0, &err);
    if (v == NULL)
        fail_msg("bad test JSON: %s", err.text);
    return v;
}

static char *csv_of(const char *items_json, const char *const columns[]) {
    json_t *items = parse(items_json);
    size_t len = 0;
    char *out = format_csv(items, columns, &len);
    json_decref(items);
    assert_non_null(out);
    assert_int_equal(len, strlen(out));
    return out;
}

static void csv_empty_page_has_header(void **state) {
    (void)state;
    const char *const cols[] = {"id", "session", "speaker", "summary", "topics", NULL};
    char *out = csv_of("[]", cols);
    assert_string_equal(out, "id,session_id,session_name,speaker_id,speaker_name,summary,"
                             "topics\r\n");
    free(out);
}

static void csv_quotes_and_crlf(void **state) {
    (void)state;
    const char *const cols[] = {"id", "summary", NULL};
    char *out = csv_of("[{\"id\": 1, \"summary\": \"plain\"},"
                       " {\"id\": 2, \"summary\": \"a, b\"},"
                       " {\"id\": 3, \"summary\": \"say \\\"hi\\\"\"},"
                       " {\"id\": 4, \"summary\": \"two\\nlines\"},"
                       " {\"id\": 5, \"summary\": \"cr\\rhere\"}]",
                       cols);
    assert_string_equal(out, "id,summary\r\n"
                             "1,plain\r\n"
                             "2,\"a, b\"\r\n"
                             "3,\"say \"\"hi\"\"\"\r\n"
                             "4,\"two\nlines\"\r\n"
                             "5,\"cr\rhere\"\r\n");
    free(out);
}

static void csv_flattens_references_and_lists(void **state) {
    (void)state;
    const char *const cols[] = {"id",           "session",      "segment", "speaker",
                                "organization", "on_behalf_of", "topics",  "coalition_member",
                                "position",     "role",         NULL};
    char *out = csv_of(
        "[{\"id\": 9, \"session\": {\"id\": 3, \"slug\": \"s\", \"name\": \"Plenary, day 1\"},"
        "  \"segment\": null, \"speaker\": null,"
        "  \"organization\": {\"id\": 7, \"slug\": \"cote-d-ivoire\", \"name\": \"Côte d’Ivoire\","
        "                    \"kind\": \"state\"},"
        "  \"on_behalf_of\": [{\"id\": 1, \"name\": \"African Group\"}, {\"id\": 2, \"name\": "
        "\"EU\"}],"
        "  \"topics\": [], \"coalition_member\": true, \"position\": 4, \"role\": null}]",
        cols);
    assert_string_equal(out, "id,session_id,session_name,segment_id,segment_name,speaker_id,"
                             "speaker_name,organization_id,organization_name,on_behalf_of,"
                             "topics,coalition_member,position,role\r\n"
                             "9,3,\"Plenary, day 1\",,,,,7,Côte d’Ivoire,African Group; EU,,"
                             "true,4,\r\n");
    free(out);
}

/* One convention: columns are plain field names and the renderer knows the contract's
 * reference fields; a suffixed name ("session@ref") or a flattened one is not a reference. */
static void csv_reference_columns_are_the_contract_s(void **state) {
    (void)state;
    static const char *const refs[] = {"assembly",     "session", "segment", "speaker",
                                       "organization", "author",  "parent",  NULL};
    for (size_t i = 0; refs[i] != NULL; i++)
        assert_int_equal(format_csv_is_ref(refs[i]), 1);
    static const char *const plain[] = {"id",
                                        "on_behalf_of",
                                        "hosts",
                                        "affiliations",
                                        "topics",
                                        "documents",
                                        "session@ref",
                                        "session_id",
                                        "",
                                        NULL};
    for (size_t i = 0; plain[i] != NULL; i++)
        assert_int_equal(format_csv_is_ref(plain[i]), 0);
    const char *const cols[] = {"assembly", "author", "parent", NULL};
    char *out = csv_of("[{\"assembly\": {\"id\": 1, \"slug\": \"asp20\", \"name\": \"ASP20\"},"
                       "  \"author\": null, \"parent\": {\"id\": 2, \"name\": \"Court\"}}]",
                       cols);
    assert_string_equal(out, "assembly_id,assembly_name,author_id,author_name,parent_id,"
                             "parent_name\r\n1,ASP20,,,2,Court\r\n");
    free(out);
}

static void csv_flattens_hosts_affiliations_segments(void **state) {
    (void)state;
    const char *const cols[] = {"hosts", "affiliations", "segments", "missing", NULL};
    char *out = csv_of(
        "[{\"hosts\": [{\"organization\": {\"id\": 1, \"name\": \"Finland\"}, \"role\": \"host\"},"
        "              {\"organization\": {\"id\": 2, \"name\": \"Sierra Leone\"},"
        "               \"role\": \"co_host\"}],"
        "  \"affiliations\": [{\"organization\": {\"id\": 5, \"name\": \"Registry\"},"
        "                      \"title\": \"Officer\"}],"
        "  \"segments\": [{\"id\": 1, \"position\": 1, \"title\": \"Opening\"},"
        "                {\"id\": 2, \"position\": 2, \"title\": \"Debate; panel\"}]}]",
        cols);
    assert_string_equal(out, "hosts,affiliations,segments,missing\r\n"
                             "Finland; Sierra Leone,Registry,Opening; Debate; panel,\r\n");
    free(out);
}

static void csv_streaming_matches_page(void **state) {
    (void)state;
    const char *const cols[] = {"id", "name", NULL};
    json_t *items = parse("[{\"id\": 1, \"name\": \"A\"}, {\"id\": 2, \"name\": \"B\"}]");
    struct format_buf buf = {0};
    assert_int_equal(format_csv_header(&buf, cols), 0);
    assert_int_equal(format_csv_row(&buf, json_array_get(items, 0), cols), 0);
    assert_int_equal(format_csv_row(&buf, json_array_get(items, 1), cols), 0);
    size_t len = 0;
    char *streamed = format_buf_take(&buf, &len);
    char *page = format_csv(items, cols, NULL);
    assert_string_equal(streamed, page);
    assert_string_equal(page, "id,name\r\n1,A\r\n2,B\r\n");
    assert_null(buf.data);
    free(streamed);
    free(page);
    json_decref(items);
    assert_null(format_csv(NULL, cols, NULL));
}

/* --- iCalendar --- */

static char *ics_of(const char *items_json, enum ics_kind kind) {
    json_t *items = parse(items_json);
    size_t len = 0;
    char *out = format_ics(items, kind, "ASP20 sessions", &len);
    json_decref(items);
    assert_non_null(out);
    assert_int_equal(len, strlen(out));
    return out;
}

/* Every line ends in CRLF, is at most 75 octets, never starts or ends inside a UTF-8
 * sequence; returns the text unfolded (continuations joined) for content checks. */
static char *check_lines_and_unfold(const char *text) {
    size_t n = strlen(text);
    char *out = malloc(n + 1);
    assert_non_null(out);
    size_t o = 0;
    const char *p = text;
    while (*p != '\0') {
        const char *eol = strstr(p, "\r\n");
        assert_non_null(eol);
        size_t len = (size_t)(eol - p);
        assert_true(len <= 75);
        assert_true(memchr(p, '\n', len) == NULL && memchr(p, '\r', len) == NULL);
        if (len > 0)
            assert_true(((unsigned char)p[0] & 0xC0) != 0x80);
        unsigned char next = (unsigned char)eol[2];
        assert_true((next & 0xC0) != 0x80);
        if (p != text && p[0] == ' ') {
            memcpy(out + o, p + 1, len - 1); /* a continuation: drop the space */
            o += len - 1;
        } else {
            if (p != text)
                out[o++] = '\n';
            memcpy(out + o, p, len);
            o += len;
        }
        p = eol + 2;
    }
    out[o] = '\0';
    return out;
}

static const char *session_json =
    "[{\"id\": 12, \"slug\": \"plenary-cooperation\", \"title\": \"Plenary on cooperation\","
    "  \"theme\": \"Cooperation; with States, and others\\\\ more\","
    "  \"summary\": \"Line one\\nLine two\", \"date\": \"2021-12-31\","
    "  \"part_of_day\": \"morning\", \"updated_at\": \"2021-12-08T09:00:00.000Z\","
    "  \"topics\": [{\"id\": 1, \"name\": \"Cooperation\"}, {\"id\": 2, \"name\": \"Arrest, "
    "surrender\"}]}]";

static void ics_calendar_and_session(void **state) {
    (void)state;
    char *out = ics_of(session_json, ICS_SESSIONS);
    char *u = check_lines_and_unfold(out);
    assert_non_null(strstr(out, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:"));
    assert_non_null(strstr(u, "\nCALSCALE:GREGORIAN\n"));
    assert_non_null(strstr(u, "\nX-WR-CALNAME:ASP20 sessions\n"));
    assert_non_null(strstr(u, "\nBEGIN:VEVENT\nUID:session-12@plenary\n"));
    assert_non_null(strstr(u, "\nDTSTAMP:20211208T090000Z\n"));
    assert_non_null(strstr(u, "\nDTSTART;VALUE=DATE:20211231\n"));
    assert_non_null(strstr(u, "\nDTEND;VALUE=DATE:20220101\n")); /* across a year end */
    assert_non_null(strstr(u, "\nSUMMARY:Plenary on cooperation\n"));
    assert_non_null(strstr(u, "\nDESCRIPTION:Cooperation\\; with States\\, and others\\\\ "
                              "more\\n\\nLine one\\nLine two\\n\\nPart of day: morning\n"));
    assert_non_null(strstr(u, "\nCATEGORIES:Cooperation,Arrest\\, surrender\n"));
    assert_non_null(strstr(u, "\nEND:VEVENT\nEND:VCALENDAR"));
    size_t n = strlen(out);
    assert_true(n >= 2 && out[n - 2] == '\r' && out[n - 1] == '\n');
    free(u);

    /* stable: the same item renders the same bytes */
    char *again = ics_of(session_json, ICS_SESSIONS);
    assert_string_equal(out, again);
    free(again);
    free(out);
}

static void ics_folds_multibyte_at_75_octets(void **state) {
    (void)state;
    /* Titles of multibyte characters at every offset relative to the fold point. */
    for (int pad = 0; pad < 8; pad++) {
        char title[1024] = "";
        for (int i = 0; i < pad; i++)
            strcat(title, "x");
        for (int i = 0; i < 12; i++)
            strcat(title, "Côte d’Ivoire, Hofmański — ");
        char json[2048];
        snprintf(json, sizeof json,
                 "[{\"id\": 3, \"title\": \"%s\", \"date\": \"2021-12-08\", "
                 "\"hosts\": [], \"topics\": []}]",
                 title);
        char *out = ics_of(json, ICS_SIDE_EVENTS);
        char *u = check_lines_and_unfold(out);
        assert_non_null(strstr(u, "\nUID:side-event-3@plenary\n"));
        char want[1200] = "\nSUMMARY:";
        /* the unfolded SUMMARY is the title with its commas escaped */
        size_t w = strlen(want);
        for (const char *p = title; *p; p++) {
            if (*p == ',')
                want[w++] = '\\';
            want[w++] = *p;
        }
        want[w++] = '\n';
        want[w] = '\0';
        assert_non_null(strstr(u, want));
        free(u);
        free(out);
    }
}

static void ics_side_event_hosts(void **state) {
    (void)state;
    char *out = ics_of(
        "[{\"id\": 5, \"slug\": \"x\", \"title\": \"Victims, first\", \"date\": \"2021-02-28\","
        "  \"description\": \"About victims.\", \"updated_at\": \"2021-12-01T10:11:12.345Z\","
        "  \"url\": \"https://example.org/e?a=1,2\","
        "  \"hosts\": [{\"organization\": {\"id\": 1, \"name\": \"Finland\"}, \"role\": \"host\"},"
        "            {\"organization\": {\"id\": 2, \"name\": \"Côte d’Ivoire\"},"
        "             \"role\": \"co_host\"}],"
        "  \"topics\": []},"
        " {\"id\": 6, \"title\": \"no date\", \"date\": null},"
        " {\"title\": \"no id\", \"date\": \"2021-12-08\"}]",
        ICS_SIDE_EVENTS);
    char *u = check_lines_and_unfold(out);
    assert_non_null(strstr(u, "\nUID:side-event-5@plenary\n"));
    assert_non_null(strstr(u, "\nDTSTART;VALUE=DATE:20210228\nDTEND;VALUE=DATE:20210301\n"));
    assert_non_null(strstr(u, "\nDTSTAMP:20211201T101112Z\n"));
    assert_non_null(strstr(u, "\nSUMMARY:Victims\\, first\n"));
    assert_non_null(strstr(u, "\nDESCRIPTION:About victims.\\n\\nHosts: Finland\\, Côte "
                              "d’Ivoire (co-host)\n"));
    assert_non_null(strstr(u, "\nURL:https://example.org/e?a=1,2\n"));
    assert_non_null(strstr(u, "\nX-PLENARY-HOST;X-ROLE=host:Finland\n"));
    assert_non_null(strstr(u, "\nX-PLENARY-HOST;X-ROLE=co_host:Côte d’Ivoire\n"));
    assert_null(strstr(u, "CATEGORIES"));
    /* the items without a date or an id are skipped: one event */
    assert_null(strstr(strstr(u, "BEGIN:VEVENT") + 1, "BEGIN:VEVENT"));
    free(u);
    free(out);
}

static void ics_empty_feed(void **state) {
    (void)state;
    char *out = ics_of("[]", ICS_SESSIONS);
    assert_non_null(strstr(out, "BEGIN:VCALENDAR\r\n"));
    assert_non_null(strstr(out, "\r\nEND:VCALENDAR\r\n"));
    assert_null(strstr(out, "VEVENT"));
    free(out);
    assert_null(format_ics(NULL, ICS_SESSIONS, "x", NULL));
}

/* format_append_json_string writes what jansson's compact dump writes for the same string:
 * every byte below 0x20, quotes, backslashes, '/', DEL and UTF-8 text. */
static void json_string_as_jansson_writes_it(void **state) {
    (void)state;
    char every_control[40];
    for (int c = 1; c < 0x20; c++)
        every_control[c - 1] = (char)c;
    every_control[0x1f] = '\0';
    const char *const texts[] = {"", "plain", "a \"quoted\" back\\slash", "a/b\x7f",
                                 every_control, "C\xc3\xb4te d\u2019Ivoire \xe2\x80\x94 \xf0\x9f\x98\x80",
                                 "tab\there\nline\r\n\b\f\x01\x1f end"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        struct format_buf b = {0};
        assert_int_equal(format_append(&b, "[", 1), 0);
        assert_int_equal(format_append_json_string(&b, texts[i]), 0);
        assert_int_equal(format_append(&b, "]", 1), 0);
        json_t *array = json_pack("[s]", texts[i]);
        assert_non_null(array);
        char *dumped = json_dumps(array, JSON_COMPACT);
        assert_string_equal(b.data, dumped);
        assert_int_equal(b.len, strlen(dumped));
        free(dumped);
        json_decref(array);
        format_buf_free(&b);
    }
}

/* A reference for format_utf8_valid: decode by the book (RFC 3629) and check the value. */
static int utf8_by_the_book(const unsigned char *s, size_t n) {
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (len == 0 || i + len > n)
            return 0;
        unsigned long v = len == 1 ? c : c & (0xFFu >> (len + 1));
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            v = (v << 6) | (s[i + k] & 0x3F);
        }
        static const unsigned long least[] = {0, 0, 0x80, 0x800, 0x10000};
        if ((len > 1 && v < least[len]) || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
            return 0;
        i += len;
    }
    return 1;
}

/* format_utf8_valid agrees with the reference on every string of up to three bytes drawn
 * from boundary values, and format_append_json_utf8 appends exactly what
 * format_append_json_string does for valid text and nothing (1) for the rest. */
static void utf8_check_and_escape_in_one_pass(void **state) {
    (void)state;
    static const unsigned char bytes[] = {0x01, 0x22, 0x41, 0x5c, 0x7f, 0x80, 0x8f, 0x90, 0x9f,
                                          0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef,
                                          0xf0, 0xf4, 0xf5, 0xff};
    const size_t nb = sizeof bytes;
    size_t valid = 0, checked = 0;
    for (size_t a = 0; a < nb; a++)
        for (size_t b = 0; b <= nb; b++)
            for (size_t c = 0; c <= nb; c++) {
                unsigned char s[8] = {bytes[a], b < nb ? bytes[b] : 0, 0, 0};
                if (b < nb)
                    s[2] = c < nb ? bytes[c] : 0;
                size_t n = strlen((const char *)s);
                int want = utf8_by_the_book(s, n);
                assert_int_equal(format_utf8_valid((const char *)s), want);
                struct format_buf got = {0}, ref = {0};
                assert_int_equal(format_append(&got, "x", 1), 0);
                int rc = format_append_json_utf8(&got, (const char *)s);
                assert_int_equal(rc, want ? 0 : 1);
                assert_int_equal(format_append(&ref, "x", 1), 0);
                if (want)
                    assert_int_equal(format_append_json_string(&ref, (const char *)s), 0);
                assert_int_equal(got.len, ref.len);
                assert_memory_equal(got.data, ref.data, ref.len);
                format_buf_free(&got);
                format_buf_free(&ref);
                valid += (size_t)want;
                checked++;
            }
    /* four-byte forms and the edges of the ranges */
    const char *const four[] = {"\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf", "\xf4\x90\x80\x80",
                                "\xf0\x8f\xbf\xbf", "\xed\x9f\xbf", "\xed\xa0\x80",
                                "\xe0\xa0\x80", "\xe0\x9f\xbf", "a\xf0\x9f\x98"};
    for (size_t i = 0; i < sizeof four / sizeof four[0]; i++) {
        int want = utf8_by_the_book((const unsigned char *)four[i], strlen(four[i]));
        assert_int_equal(format_utf8_valid(four[i]), want);
        struct format_buf got = {0};
        assert_int_equal(format_append_json_utf8(&got, four[i]), want ? 0 : 1);
        format_buf_free(&got);
    }
    assert_true(valid > 100 && valid < checked);
}

/* Both writers read eight plain bytes at a time: a byte that needs care (a control character,
 * a quote, a backslash, a byte of a UTF-8 sequence, valid or not) is found at every offset of
 * a longer text, and the text is written as jansson writes it, or refused when it is not
 * UTF-8. */
static void escapes_found_at_every_offset(void **state) {
    (void)state;
    static const char *const pieces[] = {"\"", "\\", "\n", "\x01", "\x1f", "\x7f", "/",
                                         "\xc3\xa9", "\xe2\x80\x94", "\xf0\x9f\x98\x80",
                                         "\x80", "\xc3", "\xed\xa0\x80", "\xff", " ", "~"};
    for (size_t k = 0; k < sizeof pieces / sizeof pieces[0]; k++)
        for (size_t at = 0; at <= 20; at++) {
            char text[40];
            memset(text, 'a', sizeof text);
            size_t len = strlen(pieces[k]);
            memcpy(text + at, pieces[k], len);
            text[at + len + 3 + at % 9] = '\0'; /* texts of every length mod 8 */
            int valid = utf8_by_the_book((const unsigned char *)text, strlen(text));
            struct format_buf got = {0};
            assert_int_equal(format_append_json_utf8(&got, text), valid ? 0 : 1);
            if (valid) {
                json_t *array = json_pack("[s]", text);
                assert_non_null(array);
                char *dumped = json_dumps(array, JSON_COMPACT);
                size_t n = strlen(dumped) - 2; /* without the brackets */
                assert_int_equal(got.len, n);
                assert_memory_equal(got.data, dumped + 1, n);
                struct format_buf plain = {0};
                assert_int_equal(format_append_json_string(&plain, text), 0);
                assert_int_equal(plain.len, n);
                assert_memory_equal(plain.data, dumped + 1, n);
                format_buf_free(&plain);
                free(dumped);
                json_decref(array);
            }
            format_buf_free(&got);
        }
}

/* format_append_int writes what printf's %lld writes, the extremes included. */
static void int_as_printf_writes_it(void **state) {
    (void)state;
    const int64_t values[] = {0, 1, -1, 9, 10, 42, -42, 1000000, INT64_MAX, INT64_MIN,
                              INT64_MIN + 1, 9007199254740993LL};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        struct format_buf b = {0};
        assert_int_equal(format_append(&b, "x", 1), 0);
        assert_int_equal(format_append_int(&b, values[i]), 0);
        char want[32];
        snprintf(want, sizeof want, "x%lld", (long long)values[i]);
        assert_string_equal(b.data, want);
        assert_int_equal(b.len, strlen(want));
        format_buf_free(&b);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(csv_empty_page_has_header),
        cmocka_unit_test(csv_quotes_and_crlf),
        cmocka_unit_test(csv_flattens_references_and_lists),
        cmocka_unit_test(csv_reference_columns_are_the_contract_s),
        cmocka_unit_test(csv_flattens_hosts_affiliations_segments),
        cmocka_unit_test(csv_streaming_matches_page),
        cmocka_unit_test(ics_calendar_and_session),
        cmocka_unit_test(ics_folds_multibyte_at_75_octets),
        cmocka_unit_test(ics_side_event_hosts),
        cmocka_unit_test(ics_empty_feed),
        cmocka_unit_test(json_string_as_jansson_writes_it),
        cmocka_unit_test(utf8_check_and_escape_in_one_pass),
        cmocka_unit_test(escapes_found_at_every_offset),
        cmocka_unit_test(int_as_printf_writes_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
