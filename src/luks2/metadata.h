/* SPDX-License-Identifier: ISC */
/*
 * metadata.h: the LUKS2 JSON metadata as typed C structs, sized to what the
 * header holds.
 *
 * The JSON area is parsed once (json_read.c) into a struct lv_metadata and
 * checked once (validate.c) against the rules of luks2-reference.md §1.6.
 * One metadata lives in one arena (metadata.c): its arrays are counted and
 * allocated once per load, and its strings point into the parsed JSON,
 * which the metadata keeps alive, or into the arena.  Nothing bounds a list
 * or a string but the JSON area itself: a header cryptsetup writes, luksvol
 * reads.
 *
 * Only json_read.c and json_write.c see the JSON tree (json_tree.h: read
 * and printed as json-c, cryptsetup's parser, reads and prints it).  Each
 * object keeps its parsed node as an opaque struct lv_json: fields luksvol does not model
 * (token payloads, unknown segment and keyslot types, extra config keys)
 * survive a rewrite unchanged, while the typed members are the truth for
 * every field they model (json_write.c).  Objects keep the order the header
 * lists them in, and new ones go last, as cryptsetup's json-c does: a header
 * luksvol rewrites lists what cryptsetup's would, in cryptsetup's order.
 *
 * Metadata read from a device is never edited in place: a writer takes
 * lv_metadata_clone(), changes the clone through the lv_md_* mutators below
 * and commits it (device.h lv_device_commit).
 */
#ifndef LV_METADATA_H
#define LV_METADATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "luksvol.h"

/* A JSON value kept from the header (json_tree.h), opaque outside the
 * reader and the writer; read it through the lv_json_* accessors below. */
struct lv_json;
struct lv_json_doc;

/* Where one metadata's arrays and strings live (metadata.c). */
struct lv_arena;

/* cryptsetup's loops over ids (luksDump, free-slot searches, unlock of any
 * slot) stop at these; objects with other ids load and are kept, unused. */
#define LV_KEYSLOTS_MAX LV_KEYSLOT_COUNT	/* LUKS2_KEYSLOTS_MAX */
#define LV_TOKENS_MAX LV_TOKEN_COUNT		/* LUKS2_TOKENS_MAX */
#define LV_SEGMENTS_DUMP_MAX 32	/* LUKS2_SEGMENT_MAX */
#define LV_DIGESTS_DUMP_MAX 8	/* LUKS2_DIGEST_MAX */
#define LV_BLOB_MAX 64		/* decoded salts and digests (longer: not valid) */

/*
 * An id as the header writes it: an object key ("3") or an element of a
 * "keyslots" or "segments" array.  cryptsetup compares ids as strings and,
 * where it needs a number, reads one with atoi(); "03" and "3" are two
 * different ids, and only the canonical one is ever found by number.
 */
struct lv_id {
	const char *text;
	int32_t number;		/* atoi(text), as cryptsetup reads one */
	bool canonical;		/* text is how "%d" prints number (>= 0) */
};

struct lv_id_list {
	struct lv_id *items;
	unsigned count;
};

/* An optional array of strings (config.flags, requirements, segment flags). */
struct lv_string_list {
	const char **items;
	unsigned count;
	bool present;		/* the array is in the header, maybe empty */
};

/* A base64 field decoded once; valid is false when it did not decode or
 * is longer than LV_BLOB_MAX (cryptsetup checks such fields only at use).
 * text is the field as read, written back unchanged; NULL for a new value. */
struct lv_blob {
	const char *text;
	uint8_t bytes[LV_BLOB_MAX];
	size_t len;
	bool valid;
};

enum lv_kdf_kind { LV_KDF_OTHER, LV_KDF_PBKDF2, LV_KDF_ARGON2I, LV_KDF_ARGON2ID };

struct lv_kdf {
	enum lv_kdf_kind kind;
	const char *type;
	const char *hash;		/* pbkdf2 only */
	int64_t iterations;		/* pbkdf2 only */
	int64_t time_cost;		/* argon2 only */
	int64_t memory_kib;		/* argon2 only */
	int64_t cpus;			/* argon2 only */
	struct lv_blob salt;
};

struct lv_af {
	const char *type;		/* "luks1" */
	const char *hash;
	int64_t stripes;
};

struct lv_area {
	const char *type;		/* "raw" for luks2 keyslots */
	uint64_t offset_bytes;
	uint64_t size_bytes;
	const char *encryption;		/* raw areas only */
	int64_t key_size;		/* raw areas only */
};

enum lv_keyslot_kind { LV_KEYSLOT_OTHER, LV_KEYSLOT_LUKS2, LV_KEYSLOT_REENCRYPT };

/* A reencrypt keyslot's state, as luksDump shows it. */
struct lv_reencrypt {
	const char *mode;
	const char *direction;
	const char *hash;		/* area.hash (checksum resilience) */
	int64_t sector_size;		/* area.sector_size (checksum resilience) */
	uint64_t shift_size;		/* area.shift_size (datashift resilience) */
};

struct lv_keyslot {
	const struct lv_json *json;	/* as parsed; NULL for a new keyslot */
	struct lv_id id;
	enum lv_keyslot_kind kind;
	const char *type;
	uint32_t key_size;
	bool has_priority;
	int64_t priority;
	struct lv_kdf kdf;		/* luks2 only */
	struct lv_af af;		/* luks2 only */
	struct lv_area area;
	struct lv_reencrypt reencrypt;	/* reencrypt only */
};

struct lv_digest {
	const struct lv_json *json;
	struct lv_id id;
	const char *type;		/* "pbkdf2" */
	struct lv_id_list keyslots;
	struct lv_id_list segments;
	const char *hash;		/* NULL when absent or not a string */
	int64_t iterations;
	struct lv_blob salt;
	struct lv_blob digest;
};

struct lv_segment {
	const struct lv_json *json;
	struct lv_id id;
	const char *type;		/* "crypt", "linear", ... */
	uint64_t offset_bytes;
	uint64_t size_bytes;		/* 0 when dynamic */
	bool dynamic;
	bool is_crypt;			/* crypt or hw-opal-crypt */
	uint64_t iv_tweak;
	const char *encryption;
	uint32_t sector_size;
	const char *integrity_type;	/* integrity.type, NULL without integrity */
	struct lv_string_list flags;
	bool is_backup;			/* a flag starts with "backup-" */
	bool in_reencryption;
};

struct lv_token_ops;

struct lv_token {
	const struct lv_json *json;	/* the whole token object, passed through */
	struct lv_id id;
	const char *type;
	struct lv_id_list keyslots;
	const struct lv_token_ops *ops;	/* token.h; NULL for a type luksvol passes through */
};

/* config.flags names (luks2-reference.md §1.5), in cryptsetup's order,
 * ending with { 0, NULL }. */
struct lv_flag_name {
	unsigned flag;		/* enum lv_activation_flag */
	const char *name;
};
extern const struct lv_flag_name lv_persistent_flag_names[];

struct lv_config {
	const struct lv_json *json;
	uint64_t json_size;
	uint64_t keyslots_size;
	struct lv_string_list flags;
	unsigned persistent_flags;	/* enum lv_activation_flag bits */
	bool has_requirements;
	struct lv_string_list mandatory;
	bool unknown_requirement;	/* a mandatory string luksvol doesn't know */
	unsigned online_reencrypt_count;
};

struct lv_metadata {
	struct lv_arena *arena;
	struct lv_json_doc **docs;	/* the parsed JSON the structs point into */
	unsigned doc_count;
	const struct lv_json *root;	/* the parsed top level; NULL for new metadata */
	struct lv_keyslot *keyslots;
	unsigned keyslot_count;
	struct lv_token *tokens;
	unsigned token_count;
	struct lv_digest *digests;
	unsigned digest_count;
	struct lv_segment *segments;
	unsigned segment_count;
	struct lv_config config;
	/* Set by the reader: the length of the compact re-serialization that
	 * rule J2 compares with json_size (or the length of the text read
	 * where that bounds it and fits, see json_read.c), and the K7 repairs
	 * it made. */
	size_t compact_json_bytes;
	unsigned repaired_kdf_keys;
};

/* "online-reencrypt" or "online-reencrypt-vN": the one requirement
 * cryptsetup 2.6 knows how to meet. */
bool lv_requirement_is_online_reencrypt(const char *flag);

/*
 * json_read.c: checks the JSON area byte rules (§1.4), parses it as json-c
 * does (json_tree.h) and builds *md; type errors are reported like
 * validation errors.
 * On failure it retries once after cryptsetup's keyslot repair (§1.6 K7)
 * when that changes anything.  json_end_bytes receives the offset just
 * past the parsed JSON text.  A refused area leaves *md NULL.
 */
int lv_metadata_parse(const uint8_t *area, size_t area_len, uint64_t hdr_size,
		      struct lv_metadata **md, size_t *json_end_bytes, struct lv_err *err);
/* The JSON text of one token (token import) as a token of md with id,
 * checked as the reader checks tokens; md keeps its JSON. */
int lv_metadata_parse_token(struct lv_metadata *md, const char *json_text, uint32_t id,
			    struct lv_token **token, struct lv_err *err);

/* metadata.c: the arena, clone and mutators. */
/* Empty metadata (format fills it). */
int lv_metadata_new(struct lv_metadata **md);
/* A deep copy of the structs, sharing the parsed JSON (kept alive). */
int lv_metadata_clone(const struct lv_metadata *md, struct lv_metadata **copy);
void lv_metadata_free(struct lv_metadata **md);
/* Zeroed memory and string copies in md's arena, freed with md. */
void *lv_md_alloc(struct lv_metadata *md, size_t bytes);
const char *lv_md_strdup(struct lv_metadata *md, const char *text);
/* id as a canonical lv_id (its text in md's arena); -ENOMEM. */
int lv_md_id(struct lv_metadata *md, uint32_t number, struct lv_id *id);

/* Appends a zeroed object with canonical id number; NULL when out of
 * memory.  The caller checks that the id is free.  The returned pointer,
 * and every pointer into the same array, is valid until the next add. */
struct lv_keyslot *lv_md_add_keyslot(struct lv_metadata *md, uint32_t number);
struct lv_token *lv_md_add_token(struct lv_metadata *md, uint32_t number);
struct lv_digest *lv_md_add_digest(struct lv_metadata *md, uint32_t number);
struct lv_segment *lv_md_add_segment(struct lv_metadata *md, uint32_t number);
/* Removes the keyslot and every reference to it (digests, tokens).  A
 * digest left with neither keyslots nor segments is dropped when written,
 * as cryptsetup drops it. */
void lv_md_remove_keyslot(struct lv_metadata *md, const struct lv_keyslot *ks);
void lv_md_remove_token(struct lv_metadata *md, const struct lv_token *token);
/* Appends the canonical id number to list; -ENOMEM. */
int lv_md_list_add(struct lv_metadata *md, struct lv_id_list *list, uint32_t number);
/* config.flags becomes the names of flags in cryptsetup's order (an empty
 * array for none, as cryptsetup writes it); -ENOMEM. */
int lv_md_set_persistent_flags(struct lv_metadata *md, unsigned flags);

/* For json_read.c and metadata.c: metadata whose arena starts with
 * first_bytes; an id from its text; md keeps doc alive (-ENOMEM). */
struct lv_metadata *lv_metadata_alloc_sized(size_t first_bytes);
void lv_id_set(struct lv_id *id, const char *text);
int lv_md_hold_doc(struct lv_metadata *md, struct lv_json_doc *doc);

/* Lookups.  By number: the object whose id is the canonical text of number
 * (what cryptsetup's snprintf-then-lookup finds); NULL when absent. */
const struct lv_keyslot *lv_md_keyslot(const struct lv_metadata *md, uint32_t number);
const struct lv_token *lv_md_token(const struct lv_metadata *md, uint32_t number);
const struct lv_segment *lv_md_segment(const struct lv_metadata *md, uint32_t number);
const struct lv_digest *lv_md_digest(const struct lv_metadata *md, uint32_t number);
/* By id text: what a reference array names. */
const struct lv_keyslot *lv_md_keyslot_named(const struct lv_metadata *md, const char *text);
const struct lv_segment *lv_md_segment_named(const struct lv_metadata *md, const char *text);
/* Whether list names text. */
bool lv_id_list_has(const struct lv_id_list *list, const char *text);
/* The first digest that lists the keyslot (by its id text), or NULL. */
const struct lv_digest *lv_md_digest_of_keyslot(const struct lv_metadata *md,
						const struct lv_keyslot *ks);
/* The first digest that lists the segment, or NULL. */
const struct lv_digest *lv_md_digest_of_segment(const struct lv_metadata *md,
						const struct lv_segment *seg);
/* The crypt segment with the lowest id that is not a backup: the data
 * segment unlock and activation use; NULL when none. */
const struct lv_segment *lv_md_data_segment(const struct lv_metadata *md);
/* The lowest offset of a segment that is not a backup, 0 with none
 * (cryptsetup's LUKS2_get_data_offset). */
uint64_t lv_md_data_offset(const struct lv_metadata *md);
/* The lowest keyslot (token) number in 0..31 that is free; -1 when none. */
int lv_md_free_keyslot(const struct lv_metadata *md);
int lv_md_free_token(const struct lv_metadata *md);
/* The number cryptsetup reads out of an id: atoi() of its digits. */
int32_t lv_id_number(const char *text);
/* "%" PRIu32 of value in text (at least 11 bytes); returns text. */
char *lv_u32_text(char *text, uint32_t value);

/*
 * Read-only access to a kept JSON value (json_read.c), for what the typed
 * structs do not model: the payload of a token (token.h ops).  A NULL
 * value reads as absent.
 */
enum lv_json_type {
	LV_JSON_ABSENT,
	LV_JSON_NULL,
	LV_JSON_BOOL,
	LV_JSON_INT,
	LV_JSON_DOUBLE,
	LV_JSON_STRING,
	LV_JSON_ARRAY,
	LV_JSON_OBJECT,
};
enum lv_json_type lv_json_type_of(const struct lv_json *value);
/* object[key], or NULL. */
const struct lv_json *lv_json_member(const struct lv_json *object, const char *key);
/* Members of an object, elements of an array, 0 for anything else. */
size_t lv_json_count(const struct lv_json *value);
/* A string's value; NULL for any other value. */
const char *lv_json_text(const struct lv_json *value);
/* Prints value as cryptsetup prints a field with "%s" of
 * json_object_get_string(): a string's value, any other value as JSON,
 * "(null)" when absent. */
void lv_json_fprint(FILE *out, const struct lv_json *value);

/* The nine metadata sizes (binary header + JSON area) LUKS2 allows:
 * 16 KiB to 4 MiB, powers of two (spec Table 1). */
int lv_metadata_size_allowed(uint64_t metadata_bytes);

/* validate.c: every cross-object rule of §1.6, given hdr_size of the copy. */
int lv_metadata_validate(const struct lv_metadata *md, uint64_t hdr_size,
			 struct lv_err *err);

/*
 * json_write.c: the on-disk JSON text of md (typed members win, unknown
 * fields of each parsed object pass through, digests that name neither a
 * keyslot nor a segment are dropped), compact, in *text (free() it).
 */
int lv_metadata_to_text(const struct lv_metadata *md, char **text, size_t *len);
/* What `cryptsetup luksDump --dump-json-metadata` prints, byte for byte
 * (json-c's pretty form of the parsed JSON, no newline after it). */
int lv_metadata_print_json(const struct lv_metadata *md, FILE *out);
/* One token as compact JSON (token export), in *text (free() it). */
int lv_token_to_text(const struct lv_token *token, char **text);

/* base64.c: RFC 4648 base64, as json-c strings carry it in LUKS2. */
int lv_base64_decode(const char *text, uint8_t *out, size_t out_max, size_t *out_len);
size_t lv_base64_encoded_len(size_t len);
void lv_base64_encode(const uint8_t *in, size_t len, char *out);

#endif
