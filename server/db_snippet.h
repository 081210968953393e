/* db_snippet.h: a search hit's snippet computed in C, byte for byte what FTS5's
 * snippet(table, -1, DB_SEARCH_OPEN, DB_SEARCH_CLOSE, DB_SNIPPET_ELLIPSIS, DB_SNIPPET_TOKENS)
 * gives for the row, from the row's column texts and the query's match expression, with
 * FTS5's own tokenizer but without an FTS5 table to run it in (see db_snippet.c). */
#ifndef PLENARY_DB_SNIPPET_H
#define PLENARY_DB_SNIPPET_H

#include <sqlite3.h>

/* The snippet's length, in tokens, as FTS5's snippet() takes it (its fifth argument). */
#define DB_SNIPPET_TOKENS 12
/* What stands for text left out before or after the snippet (snippet()'s fourth argument). */
#define DB_SNIPPET_ELLIPSIS "…"
/* Most columns of a row. */
#define DB_SNIPPET_MAX_COLUMNS 16

/* A tokenizer (unicode61 remove_diacritics 2, as the search tables are made), the phrases of
 * one query, and buffers reused from row to row. One per connection; not thread-safe. */
struct db_snippet;

/* Makes the state with the tokenizer of the connection whose FTS5 API this is. The state
 * does not keep api, but must be freed before the connection closes (its tokenizer is the
 * connection's FTS5's). Returns it (free with db_snippet_free), or NULL. */
struct db_snippet *db_snippet_new(fts5_api *api);

/* Frees the state and deletes its tokenizer (NULL is a no-op). */
void db_snippet_free(struct db_snippet *s);

/* Reads the match expression whose snippets the next db_snippet_make calls make: phrases in
 * double quotes (a quote doubled inside), separated by spaces (an implicit AND), the last
 * optionally followed by '*' (a prefix phrase) — what res_search.c builds. Each phrase is
 * tokenized as FTS5 tokenizes it; a phrase without a token is dropped, as FTS5 drops it from
 * an implicit AND. Returns 0, or -1 when the expression has another form or memory runs out. */
int db_snippet_query(struct db_snippet *s, const char *match);

/* The snippet of a row whose `columns` indexed columns hold text[i] (bytes[i] bytes; NULL
 * for SQL NULL), for the expression of the last db_snippet_query: *out gets a new string
 * (caller frees), or NULL when the row does not match the expression (FTS5 would not have
 * returned it). Returns 0, or -1 when memory runs out or the tokenizer fails. */
int db_snippet_make(struct db_snippet *s, const char *const text[], const int bytes[], int columns,
                    char **out);

#endif
