/* SPDX-License-Identifier: ISC */
/*
 * arena.h: blocks of zeroed memory handed out in order and freed together:
 * where a parsed JSON document and a struct lv_metadata live, so that a
 * header costs a few allocations, not one per JSON value.
 */
#ifndef LV_ARENA_H
#define LV_ARENA_H

#include <stddef.h>

struct lv_arena;

/* An arena whose first block holds first_bytes (it grows as needed). */
struct lv_arena *lv_arena_new(size_t first_bytes);
/* bytes of zeroed memory, 8-byte aligned, valid until lv_arena_free;
 * NULL when out of memory. */
void *lv_arena_alloc(struct lv_arena *arena, size_t bytes);
/* The same, not zeroed: for callers that fill all of it. */
void *lv_arena_alloc_raw(struct lv_arena *arena, size_t bytes);
/* A copy of len bytes at src, NUL-terminated. */
char *lv_arena_strndup(struct lv_arena *arena, const char *src, size_t len);
/* Whether ptr points into one of the arena's blocks. */
int lv_arena_owns(const struct lv_arena *arena, const void *ptr);
void lv_arena_free(struct lv_arena **arena);

#endif
