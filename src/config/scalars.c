/* SPDX-License-Identifier: ISC */
/*
 * scalars.c: the text formats of Talos's typed fields, with the error
 * texts of the Go code that reads them:
 *   ByteSize   "-"? humanize.ParseBytes    (types/block/byte_size.go)
 *   Size       a ByteSize, or a PercentageSize when it holds "%" (size.go,
 *              percentage_size.go)
 *   Duration   time.ParseDuration, read by go-yaml from strings only
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg_internal.h"

struct size_unit {
	const char *name;
	uint64_t bytes;
};

#define KI 1024ull
#define K 1000ull

/* humanize's bytesSizeTable. */
static const struct size_unit size_units[] = {
	{ "", 1 }, { "b", 1 },
	{ "k", K }, { "kb", K }, { "ki", KI }, { "kib", KI },
	{ "m", K * K }, { "mb", K * K }, { "mi", KI * KI }, { "mib", KI * KI },
	{ "g", K * K * K }, { "gb", K * K * K }, { "gi", KI * KI * KI }, { "gib", KI * KI * KI },
	{ "t", K * K * K * K }, { "tb", K * K * K * K },
	{ "ti", KI * KI * KI * KI }, { "tib", KI * KI * KI * KI },
	{ "p", K * K * K * K * K }, { "pb", K * K * K * K * K },
	{ "pi", KI * KI * KI * KI * KI }, { "pib", KI * KI * KI * KI * KI },
	{ "e", K * K * K * K * K * K }, { "eb", K * K * K * K * K * K },
	{ "ei", KI * KI * KI * KI * KI * KI }, { "eib", KI * KI * KI * KI * KI * KI },
};

static int is_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* strconv.ParseFloat over a run of digits and dots (commas removed). */
static int parse_digits_float(const char *number, double *out, char *msg, size_t msg_size)
{
	size_t dots = 0, digits = 0, len = strlen(number);

	for (size_t i = 0; i < len; i++)
		number[i] == '.' ? dots++ : digits++;
	if (dots > 1 || digits == 0) {
		snprintf(msg, msg_size, "strconv.ParseFloat: parsing \"%.64s\": invalid syntax", number);
		return -1;
	}
	*out = strtod(number, NULL);
	if (isinf(*out)) {
		snprintf(msg, msg_size, "strconv.ParseFloat: parsing \"%.64s\": value out of range",
			 number);
		return -1;
	}
	return 0;
}

static int size_unit_bytes(const char *text, uint64_t *bytes)
{
	char unit[8];
	size_t len = strlen(text);

	while (len && is_space(text[len - 1]))
		len--;
	while (len && is_space(*text)) {
		text++;
		len--;
	}
	if (len >= sizeof(unit))
		return -1;
	for (size_t i = 0; i < len; i++)
		unit[i] = (char)(text[i] >= 'A' && text[i] <= 'Z' ? text[i] | 0x20 : text[i]);
	unit[len] = '\0';
	for (size_t i = 0; i < sizeof(size_units) / sizeof(size_units[0]); i++) {
		if (strcmp(unit, size_units[i].name) == 0) {
			*bytes = size_units[i].bytes;
			return 0;
		}
	}
	return -1;
}

/* The leading run of digits, dots and commas, without the commas. */
static char *leading_number(const char *text, size_t *run)
{
	char *number;
	size_t n = 0;

	*run = strspn(text, "0123456789.,");
	number = malloc(*run + 1);
	if (!number)
		return NULL;
	for (size_t i = 0; i < *run; i++)
		if (text[i] != ',')
			number[n++] = text[i];
	number[n] = '\0';
	return number;
}

static void unhandled_unit(const char *tail, char *msg, size_t msg_size)
{
	char extra[80];
	size_t i = 0;

	while (is_space(*tail))
		tail++;
	for (; tail[i] && i + 1 < sizeof(extra); i++)
		extra[i] = (char)(tail[i] >= 'A' && tail[i] <= 'Z' ? tail[i] | 0x20 : tail[i]);
	while (i && is_space(extra[i - 1]))
		i--;
	extra[i] = '\0';
	snprintf(msg, msg_size, "unhandled size name: %s", extra);
}

/* humanize.ParseBytes (v1.0.1): a number of digits, dots and commas,
 * then a unit. */
static int parse_bytes(const char *text, uint64_t *value, char *msg, size_t msg_size)
{
	size_t run;
	char *number = leading_number(text, &run);
	uint64_t unit;
	double f;
	int r;

	if (!number)
		return -ENOMEM;
	r = parse_digits_float(number, &f, msg, msg_size);
	free(number);
	if (r < 0)
		return -1;
	if (size_unit_bytes(text + run, &unit) < 0) {
		unhandled_unit(text + run, msg, msg_size);
		return -1;
	}
	f *= (double)unit;
	if (f >= 18446744073709551616.0) {
		snprintf(msg, msg_size, "too large: %.64s", text);
		return -1;
	}
	*value = (uint64_t)f;
	return 0;
}

static int keep_raw(struct cfg_size *out, const char *text)
{
	free(out->raw);
	out->raw = strdup(text);
	return out->raw ? 0 : -ENOMEM;
}

int cfg_parse_byte_size(const char *text, struct cfg_size *out, char *msg, size_t msg_size)
{
	int negative = text[0] == '-';
	uint64_t value;
	int r;

	if (text[0] == '\0')
		return 0;
	r = parse_bytes(text + negative, &value, msg, msg_size);
	if (r < 0)
		return r;
	if (keep_raw(out, text) < 0)
		return -ENOMEM;
	out->set = 1;
	out->negative = negative;
	out->relative = 0;
	out->value = value;
	return 0;
}

/* Go's %v of a float64: the shortest digits that read back, in %e form
 * when the exponent is below -4 or at least 21. */
static void go_float_text(double v, char *out, size_t out_size)
{
	char buf[64];
	int precision = 0, exponent;

	if (isnan(v) || isinf(v)) {
		snprintf(out, out_size, "%s", isnan(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf");
		return;
	}
	for (; precision < 17; precision++) {
		snprintf(buf, sizeof(buf), "%.*e", precision, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	exponent = atoi(strchr(buf, 'e') + 1);
	if (exponent < -4 || exponent >= 21)
		snprintf(out, out_size, "%s", buf);
	else
		snprintf(out, out_size, "%.*f", precision > exponent ? precision - exponent : 0, v);
}

/* strconv.ParseFloat, closely enough: no leading space, all consumed. */
static int parse_go_float(const char *text, double *out)
{
	char *end;

	if (!*text || is_space(*text) || strchr(text, '('))
		return -1;
	errno = 0;
	*out = strtod(text, &end);
	return *end ? -1 : 0;
}

static int parse_percentage(const char *text, struct cfg_size *out, char *msg, size_t msg_size)
{
	size_t len = strlen(text);
	int negative = text[0] == '-';
	char number[80], quoted[80];
	double value;

	if (len == 0 || text[len - 1] != '%') {
		snprintf(msg, msg_size, "percentage must end with '%%'");
		return -1;
	}
	snprintf(number, sizeof(number), "%.*s", (int)(len - 1 - (size_t)negative), text + negative);
	if (len - 1 - (size_t)negative >= sizeof(number) || parse_go_float(number, &value) < 0) {
		cfg_quote(quoted, sizeof(quoted), text + negative, len - 1 - (size_t)negative);
		snprintf(msg, msg_size,
			 "invalid percentage value: strconv.ParseFloat: parsing \"%s\": invalid syntax",
			 quoted);
		return -1;
	}
	if (!(value >= 0 && value <= 100)) {
		go_float_text(value, number, sizeof(number));
		snprintf(msg, msg_size, "percentage must be between 0 and 100, got %s", number);
		return -1;
	}
	if (keep_raw(out, text) < 0)
		return -ENOMEM;
	*out = (struct cfg_size){ .set = 1, .negative = negative, .relative = 1,
				  .value = (uint64_t)value, .raw = out->raw, .mark = out->mark };
	return 0;
}

int cfg_parse_size(const char *text, struct cfg_size *out, char *msg, size_t msg_size)
{
	if (text[0] == '\0')
		return 0;
	if (strchr(text, '%'))
		return parse_percentage(text, out, msg, msg_size);
	return cfg_parse_byte_size(text, out, msg, msg_size);
}

/* ---- time.ParseDuration ---- */

struct duration_unit {
	const char *name;
	uint64_t ns;
};

static const struct duration_unit duration_units[] = {
	{ "ns", 1 }, { "us", 1000 }, { "\xc2\xb5s", 1000 }, { "\xce\xbcs", 1000 },
	{ "ms", 1000000 }, { "s", 1000000000ull }, { "m", 60000000000ull },
	{ "h", 3600000000000ull },
};

static uint64_t duration_unit_ns(const char *unit, size_t len)
{
	for (size_t i = 0; i < sizeof(duration_units) / sizeof(duration_units[0]); i++)
		if (strlen(duration_units[i].name) == len && memcmp(duration_units[i].name, unit, len) == 0)
			return duration_units[i].ns;
	return 0;
}

/* One "[0-9]*(\.[0-9]*)?unit" term, added to *total.  Returns the bytes
 * consumed, 0 for an invalid duration, -1 for a missing unit and -2 for
 * an unknown one (its text in unit). */
static long duration_term(const char *s, uint64_t *total, char *unit, size_t unit_size)
{
	const char *p = s, *unit_start;
	uint64_t whole = 0, frac = 0, term, ns;
	double scale = 1;
	int pre, post = 0;

	for (; *p >= '0' && *p <= '9'; p++) {
		if (whole > (1ull << 63) / 10)
			return 0;
		whole = whole * 10 + (uint64_t)(*p - '0');
	}
	pre = p != s;
	if (*p == '.') {
		const char *digits = ++p;

		/* Digits past what a uint64 holds are read and ignored, as Go does. */
		for (; *p >= '0' && *p <= '9'; p++) {
			if (frac > (1ull << 63) / 10 || scale > 1e18)
				continue;
			frac = frac * 10 + (uint64_t)(*p - '0');
			scale *= 10;
		}
		post = p != digits;
	}
	if (!pre && !post)
		return 0;
	for (unit_start = p; *p && *p != '.' && !(*p >= '0' && *p <= '9'); p++)
		;
	if (p == unit_start)
		return -1;
	snprintf(unit, unit_size, "%.*s", (int)(p - unit_start), unit_start);
	ns = duration_unit_ns(unit_start, (size_t)(p - unit_start));
	if (!ns)
		return -2;
	if (whole > (1ull << 63) / ns)
		return 0;
	term = whole * ns + (frac ? (uint64_t)((double)frac * ((double)ns / scale)) : 0);
	if (term > 1ull << 63 || *total + term > 1ull << 63)
		return 0;
	*total += term;
	return p - s;
}

int cfg_parse_duration(const char *text, int64_t *ns, char *msg, size_t msg_size)
{
	const char *s = text + (text[0] == '-' || text[0] == '+');
	int negative = text[0] == '-';
	char quoted[80], unit[64], quoted_unit[80];
	uint64_t total = 0;
	long n = 0;

	cfg_quote(quoted, sizeof(quoted), text, strlen(text));
	if (strcmp(s, "0") == 0) {
		*ns = 0;
		return 0;
	}
	while (*s && (*s == '.' || (*s >= '0' && *s <= '9'))) {
		n = duration_term(s, &total, unit, sizeof(unit));
		if (n <= 0)
			break;
		s += n;
	}
	if (n == -1) {
		snprintf(msg, msg_size, "time: missing unit in duration \"%s\"", quoted);
		return -1;
	}
	if (n == -2) {
		cfg_quote(quoted_unit, sizeof(quoted_unit), unit, strlen(unit));
		snprintf(msg, msg_size, "time: unknown unit \"%s\" in duration \"%s\"", quoted_unit,
			 quoted);
		return -1;
	}
	if (n == 0 || *s || s == text + (text[0] == '-' || text[0] == '+') ||
	    (!negative && total > (uint64_t)INT64_MAX)) {
		snprintf(msg, msg_size, "time: invalid duration \"%s\"", quoted);
		return -1;
	}
	*ns = negative ? (int64_t)(0 - total) : (int64_t)total;
	return 0;
}

/* ---- getters ---- */

/* Sizes implement encoding.TextUnmarshaler: go-yaml hands them the text
 * of any scalar, and a null leaves them zero. */
static const char *size_text(struct cfg_ctx *ctx, const struct cfg_node *value)
{
	if (value->type != CFG_NODE_SCALAR) {
		cfg_type_error(ctx, value, "size");
		return NULL;
	}
	if (cfg_is_null(value))
		return NULL;
	if (memchr(value->value, '\0', value->len)) {
		cfg_error(ctx, value->mark, "%s: the string holds a NUL byte", ctx->path);
		return NULL;
	}
	return value->value;
}

static void get_any_size(struct cfg_ctx *ctx, const struct cfg_node *value, struct cfg_size *out,
			 int (*parse)(const char *, struct cfg_size *, char *, size_t))
{
	const char *text = size_text(ctx, value);
	char msg[200];
	int r;

	out->mark = value->mark;
	if (!text)
		return;
	r = parse(text, out, msg, sizeof(msg));
	if (r == -ENOMEM)
		ctx->oom = 1;
	else if (r < 0)
		cfg_error(ctx, value->mark, "%s: %s", ctx->path, msg);
}

void cfg_get_byte_size(struct cfg_ctx *ctx, const struct cfg_node *value, struct cfg_size *out)
{
	get_any_size(ctx, value, out, cfg_parse_byte_size);
}

void cfg_get_size(struct cfg_ctx *ctx, const struct cfg_node *value, struct cfg_size *out)
{
	get_any_size(ctx, value, out, cfg_parse_size);
}

void cfg_get_duration(struct cfg_ctx *ctx, const struct cfg_node *value, struct cfg_duration *out)
{
	char msg[200], text[80];

	out->mark = value->mark;
	if (cfg_is_null(value))
		return;
	if (value->type != CFG_NODE_SCALAR || value->scalar_type != CFG_SCALAR_STR ||
	    memchr(value->value, '\0', value->len)) {
		cfg_type_error(ctx, value, "time.Duration");
		return;
	}
	if (cfg_parse_duration(value->value, &out->ns, msg, sizeof(msg)) < 0) {
		cfg_quote(text, sizeof(text), value->value, value->len);
		cfg_error(ctx, value->mark, "%s: cannot unmarshal !!str `%s` into time.Duration (%s)",
			  ctx->path, text, msg);
		return;
	}
	free(out->raw);
	out->raw = strdup(value->value);
	if (!out->raw)
		ctx->oom = 1;
	out->set = out->raw != NULL;
}
