/* db_snippet.c: FTS5's snippet() redone in C for /v1/search (db_search.c says why). The file
 * is divided into: the state and its buffers; the query's phrases; a row's tokens and where
 * the phrases occur in them; and the snippet itself — the window FTS5 would choose and its
 * highlighting, step for step as SQLite 3.40 makes them (ext/fts5/fts5_aux.c), so that the
 * bytes are the same.
 *
 * What FTS5 does, and so what this does. Text is cut into tokens by the connection's own
 * unicode61 tokenizer (remove_diacritics 2), which folds case and diacritics; a token is its
 * folded bytes, cut at FTS5's 32768, and its place in the column is its ordinal. A phrase
 * occurs at a token when its tokens equal the column's from there on, the last compared as a
 * prefix in a prefix phrase. The occurrences ("instances") are ordered by column, then token,
 * then phrase: what xInst reports. A row matches the implicit AND when every phrase occurs in
 * it; a phrase without a token is not part of the AND at all (FTS5 drops it while parsing),
 * and an expression of such phrases only matches nothing. The snippet then scores, for each
 * instance, the window of DB_SNIPPET_TOKENS tokens starting there (1000 per phrase seen in
 * it, 1 per repeat), moved back to centre its instances, and, in a column longer than the
 * window, the window starting at the instance's sentence (a token after '.' or ':' and white
 * space) with a bonus; the first best window wins. Its text is copied from the start of its
 * first token (from the column's start at token 0) to the end of its last, with overlapping
 * instances highlighted as one and an ellipsis wherever text is left out. */
#include "db_snippet.h"

#include "db_search.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* FTS5 keeps at most this many bytes of a token, in documents and queries alike
 * (FTS5_MAX_TOKEN_SIZE): longer tokens compare on these bytes only. */
#define SNIPPET_MAX_TOKEN 32768
/* Buffers grown past this many tokens for one long row are let go after it. */
#define SNIPPET_KEEP_TOKENS 65536

_Static_assert(DB_SNIPPET_TOKENS > 1, "a window ends past its first token");

/* One token of a row's column. */
struct token {
    int start;   /* its first byte in the column's text */
    int end;     /* past its last byte */
    size_t form; /* where its folded form begins in forms */
    int len;     /* that form's bytes */
};

/* One token of the query's phrases, folded. */
struct term {
    size_t at; /* where it begins in terms_text */
    int len;   /* its bytes */
};

/* One phrase of the query that has a token. */
struct phrase {
    int first;  /* its first term in terms */
    int count;  /* its terms, at least 1: its size in tokens */
    int prefix; /* its last term matches any token that begins with it */
};

/* An occurrence of a phrase in a column, as FTS5's xInst reports it. */
struct instance {
    int phrase; /* the phrase */
    int offset; /* the column's token its first term matches */
};

struct db_snippet {
    fts5_tokenizer fn;  /* unicode61's functions */
    Fts5Tokenizer *tok; /* unicode61 remove_diacritics 2 */
    /* the query */
    struct phrase *phrases; /* its phrases with a token, in order */
    int phrase_count;       /* entries of phrases */
    size_t phrase_cap;      /* room in phrases and seen */
    unsigned char *seen;    /* per phrase: seen in the window being scored */
    struct term *terms;     /* every phrase's terms, in order */
    int term_count;         /* entries of terms */
    size_t term_cap;        /* room in terms */
    char *terms_text;       /* the terms' folded bytes */
    size_t terms_len;       /* bytes used */
    size_t terms_cap;       /* room */
    char *unquoted;         /* a phrase's text, its quotes undone */
    size_t unquoted_cap;    /* room */
    /* the row */
    struct token *tokens;       /* every column's tokens, column after column */
    int token_count;            /* entries of tokens */
    size_t token_cap;           /* room */
    char *forms;                /* the tokens' folded bytes */
    size_t forms_len;           /* bytes used */
    size_t forms_cap;           /* room */
    struct instance *instances; /* every column's instances, column after column, in order */
    int instance_count;         /* entries of instances */
    size_t instance_cap;        /* room */
    int *sentences;             /* a column's tokens that begin a sentence, ascending */
    size_t sentence_cap;        /* room */
    char *out;                  /* the snippet being written */
    size_t out_len;             /* its bytes */
    size_t out_cap;             /* room */
    int written;                /* something was appended (an empty snippet is not NULL) */
};

/* ---- The state and its buffers --------------------------------------------------------------- */

/* p (room for *cap items of `size` bytes) with room for `need`: p itself when it has, else
 * its reallocation with *cap updated. NULL when out of memory (p is then still valid). */
static void *grow(void *p, size_t *cap, size_t need, size_t size) {
    if (need <= *cap && p != NULL)
        return p;
    size_t n = *cap > 16 ? *cap : 16;
    while (n < need)
        n *= 2;
    void *q = realloc(p, n * size);
    if (q != NULL)
        *cap = n;
    return q;
}

/* Appends a token's folded bytes (cut at SNIPPET_MAX_TOKEN, as FTS5 cuts them) to a growable
 * text; *len is advanced and the token's offset in the text put in *at. Returns the bytes
 * kept, or -1 when out of memory. */
static int keep_token(char **text, size_t *cap, size_t *len, const char *token, int n,
                      size_t *at) {
    if (n > SNIPPET_MAX_TOKEN)
        n = SNIPPET_MAX_TOKEN;
    char *grown = grow(*text, cap, *len + (size_t)n, 1);
    if (grown == NULL)
        return -1;
    *text = grown;
    memcpy(grown + *len, token, (size_t)n);
    *at = *len;
    *len += (size_t)n;
    return n;
}

struct db_snippet *db_snippet_new(fts5_api *api) {
    struct db_snippet *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    void *user = NULL;
    const char *args[] = {"remove_diacritics", "2"};
    if (api == NULL || api->xFindTokenizer(api, "unicode61", &user, &s->fn) != SQLITE_OK ||
        s->fn.xCreate(user, args, 2, &s->tok) != SQLITE_OK) {
        s->tok = NULL; /* undefined after a failed xCreate */
        db_snippet_free(s);
        return NULL;
    }
    return s;
}

void db_snippet_free(struct db_snippet *s) {
    if (s == NULL)
        return;
    if (s->tok != NULL)
        s->fn.xDelete(s->tok);
    free(s->phrases);
    free(s->seen);
    free(s->terms);
    free(s->terms_text);
    free(s->unquoted);
    free(s->tokens);
    free(s->forms);
    free(s->instances);
    free(s->sentences);
    free(s->out);
    free(s);
}

/* ---- The query's phrases --------------------------------------------------------------------- */

/* The tokenizer's callback for a query phrase: one more term. */
static int on_query_token(void *ctx, int tflags, const char *token, int len, int start, int end) {
    (void)start;
    (void)end;
    struct db_snippet *s = ctx;
    if (tflags & FTS5_TOKEN_COLOCATED)
        return SQLITE_OK; /* a synonym, which unicode61 never makes */
    struct term *terms = grow(s->terms, &s->term_cap, (size_t)s->term_count + 1, sizeof *terms);
    if (terms == NULL)
        return SQLITE_NOMEM;
    s->terms = terms;
    size_t at;
    len = keep_token(&s->terms_text, &s->terms_cap, &s->terms_len, token, len, &at);
    if (len < 0)
        return SQLITE_NOMEM;
    terms[s->term_count++] = (struct term){.at = at, .len = len};
    return SQLITE_OK;
}

/* Tokenizes a phrase's text (n bytes) as FTS5 tokenizes a quoted string of a MATCH, and adds
 * it to the query unless it has no token. Returns 0 or -1. */
static int add_phrase(struct db_snippet *s, const char *text, size_t n, int prefix) {
    int first = s->term_count;
    int flags = FTS5_TOKENIZE_QUERY | (prefix ? FTS5_TOKENIZE_PREFIX : 0);
    if (n > (size_t)INT32_MAX ||
        s->fn.xTokenize(s->tok, s, flags, text, (int)n, on_query_token) != SQLITE_OK)
        return -1;
    if (s->term_count == first)
        return 0; /* FTS5 drops it from the implicit AND */
    struct phrase *phrases =
        grow(s->phrases, &s->phrase_cap, (size_t)s->phrase_count + 1, sizeof *phrases);
    if (phrases == NULL)
        return -1;
    s->phrases = phrases;
    phrases[s->phrase_count++] =
        (struct phrase){.first = first, .count = s->term_count - first, .prefix = prefix};
    return 0;
}

/* FTS5's white space between the parts of an expression. */
static int is_expr_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* db_snippet_query's reading of the expression into s. Returns 0 or -1. */
static int read_expression(struct db_snippet *s, const char *match) {
    s->phrase_count = s->term_count = 0;
    s->terms_len = 0;
    char *u = grow(s->unquoted, &s->unquoted_cap, strlen(match) + 1, 1);
    if (u == NULL)
        return -1;
    s->unquoted = u;
    const char *p = match;
    for (;;) {
        while (is_expr_space(*p))
            p++;
        if (*p == '\0')
            break;
        if (*p++ != '"')
            return -1;
        size_t n = 0;
        for (;; p++) {
            if (*p == '\0')
                return -1; /* unterminated */
            if (*p == '"' && p[1] != '"')
                break;
            if (*p == '"')
                p++; /* "" stands for one quote */
            u[n++] = *p;
        }
        p++;
        int prefix = *p == '*';
        p += prefix;
        if (*p != '\0' && !is_expr_space(*p))
            return -1;
        if (add_phrase(s, u, n, prefix) != 0)
            return -1;
    }
    unsigned char *seen = realloc(s->seen, s->phrase_cap ? s->phrase_cap : 1);
    if (seen == NULL)
        return -1;
    s->seen = seen;
    return 0;
}

int db_snippet_query(struct db_snippet *s, const char *match) {
    assert(s != NULL && match != NULL);
    if (read_expression(s, match) == 0)
        return 0;
    s->phrase_count = 0; /* half read: the rows made next match nothing */
    return -1;
}

/* ---- A row's tokens and the instances -------------------------------------------------------- */

/* The tokenizer's callback for a column: one more token of the row. */
static int on_text_token(void *ctx, int tflags, const char *token, int len, int start, int end) {
    struct db_snippet *s = ctx;
    if (tflags & FTS5_TOKEN_COLOCATED)
        return SQLITE_OK; /* takes no position of its own; unicode61 never makes one */
    struct token *tokens =
        grow(s->tokens, &s->token_cap, (size_t)s->token_count + 1, sizeof *tokens);
    if (tokens == NULL)
        return SQLITE_NOMEM;
    s->tokens = tokens;
    size_t form;
    len = keep_token(&s->forms, &s->forms_cap, &s->forms_len, token, len, &form);
    if (len < 0)
        return SQLITE_NOMEM;
    tokens[s->token_count++] = (struct token){.start = start, .end = end, .form = form, .len = len};
    return SQLITE_OK;
}

/* Does the phrase occur at tokens[at], the column's tokens ending before tokens[stop]? */
static int occurs_at(const struct db_snippet *s, const struct phrase *ph, int at, int stop) {
    if (ph->count > stop - at)
        return 0;
    for (int k = 0; k < ph->count; k++) {
        const struct term *t = &s->terms[ph->first + k];
        const struct token *tok = &s->tokens[at + k];
        int prefix = ph->prefix && k == ph->count - 1;
        if (prefix ? t->len > tok->len : t->len != tok->len)
            return 0;
        if (memcmp(s->terms_text + t->at, s->forms + tok->form, (size_t)t->len) != 0)
            return 0;
    }
    return 1;
}

/* Adds the instances of every phrase in the column of tokens[first .. first+count), in
 * xInst's order (token, then phrase), and marks each phrase found in s->seen. Returns 0 or
 * -1. */
static int find_instances(struct db_snippet *s, int first, int count) {
    for (int i = 0; i < count; i++)
        for (int p = 0; p < s->phrase_count; p++) {
            if (!occurs_at(s, &s->phrases[p], first + i, first + count))
                continue;
            struct instance *in =
                grow(s->instances, &s->instance_cap, (size_t)s->instance_count + 1, sizeof *in);
            if (in == NULL)
                return -1;
            s->instances = in;
            in[s->instance_count++] = (struct instance){.phrase = p, .offset = i};
            s->seen[p] = 1;
        }
    return 0;
}

/* The column's tokens that begin a sentence, into s->sentences, as FTS5's sentence finder
 * has them: the first, and each whose text is preceded by white space and, before it, a '.'
 * or a ':'. Returns how many, or -1 when out of memory. */
static int find_sentences(struct db_snippet *s, const char *text, const struct token *tokens,
                          int count) {
    int *at = grow(s->sentences, &s->sentence_cap, (size_t)count, sizeof *at);
    if (at == NULL)
        return -1;
    s->sentences = at;
    int n = 0;
    for (int i = 0; i < count; i++) {
        if (i == 0) {
            at[n++] = 0;
            continue;
        }
        int b = tokens[i].start - 1;
        char c = 0;
        while (b >= 0 && ((c = text[b]) == ' ' || c == '\t' || c == '\n' || c == '\r'))
            b--;
        if (b != tokens[i].start - 1 && (c == '.' || c == ':'))
            at[n++] = i;
    }
    return n;
}

/* ---- The snippet ----------------------------------------------------------------------------- */

/* FTS5's score of the window of DB_SNIPPET_TOKENS tokens from `from` in a column of `size`
 * tokens whose instances are in[0 .. count): 1000 for each phrase's first instance in it, 1
 * for each further one. *adjusted, when asked for, gets the window's start moved back to
 * centre the instances in it, within the column. */
static int window_score(struct db_snippet *s, const struct instance *in, int count, int from,
                        int size, int *adjusted) {
    memset(s->seen, 0, (size_t)s->phrase_count);
    int lo = 0, hi = count; /* the first instance at or past `from` */
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (in[mid].offset < from)
            lo = mid + 1;
        else
            hi = mid;
    }
    long long end = (long long)from + DB_SNIPPET_TOKENS;
    int score = 0, first = -1, last = 0;
    for (int i = lo; i < count && in[i].offset < end; i++) {
        score += s->seen[in[i].phrase] ? 1 : 1000;
        s->seen[in[i].phrase] = 1;
        if (first < 0)
            first = in[i].offset;
        last = in[i].offset + s->phrases[in[i].phrase].count; /* the last in order, not the
                                                               * farthest: as FTS5 has it */
    }
    if (adjusted != NULL) {
        long long adj = first - (DB_SNIPPET_TOKENS - (last - first)) / 2;
        if (adj + DB_SNIPPET_TOKENS > size)
            adj = size - DB_SNIPPET_TOKENS;
        *adjusted = adj < 0 ? 0 : (int)adj;
    }
    return score;
}

/* Walks a column's instances merged where they overlap (FTS5's coalesced instances): start
 * and end are the tokens of the current one, -1 past the last. */
struct merged {
    const struct instance *in; /* the column's instances */
    int count;                 /* how many */
    int next;                  /* the first not yet merged */
    int start;                 /* first token of the current merged instance */
    int end;                   /* its last token */
};

static void merged_next(struct merged *m, const struct phrase *phrases) {
    m->start = m->end = -1;
    for (; m->next < m->count; m->next++) {
        const struct instance *x = &m->in[m->next];
        int end = x->offset + phrases[x->phrase].count - 1;
        if (m->start < 0) {
            m->start = x->offset;
            m->end = end;
        } else if (x->offset <= m->end) {
            if (end > m->end)
                m->end = end;
        } else {
            break;
        }
    }
}

/* Appends n bytes of z to the snippet, as far as a NUL (FTS5 appends with "%.*s"). */
static int append(struct db_snippet *s, const char *z, int n) {
    assert(n >= 0);
    const char *nul = memchr(z, '\0', (size_t)n);
    size_t len = nul != NULL ? (size_t)(nul - z) : (size_t)n;
    char *out = grow(s->out, &s->out_cap, s->out_len + len + 1, 1);
    if (out == NULL)
        return -1;
    s->out = out;
    memcpy(out + s->out_len, z, len);
    s->out_len += len;
    s->written = 1;
    return 0;
}

static int append_str(struct db_snippet *s, const char *z) {
    return append(s, z, (int)strlen(z));
}

/* Writes the window of DB_SNIPPET_TOKENS tokens from `start` of a column (its text of n
 * bytes, its tokens and instances) as FTS5's highlighter does. Returns 0 or -1. */
static int write_window(struct db_snippet *s, const char *text, int n, const struct token *tokens,
                        int size, const struct instance *in, int count, int start) {
    static const char mark_open[] = {DB_SEARCH_OPEN, '\0'}, mark_close[] = {DB_SEARCH_CLOSE, '\0'};
    int stop = start + DB_SNIPPET_TOKENS - 1; /* the window's last token */
    struct merged m = {.in = in, .count = count};
    merged_next(&m, s->phrases);
    int rc = 0;
    if (start > 0)
        rc |= append_str(s, DB_SNIPPET_ELLIPSIS);
    while (m.start >= 0 && m.start < start)
        merged_next(&m, s->phrases);
    int off = 0; /* copied up to here */
    for (int pos = start; pos <= stop && pos < size; pos++) {
        const struct token *t = &tokens[pos];
        if (start > 0 && pos == start)
            off = t->start;
        if (pos == m.start) {
            rc |= append(s, text + off, t->start - off);
            rc |= append_str(s, mark_open);
            off = t->start;
        }
        if (pos == m.end) {
            /* FTS5 opens here a match begun before the window: none is, the walk having
             * skipped those */
            assert(m.start >= start);
            rc |= append(s, text + off, t->end - off);
            rc |= append_str(s, mark_close);
            off = t->end;
            merged_next(&m, s->phrases);
        }
        if (pos == stop) {
            rc |= append(s, text + off, t->end - off);
            off = t->end;
            if (pos >= m.start && pos < m.end) /* a match running past the window */
                rc |= append_str(s, mark_close);
        }
    }
    if (stop >= size - 1)
        rc |= append(s, text + off, n - off);
    else
        rc |= append_str(s, DB_SNIPPET_ELLIPSIS);
    return rc ? -1 : 0;
}

/* Lets go of buffers a long row grew. */
static void trim(struct db_snippet *s) {
    if (s->token_cap <= SNIPPET_KEEP_TOKENS)
        return;
    free(s->tokens);
    free(s->forms);
    free(s->instances);
    free(s->sentences);
    free(s->out);
    s->tokens = NULL, s->forms = NULL, s->instances = NULL, s->sentences = NULL, s->out = NULL;
    s->token_cap = s->forms_cap = s->instance_cap = s->sentence_cap = s->out_cap = 0;
}

int db_snippet_make(struct db_snippet *s, const char *const text[], const int bytes[], int columns,
                    char **out) {
    assert(s != NULL && text != NULL && bytes != NULL && out != NULL);
    *out = NULL;
    if (columns < 1 || columns > DB_SNIPPET_MAX_COLUMNS)
        return -1;
    s->token_count = s->instance_count = 0;
    s->forms_len = s->out_len = 0;
    s->written = 0;
    int tok_first[DB_SNIPPET_MAX_COLUMNS + 1], inst_first[DB_SNIPPET_MAX_COLUMNS + 1];
    int rc = -1;
    if (s->phrase_count > 0)
        memset(s->seen, 0, (size_t)s->phrase_count);
    for (int col = 0; col < columns; col++) {
        tok_first[col] = s->token_count;
        if (text[col] != NULL && bytes[col] > 0 &&
            s->fn.xTokenize(s->tok, s, FTS5_TOKENIZE_DOCUMENT, text[col], bytes[col],
                            on_text_token) != SQLITE_OK)
            goto done;
    }
    tok_first[columns] = s->token_count;
    for (int col = 0; col < columns; col++) {
        inst_first[col] = s->instance_count;
        if (find_instances(s, tok_first[col], tok_first[col + 1] - tok_first[col]) != 0)
            goto done;
    }
    inst_first[columns] = s->instance_count;
    /* the implicit AND: every phrase somewhere in the row (and an expression of none matches
     * no row) */
    int matched = s->phrase_count > 0;
    for (int p = 0; p < s->phrase_count && matched; p++)
        matched = s->seen[p];
    if (!matched) {
        rc = 0;
        goto done;
    }

    /* the best window: the first of the highest score, column by column, instance by
     * instance (fts5SnippetFunction) */
    int best_col = 0, best_start = 0, best_score = 0;
    for (int col = 0; col < columns; col++) {
        const struct instance *in = s->instances + inst_first[col];
        int count = inst_first[col + 1] - inst_first[col];
        int size = tok_first[col + 1] - tok_first[col], sentences = -1;
        for (int i = 0; i < count; i++) {
            int io = in[i].offset, adj;
            int score = window_score(s, in, count, io, size, &adj);
            if (score > best_score) {
                best_score = score;
                best_col = col;
                best_start = adj;
            }
            if (size <= DB_SNIPPET_TOKENS)
                continue;
            /* or the window from the start of the instance's sentence */
            if (sentences < 0 &&
                (sentences = find_sentences(s, text[col], s->tokens + tok_first[col], size)) < 0)
                goto done;
            int lo = 0, hi = sentences - 1; /* the last sentence starting at or before io */
            while (lo < hi) {
                int mid = lo + (hi - lo + 1) / 2;
                if (s->sentences[mid] <= io)
                    lo = mid;
                else
                    hi = mid - 1;
            }
            int from = s->sentences[lo];
            if (from < io) {
                score = window_score(s, in, count, from, size, NULL) + (from == 0 ? 120 : 100);
                if (score > best_score) {
                    best_score = score;
                    best_col = col;
                    best_start = from;
                }
            }
        }
    }
    if (text[best_col] != NULL &&
        write_window(s, text[best_col], bytes[best_col], s->tokens + tok_first[best_col],
                     tok_first[best_col + 1] - tok_first[best_col],
                     s->instances + inst_first[best_col],
                     inst_first[best_col + 1] - inst_first[best_col], best_start) != 0)
        goto done;
    if (s->written) {
        *out = malloc(s->out_len + 1);
        if (*out == NULL)
            goto done;
        memcpy(*out, s->out, s->out_len);
        (*out)[s->out_len] = '\0';
    }
    rc = 0;
done:
    trim(s);
    return rc;
}
