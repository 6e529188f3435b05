/* SPDX-License-Identifier: ISC */
/*
 * yaml_tree.c: a YAML stream, read with libyaml's event API, as a tree of
 * cfg_node.  Building the tree ourselves (rather than with yaml_parser_load)
 * lets us cap nesting, node and anchor counts before memory grows, and keep
 * every scalar's bytes in locked memory: a static passphrase is one of them.
 * libyaml's own copies are wiped where we can reach them (its input
 * buffers, each event's value); its scanner's scratch strings are not.
 *
 * Aliases stay references to their anchor's node; cfg_deref() follows them
 * and counts visits, so an alias bomb costs a bounded walk, not memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config/cfg_internal.h"
#include "base/secret.h"

#define ARENA_CHUNK_BYTES 4096u

/* Scalar bytes live in lv_secret chunks: mlocked, out of core dumps,
 * wiped when freed. */
struct cfg_arena {
	struct lv_secret **chunks;
	size_t count;
	size_t capacity;
	size_t used;			/* bytes used in the last chunk */
};

struct anchor {
	char *name;
	struct cfg_node *node;
};

struct builder {
	struct cfg_ctx *ctx;
	struct cfg_tree *tree;
	const uint8_t *input;
	size_t input_len;
	struct cfg_node *stack[CFG_MAX_DEPTH];
	size_t depth;
	struct anchor anchors[CFG_MAX_ANCHORS];
	size_t anchor_count;
};

static int grow_array(void **items, size_t *capacity, size_t needed, size_t item_size)
{
	size_t new_capacity;
	void *grown;

	if (needed <= *capacity)
		return 0;
	new_capacity = *capacity ? *capacity * 2 : 8;
	while (new_capacity < needed)
		new_capacity *= 2;
	grown = realloc(*items, new_capacity * item_size);
	if (!grown)
		return -ENOMEM;
	*items = grown;
	*capacity = new_capacity;
	return 0;
}

static char *arena_copy(struct cfg_arena *arena, const void *src, size_t len)
{
	struct lv_secret *chunk = arena->count ? arena->chunks[arena->count - 1] : NULL;
	char *dst;

	if (!chunk || chunk->len - arena->used < len + 1) {
		/* Chunks double (up to 1 MiB): a small file costs one page. */
		size_t size = ARENA_CHUNK_BYTES << (arena->count < 8 ? arena->count : 8);

		if (size < len + 1)
			size = len + 1;

		if (grow_array((void **)&arena->chunks, &arena->capacity, arena->count + 1,
			       sizeof(*arena->chunks)) < 0)
			return NULL;
		chunk = lv_secret_new(size);
		if (!chunk)
			return NULL;
		arena->chunks[arena->count++] = chunk;
		arena->used = 0;
	}
	dst = (char *)chunk->bytes + arena->used;
	if (len)
		memcpy(dst, src, len);
	dst[len] = '\0';
	arena->used += len + 1;
	return dst;
}

static void arena_free(struct cfg_arena *arena)
{
	if (!arena)
		return;
	for (size_t i = 0; i < arena->count; i++)
		lv_secret_free(&arena->chunks[i]);
	free(arena->chunks);
	free(arena);
}

static int match_any(const char *text, size_t len, const char *const *words, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (strlen(words[i]) == len && memcmp(text, words[i], len) == 0)
			return 1;
	return 0;
}

static int digits_of_base(const char *p, const char *end, int base)
{
	size_t digits = 0;

	for (; p < end; p++) {
		int c = *p, ok;

		if (c == '_')
			continue;
		if (base == 16)
			ok = (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
		else
			ok = c >= '0' && c < '0' + base;
		if (!ok)
			return 0;
		digits++;
	}
	return digits > 0;
}

/* [-+]? then 0x.., 0o.., 0b.. or decimal digits; '_' separators allowed. */
static int looks_int(const char *p, size_t len)
{
	const char *end = p + len;

	if (p < end && (*p == '-' || *p == '+'))
		p++;
	if (end - p > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'o' || p[1] == 'b'))
		return digits_of_base(p + 2, end, p[1] == 'x' ? 16 : p[1] == 'o' ? 8 : 2);
	return *p != '_' && digits_of_base(p, end, 10);
}

static size_t skip_digits(const char *p, const char *end)
{
	const char *start = p;

	while (p < end && *p >= '0' && *p <= '9')
		p++;
	return (size_t)(p - start);
}

/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?, or .inf/.nan. */
static int looks_float(const char *p, size_t len)
{
	static const char *const special[] = { ".inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN" };
	const char *end = p + len;
	size_t whole, frac = 0;

	if (p < end && (*p == '-' || *p == '+'))
		p++;
	if (match_any(p, (size_t)(end - p), special, 6))
		return 1;
	whole = skip_digits(p, end);
	p += whole;
	if (p < end && *p == '.') {
		frac = skip_digits(p + 1, end);
		p += 1 + frac;
	}
	if (whole == 0 && frac == 0)
		return 0;
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '-' || *p == '+'))
			p++;
		if (skip_digits(p, end) == 0)
			return 0;
		p += skip_digits(p, end);
	}
	return p == end;
}

enum cfg_scalar_type cfg_resolve_plain(const char *text, size_t len)
{
	static const char *const nulls[] = { "~", "null", "Null", "NULL" };
	static const char *const bools[] = { "true", "True", "TRUE", "false", "False", "FALSE" };

	if (len == 0 || match_any(text, len, nulls, 4))
		return CFG_SCALAR_NULL;
	if (match_any(text, len, bools, 6))
		return CFG_SCALAR_BOOL;
	if (looks_int(text, len))
		return CFG_SCALAR_INT;
	if (looks_float(text, len))
		return CFG_SCALAR_FLOAT;
	return CFG_SCALAR_STR;
}

static struct cfg_mark mark_of(const yaml_mark_t *mark)
{
	return (struct cfg_mark){ .line = (unsigned)mark->line + 1,
				  .column = (unsigned)mark->column + 1 };
}

static struct cfg_node *new_node(struct builder *b, enum cfg_node_type type,
				 const yaml_event_t *event)
{
	struct cfg_tree *tree = b->tree;
	struct cfg_node *node;

	if (tree->node_count >= CFG_MAX_NODES) {
		cfg_error(b->ctx, mark_of(&event->start_mark),
			  "the file has more than %u YAML nodes", CFG_MAX_NODES);
		return NULL;
	}
	if (grow_array((void **)&tree->nodes, &tree->node_capacity, tree->node_count + 1,
		       sizeof(*tree->nodes)) < 0)
		return NULL;
	node = calloc(1, sizeof(*node));
	if (!node)
		return NULL;
	node->type = type;
	node->mark = mark_of(&event->start_mark);
	tree->nodes[tree->node_count++] = node;
	return node;
}

static int attach(struct builder *b, struct cfg_node *node)
{
	struct cfg_node *parent;

	if (b->depth == 0) {
		struct cfg_tree *tree = b->tree;

		if (grow_array((void **)&tree->docs, &tree->doc_capacity, tree->doc_count + 1,
			       sizeof(*tree->docs)) < 0)
			return -ENOMEM;
		tree->docs[tree->doc_count++] = node;
		return 0;
	}
	parent = b->stack[b->depth - 1];
	if (grow_array((void **)&parent->items, &parent->capacity, parent->count + 1,
		       sizeof(*parent->items)) < 0)
		return -ENOMEM;
	parent->items[parent->count++] = node;
	return 0;
}

static int add_anchor(struct builder *b, const yaml_char_t *name, struct cfg_node *node,
		      const yaml_event_t *event)
{
	if (!name)
		return 0;
	if (b->anchor_count == CFG_MAX_ANCHORS) {
		cfg_error(b->ctx, mark_of(&event->start_mark),
			  "the document has more than %u anchors", CFG_MAX_ANCHORS);
		return -EINVAL;
	}
	b->anchors[b->anchor_count].name = strdup((const char *)name);
	if (!b->anchors[b->anchor_count].name)
		return -ENOMEM;
	b->anchors[b->anchor_count++].node = node;
	return 0;
}

static void clear_anchors(struct builder *b)
{
	for (size_t i = 0; i < b->anchor_count; i++)
		free(b->anchors[i].name);
	b->anchor_count = 0;
}

static int is_str_tag(const yaml_char_t *tag)
{
	return tag && (strcmp((const char *)tag, "!") == 0 ||
		       strcmp((const char *)tag, YAML_STR_TAG) == 0);
}

static int on_scalar(struct builder *b, yaml_event_t *event)
{
	struct cfg_node *node = new_node(b, CFG_NODE_SCALAR, event);
	const char *text = (const char *)event->data.scalar.value;
	size_t len = event->data.scalar.length;

	if (!node)
		return b->ctx->errors.count ? -EINVAL : -ENOMEM;
	node->value = arena_copy(b->tree->arena, text, len);
	lv_wipe(event->data.scalar.value, len);
	if (!node->value)
		return -ENOMEM;
	node->len = len;
	node->plain = event->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
		      !event->data.scalar.tag;
	if (is_str_tag(event->data.scalar.tag) ||
	    (event->data.scalar.style != YAML_PLAIN_SCALAR_STYLE && !event->data.scalar.tag))
		node->scalar_type = CFG_SCALAR_STR;
	else
		node->scalar_type = cfg_resolve_plain(node->value, len);
	if (attach(b, node) < 0)
		return -ENOMEM;
	return add_anchor(b, event->data.scalar.anchor, node, event);
}

static int on_collection_start(struct builder *b, yaml_event_t *event, enum cfg_node_type type)
{
	const yaml_char_t *anchor = type == CFG_NODE_MAPPING ? event->data.mapping_start.anchor :
							       event->data.sequence_start.anchor;
	struct cfg_node *node;
	int r;

	if (b->depth == CFG_MAX_DEPTH) {
		cfg_error(b->ctx, mark_of(&event->start_mark),
			  "nesting is deeper than %u levels", CFG_MAX_DEPTH);
		return -EINVAL;
	}
	node = new_node(b, type, event);
	if (!node)
		return b->ctx->errors.count ? -EINVAL : -ENOMEM;
	if (attach(b, node) < 0)
		return -ENOMEM;
	r = add_anchor(b, anchor, node, event);
	if (r < 0)
		return r;
	b->stack[b->depth++] = node;
	return 0;
}

static int on_alias(struct builder *b, yaml_event_t *event)
{
	const char *name = (const char *)event->data.alias.anchor;
	struct cfg_node *node;

	for (size_t i = b->anchor_count; i-- > 0;) {
		if (strcmp(b->anchors[i].name, name) != 0)
			continue;
		node = new_node(b, CFG_NODE_ALIAS, event);
		if (!node)
			return b->ctx->errors.count ? -EINVAL : -ENOMEM;
		node->target = b->anchors[i].node;
		return attach(b, node);
	}
	cfg_error(b->ctx, mark_of(&event->start_mark), "unknown anchor '%s' referenced", name);
	return -EINVAL;
}

static int on_document_start(struct builder *b, yaml_event_t *event)
{
	if (b->tree->doc_count >= CFG_MAX_DOCUMENTS) {
		cfg_error(b->ctx, mark_of(&event->start_mark),
			  "the file has more than %u documents", CFG_MAX_DOCUMENTS);
		return -EINVAL;
	}
	clear_anchors(b);
	b->depth = 0;
	return 0;
}

static int on_event(struct builder *b, yaml_event_t *event)
{
	switch (event->type) {
	case YAML_DOCUMENT_START_EVENT:
		return on_document_start(b, event);
	case YAML_SCALAR_EVENT:
		return on_scalar(b, event);
	case YAML_SEQUENCE_START_EVENT:
		return on_collection_start(b, event, CFG_NODE_SEQUENCE);
	case YAML_MAPPING_START_EVENT:
		return on_collection_start(b, event, CFG_NODE_MAPPING);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		b->depth--;
		return 0;
	case YAML_ALIAS_EVENT:
		return on_alias(b, event);
	default:
		return 0;
	}
}

/* Reader errors carry a byte offset, not a mark. */
static struct cfg_mark mark_at_offset(const struct builder *b, size_t offset)
{
	struct cfg_mark mark = { 1, 1 };

	for (size_t i = 0; i < offset && i < b->input_len; i++) {
		if (b->input[i] == '\n') {
			mark.line++;
			mark.column = 1;
		} else if ((b->input[i] & 0xc0) != 0x80) {
			mark.column++;
		}
	}
	return mark;
}

static void syntax_error(struct builder *b, const yaml_parser_t *parser)
{
	const char *problem = parser->problem ? parser->problem : "unknown error";

	if (parser->error == YAML_MEMORY_ERROR)
		return;
	if (parser->error == YAML_READER_ERROR) {
		/* The offending byte is not shown: it may belong to a passphrase. */
		cfg_error(b->ctx, mark_at_offset(b, parser->problem_offset), "invalid YAML: %s",
			  problem);
		return;
	}
	if (parser->context)
		cfg_error(b->ctx, mark_of(&parser->problem_mark), "invalid YAML: %s (%s at line %zu)",
			  problem, parser->context, parser->context_mark.line + 1);
	else
		cfg_error(b->ctx, mark_of(&parser->problem_mark), "invalid YAML: %s", problem);
}

/* libyaml frees its input buffers without wiping them; they hold the
 * decoded text, passphrases included. */
static void wipe_parser_buffers(yaml_parser_t *parser)
{
	if (parser->buffer.start)
		lv_wipe(parser->buffer.start, (size_t)(parser->buffer.end - parser->buffer.start));
	if (parser->raw_buffer.start)
		lv_wipe(parser->raw_buffer.start,
			(size_t)(parser->raw_buffer.end - parser->raw_buffer.start));
}

static int run_parser(struct builder *b, yaml_parser_t *parser)
{
	yaml_event_t event;
	int done = 0, r = 0;

	while (!done && r == 0) {
		if (!yaml_parser_parse(parser, &event)) {
			syntax_error(b, parser);
			return parser->error == YAML_MEMORY_ERROR ? -ENOMEM : -EINVAL;
		}
		r = on_event(b, &event);
		done = event.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&event);
	}
	return r;
}

int cfg_tree_load(struct cfg_ctx *ctx, const uint8_t *buf, size_t len, struct cfg_tree *tree)
{
	struct builder *b;
	yaml_parser_t parser;
	int r;

	memset(tree, 0, sizeof(*tree));
	if (len > CFG_MAX_INPUT_BYTES) {
		cfg_error(ctx, (struct cfg_mark){ 1, 1 }, "the file is larger than %u MiB",
			  CFG_MAX_INPUT_BYTES >> 20);
		return -EINVAL;
	}
	tree->arena = calloc(1, sizeof(*tree->arena));
	b = calloc(1, sizeof(*b));
	if (!tree->arena || !b || !yaml_parser_initialize(&parser)) {
		free(b);
		return -ENOMEM;
	}
	*b = (struct builder){ .ctx = ctx, .tree = tree, .input = buf, .input_len = len };
	yaml_parser_set_input_string(&parser, buf, len);
	r = run_parser(b, &parser);
	wipe_parser_buffers(&parser);
	yaml_parser_delete(&parser);
	clear_anchors(b);
	free(b);
	return r;
}

void cfg_tree_free(struct cfg_tree *tree)
{
	for (size_t i = 0; i < tree->node_count; i++) {
		free(tree->nodes[i]->items);
		free(tree->nodes[i]);
	}
	free(tree->nodes);
	free(tree->docs);
	arena_free(tree->arena);
	memset(tree, 0, sizeof(*tree));
}
