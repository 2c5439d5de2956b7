/* Tables in the style calicoctl printed with Python's prettytable:
 *   +------+-----+
 *   | Name | Foo |
 *   +------+-----+
 *   | a    | b   |
 *   +------+-----+                                                         */
#ifndef CALICO_TABLE_H
#define CALICO_TABLE_H

#include <stdio.h>

struct table;

struct table *table_new(int ncols, const char *const headers[]);
/* Copies the ncols cell strings. 0 or -ENOMEM. */
int table_add_row(struct table *t, const char *const cells[]);
void table_print(const struct table *t, FILE *out);
/* The same rows in the style of Calico v3's calicoctl get (Go's tabwriter):
 * no rules, each column padded to its widest cell plus three spaces, no
 * trailing blanks. */
void table_print_plain(const struct table *t, FILE *out);
void table_free(struct table *t);

#endif
