/* SPDX-License-Identifier: ISC */
/*
 * walk.c: reads the node tree against field tables.  Every key must be a
 * known field and appear once; every value must have its field's type.
 * Messages name the full path ("encryption.keys[1].slot"), as go-yaml's
 * strict decoding would reject the same input.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/ascii.h"
#include "config/cfg_internal.h"

#define MAX_FIELDS 16

const char *cfg_tag_name(const struct cfg_node *node)
{
	static const char *const scalar_tags[] = { "!!null", "!!bool", "!!int", "!!float", "!!str" };

	switch (node->type) {
	case CFG_NODE_MAPPING: return "!!map";
	case CFG_NODE_SEQUENCE: return "!!seq";
	case CFG_NODE_SCALAR: return scalar_tags[node->scalar_type];
	default: return "!!alias";
	}
}

/* Counts every node a walk reaches, so aliases that repeat a large node
 * many times cost a bounded walk. */
static int visit(struct cfg_ctx *ctx, const struct cfg_node *node)
{
	if (ctx->aborted)
		return 0;
	if (++ctx->visits > CFG_MAX_VISITS) {
		cfg_error(ctx, node->mark, "aliases expand the document to more than %u nodes",
			  CFG_MAX_VISITS);
		ctx->aborted = 1;
		return 0;
	}
	return 1;
}

const struct cfg_node *cfg_deref(struct cfg_ctx *ctx, const struct cfg_node *node)
{
	/* An alias names a node that is not an alias; the loop is bounded by
	 * the budget all the same. */
	while (node && node->type == CFG_NODE_ALIAS) {
		if (!visit(ctx, node))
			return NULL;
		node = node->target;
	}
	return node;
}

int cfg_is_null(const struct cfg_node *node)
{
	return node->type == CFG_NODE_SCALAR && node->scalar_type == CFG_SCALAR_NULL;
}

size_t cfg_path_push(struct cfg_ctx *ctx, const char *fmt, ...)
{
	size_t saved = ctx->path_len;
	size_t room = sizeof(ctx->path) - ctx->path_len;
	va_list ap;
	int n;

	if (fmt[0] != '[' && ctx->path_len && room > 1) {
		ctx->path[ctx->path_len++] = '.';
		room--;
	}
	va_start(ap, fmt);
	n = vsnprintf(ctx->path + ctx->path_len, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		ctx->path_len += (size_t)n < room ? (size_t)n : room - 1;
	return saved;
}

void cfg_path_pop(struct cfg_ctx *ctx, size_t saved)
{
	ctx->path_len = saved;
	ctx->path[saved] = '\0';
}

void cfg_type_error(struct cfg_ctx *ctx, const struct cfg_node *node, const char *type)
{
	char value[80];

	if (node->type != CFG_NODE_SCALAR) {
		cfg_error(ctx, node->mark, "%s: cannot unmarshal %s into %s", ctx->path,
			  cfg_tag_name(node), type);
		return;
	}
	cfg_quote(value, sizeof(value), node->value, node->len);
	cfg_error(ctx, node->mark, "%s: cannot unmarshal %s `%s` into %s", ctx->path,
		  cfg_tag_name(node), value, type);
}

void cfg_type_error_hidden(struct cfg_ctx *ctx, const struct cfg_node *node, const char *type)
{
	cfg_error(ctx, node->mark, "%s: cannot unmarshal %s into %s", ctx->path, cfg_tag_name(node),
		  type);
}

static int find_field(const struct cfg_field *fields, size_t count, const struct cfg_node *key)
{
	for (size_t i = 0; i < count; i++)
		if (strlen(fields[i].name) == key->len && memcmp(fields[i].name, key->value, key->len) == 0)
			return (int)i;
	return -1;
}

static void unknown_key(struct cfg_ctx *ctx, const struct cfg_node *key)
{
	char name[80];

	if (key->type != CFG_NODE_SCALAR) {
		cfg_error(ctx, key->mark, "%s%sunsupported %s mapping key", ctx->path,
			  ctx->path_len ? ": " : "", cfg_tag_name(key));
		return;
	}
	cfg_quote(name, sizeof(name), key->value, key->len);
	cfg_error(ctx, key->mark, "unknown key \"%s%s%s\"", ctx->path, ctx->path_len ? "." : "",
		  name);
}

static void walk_pair(struct cfg_ctx *ctx, const struct cfg_node *key, const struct cfg_node *value,
		      const struct cfg_field *fields, size_t field_count,
		      const struct cfg_node **seen, void *target)
{
	int i = key->type == CFG_NODE_SCALAR ? find_field(fields, field_count, key) : -1;
	size_t saved;

	if (i < 0) {
		unknown_key(ctx, key);
		return;
	}
	if (seen[i]) {
		cfg_error(ctx, key->mark, "mapping key \"%s\" already defined at line %u",
			  fields[i].name, seen[i]->mark.line);
		return;
	}
	seen[i] = key;
	value = cfg_deref(ctx, value);
	if (!value)
		return;
	saved = cfg_path_push(ctx, "%s", fields[i].name);
	fields[i].parse(ctx, key, value, target);
	cfg_path_pop(ctx, saved);
}

int cfg_walk_mapping(struct cfg_ctx *ctx, const struct cfg_node *node,
		     const struct cfg_field *fields, size_t field_count, void *target)
{
	const struct cfg_node *seen[MAX_FIELDS] = { 0 };

	node = cfg_deref(ctx, node);
	if (!node || cfg_is_null(node))
		return 0;
	if (node->type != CFG_NODE_MAPPING) {
		cfg_type_error(ctx, node, "map");
		return 0;
	}
	for (size_t i = 0; i + 1 < node->count && !ctx->aborted; i += 2) {
		const struct cfg_node *key = cfg_deref(ctx, node->items[i]);

		if (key && visit(ctx, key))
			walk_pair(ctx, key, node->items[i + 1], fields,
				  field_count < MAX_FIELDS ? field_count : MAX_FIELDS, seen, target);
	}
	return 1;
}

long cfg_walk_sequence(struct cfg_ctx *ctx, const struct cfg_node *node, const char *type,
		       cfg_item_fn item, void *target)
{
	node = cfg_deref(ctx, node);
	if (!node || cfg_is_null(node))
		return 0;
	if (node->type != CFG_NODE_SEQUENCE) {
		cfg_type_error(ctx, node, type);
		return -1;
	}
	for (size_t i = 0; i < node->count && !ctx->aborted; i++) {
		const struct cfg_node *element = cfg_deref(ctx, node->items[i]);
		size_t saved;

		if (!element || !visit(ctx, element))
			break;
		saved = cfg_path_push(ctx, "[%zu]", i);
		item(ctx, i, element, target);
		cfg_path_pop(ctx, saved);
	}
	return (long)node->count;
}

void cfg_section_mark(struct cfg_section *section, const struct cfg_node *key,
		      const struct cfg_node *value)
{
	section->mark = key->mark;
	section->present = value->type == CFG_NODE_MAPPING;
}

void cfg_walk_section(struct cfg_ctx *ctx, const struct cfg_node *key, const struct cfg_node *value,
		      struct cfg_section *section, const struct cfg_field *fields,
		      size_t field_count, void *target)
{
	size_t errors = ctx->errors.count;

	cfg_section_mark(section, key, value);
	cfg_walk_mapping(ctx, value, fields, field_count, target);
	section->decode_errors = ctx->errors.count != errors;
}

/* ---- typed scalars ---- */

/* go-yaml reads YAML 1.1 yes/no/on/off only into a bool field. */
static int bool_word(const struct cfg_node *node, int *value)
{
	static const char *const yes[] = { "y", "Y", "yes", "Yes", "YES", "on", "On", "ON" };
	static const char *const no[] = { "n", "N", "no", "No", "NO", "off", "Off", "OFF" };

	for (size_t i = 0; i < 8; i++) {
		if (strcmp(node->value, yes[i]) == 0 || strcmp(node->value, no[i]) == 0) {
			*value = strcmp(node->value, yes[i]) == 0;
			return 1;
		}
	}
	return 0;
}

void cfg_get_bool(struct cfg_ctx *ctx, const struct cfg_node *value, struct cfg_bool *out)
{
	out->mark = value->mark;
	if (cfg_is_null(value))
		return;
	if (value->type == CFG_NODE_SCALAR && value->scalar_type == CFG_SCALAR_BOOL) {
		out->set = 1;
		out->value = (value->value[0] | 0x20) == 't';
		return;
	}
	if (value->type == CFG_NODE_SCALAR && value->plain && bool_word(value, &out->value)) {
		out->set = 1;
		return;
	}
	cfg_type_error(ctx, value, "bool");
}

/* An !!int scalar: sign, optional 0x/0o/0b prefix, '_' separators. */
static int parse_int_text(const char *text, int *negative, uint64_t *magnitude)
{
	int base = 10;
	uint64_t value = 0;
	const char *p = text;

	*negative = *p == '-';
	if (*p == '-' || *p == '+')
		p++;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'o' || p[1] == 'b')) {
		base = p[1] == 'x' ? 16 : p[1] == 'o' ? 8 : 2;
		p += 2;
	}
	for (; *p; p++) {
		int c = *p, digit;

		if (c == '_')
			continue;
		digit = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
		if (value > (UINT64_MAX - (uint64_t)digit) / (uint64_t)base)
			return -1;
		value = value * (uint64_t)base + (uint64_t)digit;
	}
	*magnitude = value;
	return 0;
}

void cfg_get_int(struct cfg_ctx *ctx, const struct cfg_node *value, struct cfg_int *out)
{
	uint64_t magnitude;
	int negative;

	out->mark = value->mark;
	if (cfg_is_null(value))
		return;
	if (value->type != CFG_NODE_SCALAR || value->scalar_type != CFG_SCALAR_INT ||
	    parse_int_text(value->value, &negative, &magnitude) < 0 ||
	    magnitude > (uint64_t)INT64_MAX + (uint64_t)negative) {
		cfg_type_error(ctx, value, "int");
		return;
	}
	out->set = 1;
	out->value = negative ? (int64_t)(0 - magnitude) : (int64_t)magnitude;
}

void cfg_get_uint(struct cfg_ctx *ctx, const struct cfg_node *value, struct cfg_uint *out)
{
	uint64_t magnitude;
	int negative;

	out->mark = value->mark;
	if (cfg_is_null(value))
		return;
	if (value->type != CFG_NODE_SCALAR || value->scalar_type != CFG_SCALAR_INT ||
	    parse_int_text(value->value, &negative, &magnitude) < 0 || (negative && magnitude)) {
		cfg_type_error(ctx, value, "uint");
		return;
	}
	out->set = 1;
	out->value = magnitude;
}

/* go-yaml reads any non-null scalar into a string field. */
static int string_scalar(struct cfg_ctx *ctx, const struct cfg_node *value)
{
	if (value->type != CFG_NODE_SCALAR) {
		cfg_type_error(ctx, value, "string");
		return 0;
	}
	return !cfg_is_null(value);
}

void cfg_get_string(struct cfg_ctx *ctx, const struct cfg_node *value, struct cfg_string *out)
{
	out->mark = value->mark;
	if (!string_scalar(ctx, value))
		return;
	if (memchr(value->value, '\0', value->len)) {
		cfg_error(ctx, value->mark, "%s: the string holds a NUL byte", ctx->path);
		return;
	}
	free(out->value);
	out->value = strdup(value->value);
	if (!out->value)
		ctx->oom = 1;
}

void cfg_get_secret(struct cfg_ctx *ctx, const struct cfg_node *value, struct lv_secret **out,
		    struct cfg_mark *mark)
{
	*mark = value->mark;
	if (!string_scalar(ctx, value) || value->len == 0)
		return;
	lv_secret_free(out);
	*out = lv_secret_dup(value->value, value->len);
	if (!*out)
		ctx->oom = 1;
}

void cfg_get_enum(struct cfg_ctx *ctx, const struct cfg_node *value, const char *const *names,
		  size_t name_count, const char *type_name, struct cfg_enum *out)
{
	char text[80];

	out->mark = value->mark;
	if (!string_scalar(ctx, value))
		return;
	for (size_t i = 0; i < name_count; i++) {
		if (strlen(names[i]) == value->len && lv_ascii_caseeq(names[i], value->value)) {
			out->set = 1;
			out->value = (int)i;
			return;
		}
	}
	cfg_quote(text, sizeof(text), value->value, value->len);
	cfg_error(ctx, value->mark, "%s: %s does not belong to %s values", ctx->path, text, type_name);
}
