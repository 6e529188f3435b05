/* SPDX-License-Identifier: ISC */
/*
 * metadata.c: where a struct lv_metadata lives (one arena each), its
 * clone, the mutators every writer goes through, and lookups by id.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "luks2/arena.h"
#include "luks2/json_tree.h"
#include "luks2/metadata.h"

/* ---- the arena: the metadata and everything it holds ---- */

#define ARENA_FIRST_BYTES 2048

/* The metadata is the arena's first allocation; first_bytes sizes the
 * first block (the reader passes an estimate, so one block usually does). */
static struct lv_metadata *metadata_alloc(size_t first_bytes)
{
	struct lv_arena *arena = lv_arena_new(first_bytes);
	struct lv_metadata *md = arena ? lv_arena_alloc(arena, sizeof(*md)) : NULL;

	if (!md) {
		lv_arena_free(&arena);
		return NULL;
	}
	md->arena = arena;
	return md;
}

int lv_metadata_new(struct lv_metadata **md)
{
	*md = metadata_alloc(ARENA_FIRST_BYTES);
	return *md ? 0 : -ENOMEM;
}

struct lv_metadata *lv_metadata_alloc_sized(size_t first_bytes)
{
	return metadata_alloc(first_bytes < ARENA_FIRST_BYTES ? ARENA_FIRST_BYTES : first_bytes);
}

int lv_md_hold_doc(struct lv_metadata *md, struct lv_json_doc *doc)
{
	struct lv_json_doc **docs = lv_md_alloc(md, (md->doc_count + 1) * sizeof(*docs));

	if (!docs)
		return -ENOMEM;
	if (md->doc_count)
		memcpy(docs, md->docs, md->doc_count * sizeof(*docs));
	docs[md->doc_count++] = lv_json_doc_get(doc);
	md->docs = docs;
	return 0;
}

void lv_metadata_free(struct lv_metadata **md)
{
	struct lv_arena *arena;

	if (!md || !*md)
		return;
	for (unsigned i = 0; i < (*md)->doc_count; i++)
		lv_json_doc_put(&(*md)->docs[i]);
	arena = (*md)->arena;	/* md itself lives in the arena */
	lv_arena_free(&arena);
	*md = NULL;
}

void *lv_md_alloc(struct lv_metadata *md, size_t bytes)
{
	return lv_arena_alloc(md->arena, bytes);
}

const char *lv_md_strdup(struct lv_metadata *md, const char *text)
{
	return lv_arena_strndup(md->arena, text, strlen(text));
}

/* ---- ids ---- */

/* glibc's atoi: strtol's value (saturated at LONG_MAX) converted to int,
 * i.e. its low 32 bits.  Ids are digit strings here (the reader checks). */
int32_t lv_id_number(const char *text)
{
	uint64_t value = 0;

	for (const char *p = text; *p >= '0' && *p <= '9'; p++) {
		if (value > ((uint64_t)LONG_MAX - (uint64_t)(*p - '0')) / 10) {
			value = LONG_MAX;
			break;
		}
		value = value * 10 + (uint64_t)(*p - '0');
	}
	return (int32_t)(uint32_t)value;
}

/* Whether "%d" of number prints text: digits, no leading zero, at most
 * INT32_MAX (number is atoi(text)). */
static bool id_canonical(const char *text, int32_t number)
{
	size_t len = 0;

	if (number < 0 || (text[0] == '0' && text[1] != '\0'))
		return false;
	for (; text[len]; len++)
		if (text[len] < '0' || text[len] > '9' || len >= 10)
			return false;
	/* Ten digits or fewer, no leading zero: atoi kept the value whole
	 * when it is at most INT32_MAX, which number >= 0 leaves to check. */
	return len > 0 && (len < 10 || strcmp(text, "2147483647") <= 0);
}

char *lv_u32_text(char *text, uint32_t value)
{
	char digits[10];
	size_t n = 0, i = 0;

	do
		digits[n++] = (char)('0' + value % 10);
	while (value /= 10);
	while (n)
		text[i++] = digits[--n];
	text[i] = '\0';
	return text;
}

int lv_md_id(struct lv_metadata *md, uint32_t number, struct lv_id *id)
{
	char text[16];

	lv_u32_text(text, number);
	id->text = lv_md_strdup(md, text);
	if (!id->text)
		return -ENOMEM;
	id->number = (int32_t)number;
	id->canonical = number <= INT32_MAX;
	return 0;
}

void lv_id_set(struct lv_id *id, const char *text)
{
	id->text = text;
	id->number = lv_id_number(text);
	id->canonical = id_canonical(text, id->number);
}

static bool id_is(const struct lv_id *id, uint32_t number)
{
	return id->canonical && (uint32_t)id->number == number;
}

bool lv_id_list_has(const struct lv_id_list *list, const char *text)
{
	for (unsigned i = 0; i < list->count; i++)
		if (strcmp(list->items[i].text, text) == 0)
			return true;
	return false;
}

/* ---- clone ---- */

static int copy_string(struct lv_metadata *to, const struct lv_metadata *from, const char **s)
{
	if (!*s || !lv_arena_owns(from->arena, *s))
		return 0;	/* NULL, a literal or parsed JSON (held) */
	*s = lv_md_strdup(to, *s);
	return *s ? 0 : -ENOMEM;
}

static int copy_id(struct lv_metadata *to, const struct lv_metadata *from, struct lv_id *id)
{
	return copy_string(to, from, &id->text);
}

static int copy_blob(struct lv_metadata *to, const struct lv_metadata *from, struct lv_blob *blob)
{
	return copy_string(to, from, &blob->text);
}

/* *items (count elements of size) into to's arena. */
static int copy_array(struct lv_metadata *to, void **items, size_t count, size_t size)
{
	void *copy;

	if (!*items || count == 0)
		return 0;
	copy = lv_md_alloc(to, count * size);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, *items, count * size);
	*items = copy;
	return 0;
}

static int copy_id_list(struct lv_metadata *to, const struct lv_metadata *from,
			struct lv_id_list *list)
{
	int r = copy_array(to, (void **)&list->items, list->count, sizeof(list->items[0]));

	for (unsigned i = 0; r == 0 && i < list->count; i++)
		r = copy_id(to, from, &list->items[i]);
	return r;
}

static int copy_string_list(struct lv_metadata *to, const struct lv_metadata *from,
			    struct lv_string_list *list)
{
	int r = copy_array(to, (void **)&list->items, list->count, sizeof(list->items[0]));

	for (unsigned i = 0; r == 0 && i < list->count; i++)
		r = copy_string(to, from, &list->items[i]);
	return r;
}

static int copy_keyslot(struct lv_metadata *to, const struct lv_metadata *from,
			struct lv_keyslot *ks)
{
	const char **strings[] = { &ks->type, &ks->kdf.type, &ks->kdf.hash, &ks->af.type,
				   &ks->af.hash, &ks->area.type, &ks->area.encryption,
				   &ks->reencrypt.mode, &ks->reencrypt.direction };
	int r = copy_id(to, from, &ks->id);

	for (size_t i = 0; r == 0 && i < sizeof(strings) / sizeof(strings[0]); i++)
		r = copy_string(to, from, strings[i]);
	return r ? r : copy_blob(to, from, &ks->kdf.salt);
}

static int copy_digest(struct lv_metadata *to, const struct lv_metadata *from,
		       struct lv_digest *d)
{
	int r;

	if ((r = copy_id(to, from, &d->id)) < 0 || (r = copy_string(to, from, &d->type)) < 0 ||
	    (r = copy_string(to, from, &d->hash)) < 0 ||
	    (r = copy_id_list(to, from, &d->keyslots)) < 0 ||
	    (r = copy_id_list(to, from, &d->segments)) < 0 ||
	    (r = copy_blob(to, from, &d->salt)) < 0)
		return r;
	return copy_blob(to, from, &d->digest);
}

static int copy_segment(struct lv_metadata *to, const struct lv_metadata *from,
			struct lv_segment *s)
{
	int r;

	if ((r = copy_id(to, from, &s->id)) < 0 || (r = copy_string(to, from, &s->type)) < 0 ||
	    (r = copy_string(to, from, &s->encryption)) < 0 ||
	    (r = copy_string(to, from, &s->integrity_type)) < 0)
		return r;
	return copy_string_list(to, from, &s->flags);
}

static int copy_token(struct lv_metadata *to, const struct lv_metadata *from,
		      struct lv_token *t)
{
	int r;

	if ((r = copy_id(to, from, &t->id)) < 0 || (r = copy_string(to, from, &t->type)) < 0)
		return r;
	return copy_id_list(to, from, &t->keyslots);
}

static int copy_all(struct lv_metadata *to, const struct lv_metadata *from)
{
	int r;

	if ((r = copy_array(to, (void **)&to->keyslots, to->keyslot_count, sizeof(to->keyslots[0]))) < 0 ||
	    (r = copy_array(to, (void **)&to->tokens, to->token_count, sizeof(to->tokens[0]))) < 0 ||
	    (r = copy_array(to, (void **)&to->digests, to->digest_count, sizeof(to->digests[0]))) < 0 ||
	    (r = copy_array(to, (void **)&to->segments, to->segment_count, sizeof(to->segments[0]))) < 0)
		return r;
	for (unsigned i = 0; r == 0 && i < to->keyslot_count; i++)
		r = copy_keyslot(to, from, &to->keyslots[i]);
	for (unsigned i = 0; r == 0 && i < to->token_count; i++)
		r = copy_token(to, from, &to->tokens[i]);
	for (unsigned i = 0; r == 0 && i < to->digest_count; i++)
		r = copy_digest(to, from, &to->digests[i]);
	for (unsigned i = 0; r == 0 && i < to->segment_count; i++)
		r = copy_segment(to, from, &to->segments[i]);
	if (r == 0 && (r = copy_string_list(to, from, &to->config.flags)) == 0)
		r = copy_string_list(to, from, &to->config.mandatory);
	return r;
}

int lv_metadata_clone(const struct lv_metadata *md, struct lv_metadata **copy)
{
	struct lv_metadata *to = metadata_alloc(ARENA_FIRST_BYTES);
	struct lv_arena *arena;
	int r;

	*copy = NULL;
	if (!to)
		return -ENOMEM;
	arena = to->arena;
	*to = *md;
	to->arena = arena;
	to->docs = NULL;
	to->doc_count = 0;
	r = 0;
	for (unsigned i = 0; r == 0 && i < md->doc_count; i++)
		r = lv_md_hold_doc(to, md->docs[i]);
	if (r == 0)
		r = copy_all(to, md);
	if (r < 0) {
		lv_metadata_free(&to);
		return r;
	}
	*copy = to;
	return 0;
}

/* ---- mutators ---- */

/* Grows *items (count elements of size) by one zeroed element in md's
 * arena; returns the new element. */
static void *append(struct lv_metadata *md, void **items, unsigned *count, size_t size)
{
	unsigned char *grown;

	if (*count == UINT_MAX)
		return NULL;
	grown = lv_md_alloc(md, ((size_t)*count + 1) * size);
	if (!grown)
		return NULL;
	if (*count)
		memcpy(grown, *items, (size_t)*count * size);
	*items = grown;
	return grown + (size_t)(*count)++ * size;
}

/* Removes element index of *items, keeping the order of the others. */
static void remove_at(void *items, unsigned *count, size_t size, unsigned index)
{
	unsigned char *base = items;

	memmove(base + (size_t)index * size, base + ((size_t)index + 1) * size,
		(size_t)(*count - index - 1) * size);
	(*count)--;
}

#define APPEND(md, array, count) append(md, (void **)&(array), &(count), sizeof((array)[0]))

struct lv_keyslot *lv_md_add_keyslot(struct lv_metadata *md, uint32_t number)
{
	struct lv_id id;
	struct lv_keyslot *ks;

	if (lv_md_id(md, number, &id) < 0 || !(ks = APPEND(md, md->keyslots, md->keyslot_count)))
		return NULL;
	ks->id = id;
	return ks;
}

struct lv_token *lv_md_add_token(struct lv_metadata *md, uint32_t number)
{
	struct lv_id id;
	struct lv_token *token;

	if (lv_md_id(md, number, &id) < 0 || !(token = APPEND(md, md->tokens, md->token_count)))
		return NULL;
	token->id = id;
	return token;
}

struct lv_digest *lv_md_add_digest(struct lv_metadata *md, uint32_t number)
{
	struct lv_id id;
	struct lv_digest *digest;

	if (lv_md_id(md, number, &id) < 0 || !(digest = APPEND(md, md->digests, md->digest_count)))
		return NULL;
	digest->id = id;
	return digest;
}

struct lv_segment *lv_md_add_segment(struct lv_metadata *md, uint32_t number)
{
	struct lv_id id;
	struct lv_segment *seg;

	if (lv_md_id(md, number, &id) < 0 || !(seg = APPEND(md, md->segments, md->segment_count)))
		return NULL;
	seg->id = id;
	return seg;
}

int lv_md_list_add(struct lv_metadata *md, struct lv_id_list *list, uint32_t number)
{
	struct lv_id id, *item;

	if (lv_md_id(md, number, &id) < 0 || !(item = APPEND(md, list->items, list->count)))
		return -ENOMEM;
	*item = id;
	return 0;
}

/* Every element naming text goes (a list may name an id twice). */
static void list_remove(struct lv_id_list *list, const char *text)
{
	unsigned kept = 0;

	for (unsigned i = 0; i < list->count; i++)
		if (strcmp(list->items[i].text, text) != 0)
			list->items[kept++] = list->items[i];
	list->count = kept;
}

void lv_md_remove_keyslot(struct lv_metadata *md, const struct lv_keyslot *ks)
{
	const char *text = ks->id.text;

	for (unsigned i = 0; i < md->digest_count; i++)
		list_remove(&md->digests[i].keyslots, text);
	for (unsigned i = 0; i < md->token_count; i++)
		list_remove(&md->tokens[i].keyslots, text);
	remove_at(md->keyslots, &md->keyslot_count, sizeof(md->keyslots[0]),
		  (unsigned)(ks - md->keyslots));
}

void lv_md_remove_token(struct lv_metadata *md, const struct lv_token *token)
{
	remove_at(md->tokens, &md->token_count, sizeof(md->tokens[0]),
		  (unsigned)(token - md->tokens));
}

int lv_md_set_persistent_flags(struct lv_metadata *md, unsigned flags)
{
	struct lv_string_list *list = &md->config.flags;
	unsigned count = 0, i = 0;

	for (const struct lv_flag_name *f = lv_persistent_flag_names; f->name; f++)
		count += !!(flags & f->flag);
	list->items = count ? lv_md_alloc(md, count * sizeof(list->items[0])) : NULL;
	if (count && !list->items)
		return -ENOMEM;
	for (const struct lv_flag_name *f = lv_persistent_flag_names; f->name; f++)
		if (flags & f->flag)
			list->items[i++] = f->name;
	list->count = count;
	list->present = true;
	md->config.persistent_flags = flags;
	return 0;
}

/* ---- lookups ---- */

const struct lv_keyslot *lv_md_keyslot(const struct lv_metadata *md, uint32_t number)
{
	for (unsigned i = 0; i < md->keyslot_count; i++)
		if (id_is(&md->keyslots[i].id, number))
			return &md->keyslots[i];
	return NULL;
}

const struct lv_token *lv_md_token(const struct lv_metadata *md, uint32_t number)
{
	for (unsigned i = 0; i < md->token_count; i++)
		if (id_is(&md->tokens[i].id, number))
			return &md->tokens[i];
	return NULL;
}

const struct lv_segment *lv_md_segment(const struct lv_metadata *md, uint32_t number)
{
	for (unsigned i = 0; i < md->segment_count; i++)
		if (id_is(&md->segments[i].id, number))
			return &md->segments[i];
	return NULL;
}

const struct lv_digest *lv_md_digest(const struct lv_metadata *md, uint32_t number)
{
	for (unsigned i = 0; i < md->digest_count; i++)
		if (id_is(&md->digests[i].id, number))
			return &md->digests[i];
	return NULL;
}

const struct lv_keyslot *lv_md_keyslot_named(const struct lv_metadata *md, const char *text)
{
	for (unsigned i = 0; i < md->keyslot_count; i++)
		if (strcmp(md->keyslots[i].id.text, text) == 0)
			return &md->keyslots[i];
	return NULL;
}

const struct lv_segment *lv_md_segment_named(const struct lv_metadata *md, const char *text)
{
	for (unsigned i = 0; i < md->segment_count; i++)
		if (strcmp(md->segments[i].id.text, text) == 0)
			return &md->segments[i];
	return NULL;
}

const struct lv_digest *lv_md_digest_of_keyslot(const struct lv_metadata *md,
						const struct lv_keyslot *ks)
{
	for (unsigned i = 0; ks && i < md->digest_count; i++)
		if (lv_id_list_has(&md->digests[i].keyslots, ks->id.text))
			return &md->digests[i];
	return NULL;
}

const struct lv_digest *lv_md_digest_of_segment(const struct lv_metadata *md,
						const struct lv_segment *seg)
{
	for (unsigned i = 0; seg && i < md->digest_count; i++)
		if (lv_id_list_has(&md->digests[i].segments, seg->id.text))
			return &md->digests[i];
	return NULL;
}

const struct lv_segment *lv_md_data_segment(const struct lv_metadata *md)
{
	const struct lv_segment *best = NULL;

	for (unsigned i = 0; i < md->segment_count; i++) {
		const struct lv_segment *seg = &md->segments[i];

		if (seg->is_crypt && !seg->is_backup && seg->id.canonical &&
		    (!best || seg->id.number < best->id.number))
			best = seg;
	}
	return best;
}

uint64_t lv_md_data_offset(const struct lv_metadata *md)
{
	uint64_t min = UINT64_MAX;

	for (unsigned i = 0; i < md->segment_count; i++)
		if (!md->segments[i].is_backup && md->segments[i].offset_bytes < min)
			min = md->segments[i].offset_bytes;
	return min == UINT64_MAX ? 0 : min;
}

int lv_md_free_keyslot(const struct lv_metadata *md)
{
	for (uint32_t n = 0; n < LV_KEYSLOTS_MAX; n++)
		if (!lv_md_keyslot(md, n))
			return (int)n;
	return -1;
}

int lv_md_free_token(const struct lv_metadata *md)
{
	for (uint32_t n = 0; n < LV_TOKENS_MAX; n++)
		if (!lv_md_token(md, n))
			return (int)n;
	return -1;
}
