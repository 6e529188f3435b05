/* SPDX-License-Identifier: ISC */
/* diag.c: the errors and notices of one config file, each at FILE:LINE:COL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg_internal.h"

/* Takes text (NULL: the allocation failed). */
static void diags_push(struct cfg_ctx *ctx, struct cfg_diags *diags, struct cfg_mark mark,
		       char *text)
{
	if (text && diags->count == diags->capacity) {
		size_t capacity = diags->capacity ? diags->capacity * 2 : 16;
		struct cfg_diag *grown = realloc(diags->items, capacity * sizeof(*grown));

		if (grown) {
			diags->items = grown;
			diags->capacity = capacity;
		}
	}
	if (!text || diags->count == diags->capacity) {
		free(text);
		ctx->oom = 1;
		return;
	}
	diags->items[diags->count++] = (struct cfg_diag){ .mark = mark, .seq = ctx->seq++,
							  .text = text };
}

static char *format_text(const char *fmt, va_list ap)
{
	char *text;

	return vasprintf(&text, fmt, ap) < 0 ? NULL : text;
}

void cfg_error(struct cfg_ctx *ctx, struct cfg_mark mark, const char *fmt, ...)
{
	va_list ap;
	char *text;

	if (ctx->errors.count > CFG_MAX_ERRORS)
		return;
	if (ctx->errors.count == CFG_MAX_ERRORS) {
		if (asprintf(&text, "more than %u errors; the rest are not reported",
			     CFG_MAX_ERRORS) < 0)
			text = NULL;
		diags_push(ctx, &ctx->errors, mark, text);
		ctx->aborted = 1;
		return;
	}
	va_start(ap, fmt);
	text = format_text(fmt, ap);
	va_end(ap);
	diags_push(ctx, &ctx->errors, mark, text);
}

void cfg_notice(struct cfg_ctx *ctx, struct cfg_mark mark, const char *fmt, ...)
{
	va_list ap;
	char *text;

	if (ctx->notices.count >= CFG_MAX_ERRORS)
		return;
	va_start(ap, fmt);
	text = format_text(fmt, ap);
	va_end(ap);
	diags_push(ctx, &ctx->notices, mark, text);
}

static int by_position(const void *a, const void *b)
{
	const struct cfg_diag *x = a, *y = b;

	if (x->mark.line != y->mark.line)
		return x->mark.line < y->mark.line ? -1 : 1;
	if (x->mark.column != y->mark.column)
		return x->mark.column < y->mark.column ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

char *cfg_diags_join(const struct cfg_ctx *ctx, const struct cfg_diags *diags, int notice)
{
	struct cfg_diag *sorted = NULL;
	char *text = NULL;
	size_t text_len = 0;
	FILE *out = open_memstream(&text, &text_len);

	if (!out)
		return NULL;
	if (diags->count) {
		sorted = malloc(diags->count * sizeof(*sorted));
		if (!sorted) {
			fclose(out);
			free(text);
			return NULL;
		}
		memcpy(sorted, diags->items, diags->count * sizeof(*sorted));
		qsort(sorted, diags->count, sizeof(*sorted), by_position);
	}
	/* Line 0: a value without positions (META's JSON, state_meta.c). */
	for (size_t i = 0; i < diags->count; i++) {
		if (sorted[i].mark.line)
			fprintf(out, "%s:%u:%u: ", ctx->file, sorted[i].mark.line,
				sorted[i].mark.column);
		else
			fprintf(out, "%s: ", ctx->file);
		fprintf(out, "%s%s\n", notice ? "notice: " : "", sorted[i].text);
	}
	free(sorted);
	if (fclose(out) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

static void diags_release(struct cfg_diags *diags)
{
	for (size_t i = 0; i < diags->count; i++)
		free(diags->items[i].text);
	free(diags->items);
	memset(diags, 0, sizeof(*diags));
}

void cfg_ctx_release(struct cfg_ctx *ctx)
{
	diags_release(&ctx->errors);
	diags_release(&ctx->notices);
}

void cfg_quote(char *out, size_t out_size, const char *text, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 8 < out_size; i++) {
		unsigned char c = (unsigned char)text[i];

		if (i == 48) {
			o += (size_t)snprintf(out + o, out_size - o, "...");
			break;
		}
		if (c == '"' || c == '\\')
			o += (size_t)snprintf(out + o, out_size - o, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(out + o, out_size - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o < out_size ? o : out_size - 1] = '\0';
}
