/* SPDX-License-Identifier: ISC */
/*
 * metadata.h: the LUKS2 JSON metadata as typed C structs.
 *
 * The JSON area is parsed once (json_read.c) into struct lv_metadata and
 * checked once (validate.c) against the rules of luks2-reference.md §1.6.
 * Nothing else in luksvol looks at JSON.  Each object keeps its parsed
 * json-c node only as a pass-through: fields luksvol does not model (token
 * payloads, unknown segment and keyslot types, extra config keys) survive a
 * rewrite unchanged, while the typed members are the truth for every field
 * they model (json_write.c).
 */
#ifndef LV_METADATA_H
#define LV_METADATA_H

#include <stddef.h>
#include <stdint.h>

#include "luksvol.h"

struct json_object;

#define LV_KEYSLOTS_MAX 32	/* LUKS2 spec §3.2: keyslot ids 0..31 */
#define LV_TOKENS_MAX 32
#define LV_DIGESTS_MAX 32
#define LV_SEGMENTS_MAX 64
#define LV_REFS_MAX 64		/* ids listed in one keyslots/segments array */
#define LV_FLAGS_MAX 32		/* strings in config.flags or requirements */
#define LV_NAME_MAX 128		/* type, hash and cipher strings, with NUL */
#define LV_BLOB_MAX 64		/* decoded salts and digests */

/* A base64 field decoded once; valid is 0 when it did not decode or is
 * longer than LV_BLOB_MAX (cryptsetup checks such fields only at use). */
struct lv_blob {
	uint8_t bytes[LV_BLOB_MAX];
	size_t len;
	int valid;
};

struct lv_id_list {
	uint32_t ids[LV_REFS_MAX];
	unsigned count;
};

enum lv_kdf_kind { LV_KDF_OTHER, LV_KDF_PBKDF2, LV_KDF_ARGON2I, LV_KDF_ARGON2ID };

struct lv_kdf {
	enum lv_kdf_kind kind;
	char type[LV_NAME_MAX];
	char hash[LV_NAME_MAX];		/* pbkdf2 only */
	int64_t iterations;		/* pbkdf2 only */
	int64_t time_cost;		/* argon2 only */
	int64_t memory_kib;		/* argon2 only */
	int64_t cpus;			/* argon2 only */
	struct lv_blob salt;
};

struct lv_af {
	char type[LV_NAME_MAX];		/* "luks1" */
	char hash[LV_NAME_MAX];
	int64_t stripes;
};

struct lv_area {
	char type[LV_NAME_MAX];		/* "raw" for luks2 keyslots */
	uint64_t offset_bytes;
	uint64_t size_bytes;
	char encryption[LV_NAME_MAX];	/* raw areas only */
	int64_t key_size;		/* raw areas only */
};

enum lv_keyslot_kind { LV_KEYSLOT_OTHER, LV_KEYSLOT_LUKS2, LV_KEYSLOT_REENCRYPT };

#define LV_PRIORITY_IGNORE 0
#define LV_PRIORITY_NORMAL 1
#define LV_PRIORITY_PREFER 2

struct lv_keyslot {
	struct json_object *json;
	uint32_t id;
	enum lv_keyslot_kind kind;
	char type[LV_NAME_MAX];
	uint32_t key_size;
	int has_priority;
	int64_t priority;
	struct lv_kdf kdf;		/* luks2 only */
	struct lv_af af;		/* luks2 only */
	struct lv_area area;
};

struct lv_digest {
	struct json_object *json;
	uint32_t id;
	char type[LV_NAME_MAX];		/* "pbkdf2" */
	struct lv_id_list keyslots;
	struct lv_id_list segments;
	char hash[LV_NAME_MAX];
	int64_t iterations;
	struct lv_blob salt;
	struct lv_blob digest;
};

struct lv_segment {
	struct json_object *json;
	uint32_t id;
	char type[LV_NAME_MAX];		/* "crypt", "linear", ... */
	uint64_t offset_bytes;
	uint64_t size_bytes;		/* 0 when dynamic */
	int dynamic;
	int is_crypt;			/* crypt or hw-opal-crypt */
	uint64_t iv_tweak;
	char encryption[LV_NAME_MAX];
	uint32_t sector_size;
	int has_integrity;
	int is_backup;			/* a flag starts with "backup-" */
	int in_reencryption;
};

struct lv_token {
	struct json_object *json;
	uint32_t id;
	char type[LV_NAME_MAX];
	struct lv_id_list keyslots;
};

/* config.flags names (luks2-reference.md §1.5), in cryptsetup's order,
 * ending with { 0, NULL }. */
struct lv_flag_name {
	unsigned flag;		/* enum lv_activation_flag */
	const char *name;
};
extern const struct lv_flag_name lv_persistent_flag_names[];

struct lv_string_list {
	char items[LV_FLAGS_MAX][LV_NAME_MAX];
	unsigned count;
};

struct lv_config {
	struct json_object *json;
	uint64_t json_size;
	uint64_t keyslots_size;
	int has_flags;
	struct lv_string_list flags;
	unsigned persistent_flags;	/* enum lv_activation_flag bits */
	int has_requirements;
	int has_mandatory;
	struct lv_string_list mandatory;
	int unknown_requirement;	/* a mandatory string luksvol doesn't know */
	unsigned online_reencrypt_count;
};

struct lv_metadata {
	struct json_object *root;
	struct lv_keyslot keyslots[LV_KEYSLOTS_MAX];
	unsigned keyslot_count;
	struct lv_token tokens[LV_TOKENS_MAX];
	unsigned token_count;
	struct lv_digest digests[LV_DIGESTS_MAX];
	unsigned digest_count;
	struct lv_segment segments[LV_SEGMENTS_MAX];
	unsigned segment_count;
	struct lv_config config;
};

/* "online-reencrypt" or "online-reencrypt-vN": the one requirement
 * cryptsetup 2.6 knows how to meet. */
int lv_requirement_is_online_reencrypt(const char *flag);

/*
 * json_read.c: checks the JSON area byte rules (§1.4), parses it with
 * json-c and fills md.  Type errors are reported like validation errors.
 * json_end_bytes receives the offset just past the parsed JSON text.
 */
int lv_json_area_parse(const uint8_t *area, size_t area_len, struct json_object **root,
		       size_t *json_end_bytes, struct lv_err *err);
int lv_metadata_from_json(struct json_object *root, struct lv_metadata *md,
			  struct lv_err *err);
/* Parses tokens[key] alone (token import). */
int lv_metadata_token_from_json(struct json_object *tokens, const char *key,
				struct lv_token *token, struct lv_err *err);
/* Deletes kdf keys that do not belong to the kdf type (§1.6 K7).
 * Returns the number of keys removed. */
unsigned lv_metadata_repair_kdf(struct json_object *root);
void lv_metadata_free(struct lv_metadata *md);

/* The nine metadata sizes (binary header + JSON area) LUKS2 allows:
 * 16 KiB to 4 MiB, powers of two (spec Table 1). */
int lv_metadata_size_allowed(uint64_t metadata_bytes);

/* validate.c: every cross-object rule of §1.6, given hdr_size of the copy. */
int lv_metadata_validate(const struct lv_metadata *md, uint64_t hdr_size,
			 struct lv_err *err);

/* json_write.c: a new JSON tree from md (typed members win, unknown
 * fields of each parsed object pass through). */
int lv_metadata_to_json(const struct lv_metadata *md, struct json_object **root);

/* Lookups by on-disk id; NULL when absent. */
const struct lv_keyslot *lv_md_keyslot(const struct lv_metadata *md, uint32_t id);
const struct lv_segment *lv_md_segment(const struct lv_metadata *md, uint32_t id);
/* The lowest offset of a segment that is not a backup, 0 with none
 * (cryptsetup's LUKS2_get_data_offset). */
uint64_t lv_md_data_offset(const struct lv_metadata *md);
const struct lv_digest *lv_md_digest_of_keyslot(const struct lv_metadata *md, uint32_t id);

/* base64.c: RFC 4648 base64, as json-c strings carry it in LUKS2. */
int lv_base64_decode(const char *text, uint8_t *out, size_t out_max, size_t *out_len);
size_t lv_base64_encoded_len(size_t len);
void lv_base64_encode(const uint8_t *in, size_t len, char *out);

#endif
