/* test_admission.c: the connection limits and the choice of worker — the least loaded
 * worker first and ties in turn, the total and per-address limits, IPv4 and IPv6 counted
 * apart, and the address table against a plain model through thousands of random
 * arrivals and departures (its deletions shift entries back; a lost one would show). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "admission.h"
#include "limits.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

static struct sockaddr_in v4(uint32_t address) {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(40000)};
    a.sin_addr.s_addr = htonl(address);
    return a;
}

static struct sockaddr_in6 v6(uint8_t last) {
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(40000)};
    a.sin6_addr.s6_addr[0] = 0x20;
    a.sin6_addr.s6_addr[1] = 0x01;
    a.sin6_addr.s6_addr[15] = last;
    return a;
}

#define SA(x) ((const struct sockaddr *)&(x))

static void bad_bounds_are_refused(void **state) {
    (void)state;
    assert_null(admission_new(0, 10, 10));
    /* every worker of the most runner threads fits; one more does not */
    struct admission *most = admission_new(MAX_THREADS * SHARDS_PER_THREAD, 10, 10);
    assert_non_null(most);
    admission_free(most);
    assert_null(admission_new(MAX_THREADS * SHARDS_PER_THREAD + 1, 10, 10));
    assert_null(admission_new(2, 0, 10));
    assert_null(admission_new(2, 10, 0));
}

static void least_loaded_first_and_ties_in_turn(void **state) {
    (void)state;
    struct admission *a = admission_new(3, 100, 100);
    struct sockaddr_in peer = v4(0x7f000001);
    int seen[3] = {0};
    for (int i = 0; i < 30; i++) {
        int w = admission_enter(a, SA(peer));
        assert_in_range(w, 0, 2);
        seen[w]++;
        /* after every third arrival the workers hold the same */
        if (i % 3 == 2)
            for (unsigned k = 0; k < 3; k++)
                assert_int_equal(admission_held(a, k), (unsigned)(i / 3 + 1));
    }
    assert_int_equal(seen[0], 10);
    assert_int_equal(seen[1], 10);
    assert_int_equal(seen[2], 10);
    /* worker 1 loses three: the next three go to it */
    for (int i = 0; i < 3; i++)
        admission_leave(a, 1, SA(peer));
    for (int i = 0; i < 3; i++)
        assert_int_equal(admission_enter(a, SA(peer)), 1);
    assert_int_equal(admission_held(a, 99), 0); /* no such worker */
    admission_free(a);
}

static void total_limit(void **state) {
    (void)state;
    struct admission *a = admission_new(2, 5, 100);
    for (uint32_t i = 0; i < 5; i++) {
        struct sockaddr_in peer = v4(0x0a000001 + i);
        assert_true(admission_enter(a, SA(peer)) >= 0);
    }
    struct sockaddr_in extra = v4(0x0a0000ff);
    assert_int_equal(admission_enter(a, SA(extra)), ADMISSION_FULL);
    /* one leaves: one more fits, and no further */
    struct sockaddr_in first = v4(0x0a000001);
    admission_leave(a, 0, SA(first));
    assert_true(admission_enter(a, SA(extra)) >= 0);
    assert_int_equal(admission_enter(a, SA(extra)), ADMISSION_FULL);
    admission_free(a);
}

static void per_address_limit_counts_families_apart(void **state) {
    (void)state;
    struct admission *a = admission_new(2, 100, 3);
    struct sockaddr_in one = v4(0xc0000201), other = v4(0xc0000202);
    struct sockaddr_in6 six = v6(1);
    int w[3];
    for (int i = 0; i < 3; i++)
        assert_true((w[i] = admission_enter(a, SA(one))) >= 0);
    assert_int_equal(admission_enter(a, SA(one)), ADMISSION_PEER_FULL);
    /* another address, and an IPv6 one, have their own count */
    for (int i = 0; i < 3; i++) {
        assert_true(admission_enter(a, SA(other)) >= 0);
        assert_true(admission_enter(a, SA(six)) >= 0);
    }
    assert_int_equal(admission_enter(a, SA(other)), ADMISSION_PEER_FULL);
    assert_int_equal(admission_enter(a, SA(six)), ADMISSION_PEER_FULL);
    /* the same address on another port is the same client */
    struct sockaddr_in one_again = one;
    one_again.sin_port = htons(50000);
    assert_int_equal(admission_enter(a, SA(one_again)), ADMISSION_PEER_FULL);
    admission_leave(a, (unsigned)w[0], SA(one));
    assert_true(admission_enter(a, SA(one_again)) >= 0);
    admission_free(a);
}

/* Random arrivals and departures from 300 addresses against counts kept in an array: the
 * table (1,024 slots for a total of 400, so long probe runs and many shifts) must agree on
 * every refusal. */
static void table_agrees_with_a_model(void **state) {
    (void)state;
    enum { ADDRESSES = 300, TOTAL = 400, PER_PEER = 4, STEPS = 200000 };
    struct admission *a = admission_new(4, TOTAL, PER_PEER);
    static unsigned model[ADDRESSES];
    static int worker_of[ADDRESSES][PER_PEER]; /* a stack of each address's workers */
    unsigned total = 0, held[4] = {0};
    srand(7);
    for (int step = 0; step < STEPS; step++) {
        int k = rand() % ADDRESSES;
        struct sockaddr_in peer = v4(0x64400000u + (uint32_t)k * 7919u);
        if (rand() % 2 == 0) {
            int w = admission_enter(a, SA(peer));
            if (total >= TOTAL) {
                assert_int_equal(w, ADMISSION_FULL);
            } else if (model[k] >= PER_PEER) {
                assert_int_equal(w, ADMISSION_PEER_FULL);
            } else {
                assert_in_range(w, 0, 3);
                /* the least loaded worker */
                for (int o = 0; o < 4; o++)
                    assert_true(held[w] <= held[o]);
                worker_of[k][model[k]++] = w;
                held[w]++;
                total++;
            }
        } else if (model[k] > 0) {
            int w = worker_of[k][--model[k]];
            admission_leave(a, (unsigned)w, SA(peer));
            held[w]--;
            total--;
        }
        for (unsigned o = 0; o < 4; o++)
            assert_int_equal(admission_held(a, o), held[o]);
    }
    admission_free(a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bad_bounds_are_refused),
        cmocka_unit_test(least_loaded_first_and_ties_in_turn),
        cmocka_unit_test(total_limit),
        cmocka_unit_test(per_address_limit_counts_families_apart),
        cmocka_unit_test(table_agrees_with_a_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
