#!/usr/bin/perl
# casefold_table.pl: writes server/casefold_table.h, the table of Unicode simple case folding
# (CaseFolding.txt, statuses C and S) that casefold.c reads, from the Unicode data of Perl's
# Unicode::UCD (Debian 12's Perl 5.36: Unicode 14.0). Run it again, and commit its output,
# only to move to a newer Unicode:   perl server/casefold_table.pl > server/casefold_table.h
#
# The mappings are written as runs: `count` code points from `first`, `stride` apart (1, or 2
# where upper and lower case alternate, as in Latin Extended-A), each folding to itself plus
# `delta`. U+017F (long s) and U+212A (Kelvin sign) are left out: they are the only code points
# that fold into ASCII, and leaving them out keeps the name filter's rule that ASCII folds to
# ASCII and nothing else does (see casefold.h).
use strict;
use warnings;
use Unicode::UCD qw(casefold);

my %excluded = (0x017F => 1, 0x212A => 1);
my @runs;    # [first, count, stride, delta]
for my $cp (0x80 .. 0x10FFFF) {
    next if $excluded{$cp};
    my $f = casefold($cp) or next;
    next if !defined $f->{simple} || $f->{simple} eq '';
    my $to = hex $f->{simple};
    next if $to == $cp;
    my $delta = $to - $cp;
    if (@runs) {
        my $r = $runs[-1];
        my ($first, $count, $stride, $d) = @$r;
        my $last = $first + ($count - 1) * $stride;
        if ($d == $delta) {
            if ($count == 1 && ($cp - $first == 1 || $cp - $first == 2)) {
                $r->[2] = $cp - $first;
                $r->[1]++;
                next;
            }
            if ($count > 1 && $cp == $last + $stride) {
                $r->[1]++;
                next;
            }
        }
    }
    push @runs, [$cp, 1, 1, $delta];
}

my $version = Unicode::UCD::UnicodeVersion();
print <<"HEAD";
/* casefold_table.h: Unicode $version simple case folding (CaseFolding.txt, statuses C and S) as
 * runs, sorted by first code point; written by casefold_table.pl, not by hand. U+017F and
 * U+212A, which fold into ASCII, are left out (see casefold.h). */
#ifndef PLENARY_CASEFOLD_TABLE_H
#define PLENARY_CASEFOLD_TABLE_H

#define CASEFOLD_UNICODE_VERSION "$version"

/* count code points from first, stride apart, each folding to itself + delta */
static const struct casefold_run {
    unsigned first;          /* the first code point of the run */
    unsigned short count;    /* code points in it */
    unsigned char stride;    /* 1 or 2 */
    int delta;               /* what each adds to fold */
} casefold_runs[] = {
HEAD
for my $r (@runs) {
    printf "    {0x%04X, %d, %d, %d},\n", @$r;
}
print "};\n\n#endif\n";
