/* SPDX-License-Identifier: ISC */
/* diag.c: the errors and notices of one config file, each at FILE:LINE:COL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"
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
		cfg_escape(out, ctx->file);
		if (sorted[i].mark.line)
			fprintf(out, ":%u:%u", sorted[i].mark.line, sorted[i].mark.column);
		fprintf(out, ": %s", notice ? "notice: " : "");
		cfg_escape(out, sorted[i].text);
		fputc('\n', out);
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

/* How many bytes at p may be printed as they are: a printable ASCII byte
 * other than the backslash, or a UTF-8 sequence that is not a C1 control
 * (U+0080..U+009F, 8-bit CSI among them); 0 when p[0] must be escaped. */
static size_t printable_run(const unsigned char *p, size_t len)
{
	size_t n;

	if (p[0] < 0x80)
		return p[0] >= 0x20 && p[0] != 0x7f && p[0] != '\\';
	n = lv_utf8_sequence(p, len);
	return n == 2 && p[0] == 0xc2 && p[1] <= 0x9f ? 0 : n;
}

void cfg_escape(FILE *out, const char *text)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t len = strlen(text), n;

	for (size_t i = 0; i < len; i += n) {
		n = printable_run(p + i, len - i);
		if (n)
			fwrite(p + i, 1, n, out);
		else if (p[i] == '\\')
			fputs("\\\\", out);
		else
			fprintf(out, "\\x%02x", p[i]);
		n = n ? n : 1;
	}
}

void cfg_quote(char *out, size_t out_size, const char *text, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 8 < out_size; i++) {
		if (i == 48) {
			o += (size_t)snprintf(out + o, out_size - o, "...");
			break;
		}
		if (text[i] == '"')
			out[o++] = '\\';
		out[o++] = text[i];
	}
	out[o < out_size ? o : out_size - 1] = '\0';
}
