#include "table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct table {
	int ncols;
	size_t nrows, cap;
	char **cells; /* (nrows + 1) * ncols; row 0 is the header */
	size_t *width;
};

struct table *table_new(int ncols, const char *const headers[])
{
	struct table *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->ncols = ncols;
	t->width = calloc((size_t)ncols, sizeof(*t->width));
	if (!t->width || table_add_row(t, headers) < 0) {
		table_free(t);
		return NULL;
	}
	return t;
}

int table_add_row(struct table *t, const char *const cells[])
{
	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 8;
		char **n = realloc(t->cells, cap * (size_t)t->ncols * sizeof(*n));
		if (!n)
			return -ENOMEM;
		t->cells = n;
		t->cap = cap;
	}
	char **row = t->cells + t->nrows * (size_t)t->ncols;
	for (int c = 0; c < t->ncols; c++) {
		row[c] = strdup(cells[c] ? cells[c] : "");
		if (!row[c]) {
			while (c--)
				free(row[c]);
			return -ENOMEM;
		}
		size_t w = strlen(row[c]);
		if (w > t->width[c])
			t->width[c] = w;
	}
	t->nrows++;
	return 0;
}

static void rule_line(const struct table *t, FILE *out)
{
	for (int c = 0; c < t->ncols; c++) {
		fputc('+', out);
		for (size_t i = 0; i < t->width[c] + 2; i++)
			fputc('-', out);
	}
	fputs("+\n", out);
}

static void row_line(const struct table *t, size_t r, FILE *out)
{
	char *const *row = t->cells + r * (size_t)t->ncols;
	for (int c = 0; c < t->ncols; c++) {
		size_t len = strlen(row[c]), pad = t->width[c] - len;
		if (r == 0) {
			/* Headers are centred as prettytable does, with Python's
			 * str.center: the odd space goes left when both the margin
			 * and the width are odd. */
			size_t left = pad / 2 + (pad & t->width[c] & 1);
			fprintf(out, "| %*s%s%*s ", (int)left, "", row[c], (int)(pad - left), "");
		}
		else {
			fprintf(out, "| %s%*s ", row[c], (int)pad, "");
		}
	}
	fputs("|\n", out);
}

void table_print(const struct table *t, FILE *out)
{
	rule_line(t, out);
	row_line(t, 0, out);
	rule_line(t, out);
	for (size_t r = 1; r < t->nrows; r++)
		row_line(t, r, out);
	rule_line(t, out);
}

void table_print_plain(const struct table *t, FILE *out)
{
	for (size_t r = 0; r < t->nrows; r++) {
		char *const *row = t->cells + r * (size_t)t->ncols;
		int last = t->ncols - 1;
		while (last > 0 && !*row[last])
			last--;
		for (int c = 0; c <= last; c++)
			fprintf(out, "%-*s", c < last ? (int)t->width[c] + 3 : 0, row[c]);
		fputc('\n', out);
	}
}

void table_free(struct table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nrows * (size_t)t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->width);
	free(t);
}
