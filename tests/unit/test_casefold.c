/* test_casefold.c: Unicode simple case folding (casefold.c): known foldings of each script the
 * table covers, the rules the name filter's index ranges rest on, checked over every code
 * point (ASCII folds only A-Z and only to ASCII, nothing else folds into ASCII, folding is
 * idempotent, a class's bounds fold alike), and the UTF-8 text folding with its truncation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "casefold.h"

#include <string.h>

static void known_foldings(void **state) {
    (void)state;
    static const uint32_t pairs[][2] = {
        {'A', 'a'},       {'z', 'z'},         {'@', '@'},         {0x00C9, 0x00E9}, /* É é */
        {0x00E9, 0x00E9}, {0x00B5, 0x03BC},   {0x00DF, 0x00DF},   {0x1E9E, 0x00DF}, /* ẞ ß */
        {0x0143, 0x0144}, {0x0130, 0x0130},   {0x0131, 0x0131},   {0x017F, 0x017F}, /* ſ */
        {0x212A, 0x212A}, {0x212B, 0x00E5},   {0x023A, 0x2C65},   {0x03A3, 0x03C3}, /* Σ */
        {0x03C2, 0x03C3}, {0x03C3, 0x03C3},   {0x0386, 0x03AC},   {0x0416, 0x0436}, /* Ж */
        {0x0531, 0x0561}, {0x10A0, 0x2D00},   {0x13F8, 0x13F0},   {0xAB70, 0x13A0}, /* Ꭰ */
        {0xFF21, 0xFF41}, {0x10400, 0x10428}, {0x1E900, 0x1E922}, {0x4E2D, 0x4E2D}, /* 中 */
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
        if (casefold_code_point(pairs[i][0]) != pairs[i][1])
            fail_msg("U+%04X folds to U+%04X, not U+%04X", (unsigned)pairs[i][0],
                     (unsigned)casefold_code_point(pairs[i][0]), (unsigned)pairs[i][1]);
}

/* The rules db_read.c's name ranges rely on, for every code point. */
static void folding_rules(void **state) {
    (void)state;
    size_t folded = 0;
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        if (cp == 0xD800)
            cp = 0xE000;
        uint32_t f = casefold_code_point(cp);
        if ((cp < 0x80) != (f < 0x80))
            fail_msg("U+%04X folds across ASCII to U+%04X", (unsigned)cp, (unsigned)f);
        if (f > 0x10FFFF || (f >= 0xD800 && f <= 0xDFFF) || casefold_code_point(f) != f)
            fail_msg("U+%04X folds to U+%04X, which is not a folding", (unsigned)cp, (unsigned)f);
        if (f == cp)
            continue;
        folded++;
        uint32_t low, high;
        casefold_class(cp, &low, &high);
        if (low > cp || high < cp || low > f || high < f || casefold_code_point(low) != f ||
            casefold_code_point(high) != f)
            fail_msg("U+%04X: class U+%04X..U+%04X", (unsigned)cp, (unsigned)low, (unsigned)high);
    }
    assert_true(folded > 1400); /* Unicode 14: 26 in ASCII, 1,428 beyond, less U+017F, U+212A */
    uint32_t low, high;
    casefold_class(0x03C3, &low, &high); /* σ: Σ, σ and ς */
    assert_int_equal(low, 0x03A3);
    assert_int_equal(high, 0x03C3);
    casefold_class('q', &low, &high);
    assert_int_equal(low, 'Q');
    assert_int_equal(high, 'q');
    casefold_class(0x4E2D, &low, &high);
    assert_int_equal(low, 0x4E2D);
    assert_int_equal(high, 0x4E2D);
}

static void text_folding(void **state) {
    (void)state;
    char out[64];
    const char *in = "C\xC3\x94TE D\xE2\x80\x99IVOIRE"; /* CÔTE D’IVOIRE */
    assert_int_equal(casefold_utf8(in, strlen(in), out, sizeof out), strlen(in));
    assert_string_equal(out, "c\xC3\xB4te d\xE2\x80\x99ivoire");
    /* Ⱥ (2 bytes) folds to ⱥ (3 bytes) */
    assert_int_equal(casefold_utf8("x\xC8\xBA", 3, out, sizeof out), 4);
    assert_string_equal(out, "x\xE2\xB1\xA5");
    /* truncation as snprintf, at a character's end: "ab" then ⱥ does not fit in 5 */
    assert_int_equal(casefold_utf8("AB\xC8\xBA", 4, out, 5), 5);
    assert_string_equal(out, "ab");
    assert_int_equal(casefold_utf8("AB", 2, NULL, 0), 2);
    /* bytes that are not UTF-8 are kept; a sequence cut by len is not decoded */
    assert_int_equal(casefold_utf8("A\xFF"
                                   "B",
                                   3, out, sizeof out),
                     3);
    assert_memory_equal(out,
                        "a\xFF"
                        "b",
                        4);
    assert_int_equal(casefold_utf8("A\xC3\x89", 2, out, sizeof out), 2);
    assert_memory_equal(out, "a\xC3", 3);
    /* encode and decode agree at each length's edges */
    static const uint32_t edges[] = {0x80, 0x7FF, 0x800, 0xFFFF, 0x10000, 0x10FFFF};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        char buf[5] = {0};
        uint32_t back = 0;
        size_t n = casefold_encode(edges[i], buf);
        assert_int_equal(casefold_decode(buf, &back), n);
        assert_int_equal(back, edges[i]);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(known_foldings),
        cmocka_unit_test(folding_rules),
        cmocka_unit_test(text_folding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
