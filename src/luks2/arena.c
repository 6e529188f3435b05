/* SPDX-License-Identifier: ISC */
/* arena.c: see arena.h. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "luks2/arena.h"

/* What an arena holds (JSON values, metadata) is pointers, sizes, 64-bit
 * integers and doubles: 8-byte alignment, not malloc's 16, which would make
 * a 24-byte JSON value take 32 (a fifth more of the tree's pages). */
#define ARENA_ALIGN 8
#define ARENA_MIN_BLOCK 1024

struct arena_block {
	struct arena_block *next;
	size_t used, size;
	_Alignas(ARENA_ALIGN) unsigned char data[];
};

struct lv_arena {
	struct arena_block *head;
};

_Static_assert(sizeof(struct lv_arena) <= ARENA_ALIGN, "the arena fits its first block's first slot");

static struct arena_block *block_new(size_t size)
{
	struct arena_block *block;

	if (size > SIZE_MAX - sizeof(*block))
		return NULL;
	block = malloc(sizeof(*block) + size);
	if (block) {
		block->next = NULL;
		block->used = 0;
		block->size = size;
	}
	return block;
}

struct lv_arena *lv_arena_new(size_t first_bytes)
{
	struct arena_block *first;
	struct lv_arena *arena;

	if (first_bytes < ARENA_MIN_BLOCK)
		first_bytes = ARENA_MIN_BLOCK;
	if (first_bytes > SIZE_MAX - ARENA_ALIGN)
		return NULL;
	/* The arena's own struct is the first block's first allocation. */
	first = block_new(first_bytes + ARENA_ALIGN);
	if (!first)
		return NULL;
	arena = (struct lv_arena *)first->data;
	first->used = ARENA_ALIGN;
	memset(arena, 0, sizeof(*arena));
	arena->head = first;
	return arena;
}

/* bytes from the newest block, or from a new one twice as large. */
void *lv_arena_alloc_raw(struct lv_arena *arena, size_t bytes)
{
	struct arena_block *block = arena->head;

	if (bytes > SIZE_MAX / 2)
		return NULL;
	bytes = (bytes + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN;
	if (block->size - block->used < bytes) {
		size_t size = block->size < SIZE_MAX / 4 ? 2 * block->size : block->size;

		block = block_new(bytes > size ? bytes : size);
		if (!block)
			return NULL;
		block->next = arena->head;
		arena->head = block;
	}
	block->used += bytes;
	return block->data + block->used - bytes;
}

/* Blocks come from malloc: what they hand out is zeroed here, only as much
 * as is handed out (a block is often larger than what it holds). */
void *lv_arena_alloc(struct lv_arena *arena, size_t bytes)
{
	void *p = lv_arena_alloc_raw(arena, bytes);

	return p ? memset(p, 0, bytes) : NULL;
}

char *lv_arena_strndup(struct lv_arena *arena, const char *src, size_t len)
{
	char *copy = len < SIZE_MAX ? lv_arena_alloc_raw(arena, len + 1) : NULL;

	if (copy) {
		if (len)
			memcpy(copy, src, len);
		copy[len] = '\0';
	}
	return copy;
}

int lv_arena_owns(const struct lv_arena *arena, const void *ptr)
{
	const unsigned char *p = ptr;

	for (const struct arena_block *b = arena->head; b; b = b->next)
		if (p >= b->data && p < b->data + b->size)
			return 1;
	return 0;
}

void lv_arena_free(struct lv_arena **arena)
{
	struct arena_block *block;

	if (!arena || !*arena)
		return;
	block = (*arena)->head;	/* the arena struct lives in the last block */
	*arena = NULL;
	while (block) {
		struct arena_block *next = block->next;

		free(block);
		block = next;
	}
}
