/* SPDX-License-Identifier: ISC */
/*
 * cfg_internal.h: what the files of src/config share: the YAML node tree,
 * the diagnostics list, the schema walker, and the private per-document
 * structs that keep every parsed field with its position in the file.
 * talos-encryption.md §1 is the schema.
 */
#ifndef LV_CFG_INTERNAL_H
#define LV_CFG_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

/* Limits on untrusted input; each one has its own diagnostic. */
#define CFG_MAX_INPUT_BYTES (8u << 20)
#define CFG_MAX_DEPTH 64
#define CFG_MAX_NODES 500000
#define CFG_MAX_ANCHORS 1024
#define CFG_MAX_DOCUMENTS 4096
#define CFG_MAX_VISITS 1000000
#define CFG_MAX_ERRORS 1000
#define CFG_PATH_MAX 256

/* 1-based, as editors count. */
struct cfg_mark {
	unsigned line, column;
};

/* ---- yaml_tree.c: the YAML stream as a tree of nodes ---- */

enum cfg_node_type {
	CFG_NODE_SCALAR,
	CFG_NODE_MAPPING,
	CFG_NODE_SEQUENCE,
	CFG_NODE_ALIAS,
};

/* How a scalar resolves (YAML 1.2 core schema, as go-yaml v3 reads it). */
enum cfg_scalar_type {
	CFG_SCALAR_NULL,
	CFG_SCALAR_BOOL,
	CFG_SCALAR_INT,
	CFG_SCALAR_FLOAT,
	CFG_SCALAR_STR,
};

struct cfg_node {
	enum cfg_node_type type;
	struct cfg_mark mark;
	enum cfg_scalar_type scalar_type;	/* scalars */
	int plain;				/* scalars: unquoted and untagged */
	const char *value;			/* scalars: NUL-terminated */
	size_t len;
	struct cfg_node **items;		/* mapping: key, value, ...; sequence: items */
	size_t count;
	size_t capacity;
	struct cfg_node *target;		/* aliases */
};

struct cfg_arena;

struct cfg_tree {
	struct cfg_node **docs;			/* one root per document */
	size_t doc_count;
	size_t doc_capacity;
	struct cfg_node **nodes;		/* every node, for freeing */
	size_t node_count;
	size_t node_capacity;
	struct cfg_arena *arena;		/* scalar bytes, in locked memory */
};

struct cfg_ctx;

/* Builds the tree; a syntax error or a limit becomes one diagnostic and
 * -EINVAL.  -ENOMEM otherwise fails. */
int cfg_tree_load(struct cfg_ctx *ctx, const uint8_t *buf, size_t len, struct cfg_tree *tree);
void cfg_tree_free(struct cfg_tree *tree);
/* How a plain scalar's text resolves; also used to decide quoting on output. */
enum cfg_scalar_type cfg_resolve_plain(const char *text, size_t len);

/* ---- diag.c: errors and notices with their positions ---- */

struct cfg_diag {
	struct cfg_mark mark;
	size_t seq;
	char *text;
};

struct cfg_diags {
	struct cfg_diag *items;
	size_t count;
	size_t capacity;
};

struct cfg_ctx {
	const char *file;
	struct cfg_diags errors;
	struct cfg_diags notices;
	size_t seq;
	int oom;
	int aborted;				/* a limit was hit: stop walking */
	size_t visits;
	char path[CFG_PATH_MAX];
	size_t path_len;
};

void cfg_error(struct cfg_ctx *ctx, struct cfg_mark mark, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void cfg_notice(struct cfg_ctx *ctx, struct cfg_mark mark, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* "FILE:LINE:COL: text" lines sorted by position, joined by newlines;
 * notices get "notice: " before the text.  NULL on OOM. */
char *cfg_diags_join(const struct cfg_ctx *ctx, const struct cfg_diags *diags, int notice);
void cfg_ctx_release(struct cfg_ctx *ctx);
/* Copies text for a message: double quotes escaped, cut at 48 bytes.
 * Everything else a terminal could act on is escaped by cfg_escape when
 * the message is printed, whatever the message. */
void cfg_quote(char *out, size_t out_size, const char *text, size_t len);
/* Writes text with every byte a terminal could act on escaped, the one
 * escaping of config-derived text in diagnostics (cfg_diags_join): C0
 * controls, DEL, C1 controls and bytes that are not UTF-8 as \xNN, the
 * backslash as \\ (so an escape is never mistaken for the byte). */
void cfg_escape(FILE *out, const char *text);

/* ---- walk.c: mappings against field tables, typed scalars ---- */

typedef void (*cfg_field_fn)(struct cfg_ctx *ctx, const struct cfg_node *key,
			     const struct cfg_node *value, void *target);

struct cfg_field {
	const char *name;
	cfg_field_fn parse;
};

/* Follows aliases.  Every node a walk reaches counts against
 * CFG_MAX_VISITS, which bounds what aliases can expand to. */
const struct cfg_node *cfg_deref(struct cfg_ctx *ctx, const struct cfg_node *node);
int cfg_is_null(const struct cfg_node *node);
/* Walks a mapping (a null value is an empty mapping): every key must be
 * a field, once.  Returns 1 when node was a mapping. */
int cfg_walk_mapping(struct cfg_ctx *ctx, const struct cfg_node *node,
		     const struct cfg_field *fields, size_t field_count, void *target);
/* Calls item for every element of a sequence (a null value is empty);
 * the path gets "[i]".  Returns the item count, or -1 for a non-sequence. */
typedef void (*cfg_item_fn)(struct cfg_ctx *ctx, size_t index, const struct cfg_node *item,
			    void *target);
long cfg_walk_sequence(struct cfg_ctx *ctx, const struct cfg_node *node, const char *type,
		       cfg_item_fn item, void *target);
size_t cfg_path_push(struct cfg_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void cfg_path_pop(struct cfg_ctx *ctx, size_t saved);
/* "<path>: cannot unmarshal !!tag `value` into type". */
void cfg_type_error(struct cfg_ctx *ctx, const struct cfg_node *node, const char *type);
const char *cfg_tag_name(const struct cfg_node *node);

/* ---- typed values: each records where it was written ---- */

struct cfg_bool {
	int set;
	int value;
	struct cfg_mark mark;
};

struct cfg_int {
	int set;
	int64_t value;
	struct cfg_mark mark;
};

struct cfg_uint {
	int set;
	uint64_t value;
	struct cfg_mark mark;
};

struct cfg_string {
	char *value;			/* NULL when absent or null */
	struct cfg_mark mark;
};

/* ByteSize, or Size (bytes or a percentage) as Talos reads them. */
struct cfg_size {
	int set;
	int negative;
	int relative;			/* a percentage */
	uint64_t value;
	char *raw;			/* as written, printed back as is */
	struct cfg_mark mark;
};

struct cfg_duration {
	int set;
	int64_t ns;
	char *raw;
	struct cfg_mark mark;
};

/* A mapping field: present when written with a non-null value. */
struct cfg_section {
	int present;
	struct cfg_mark mark;		/* of its key */
	int decode_errors;		/* a type or unknown-key error inside: the
					 * checks that read it are skipped */
};

/* An enum read by name, case-insensitively (Talos's enumer types). */
struct cfg_enum {
	int set;
	int value;
	struct cfg_mark mark;
};

void cfg_get_bool(struct cfg_ctx *ctx, const struct cfg_node *value, struct cfg_bool *out);
void cfg_get_int(struct cfg_ctx *ctx, const struct cfg_node *value, struct cfg_int *out);
void cfg_get_uint(struct cfg_ctx *ctx, const struct cfg_node *value, struct cfg_uint *out);
void cfg_get_string(struct cfg_ctx *ctx, const struct cfg_node *value, struct cfg_string *out);
void cfg_get_secret(struct cfg_ctx *ctx, const struct cfg_node *value, struct lv_secret **out,
		    struct cfg_mark *mark);
void cfg_get_enum(struct cfg_ctx *ctx, const struct cfg_node *value, const char *const *names,
		  size_t name_count, const char *type_name, struct cfg_enum *out);
void cfg_section_mark(struct cfg_section *section, const struct cfg_node *key,
		      const struct cfg_node *value);
/* cfg_section_mark, then cfg_walk_mapping, noting errors found inside. */
void cfg_walk_section(struct cfg_ctx *ctx, const struct cfg_node *key, const struct cfg_node *value,
		      struct cfg_section *section, const struct cfg_field *fields,
		      size_t field_count, void *target);
/* A type error that does not quote the value (it may be a passphrase). */
void cfg_type_error_hidden(struct cfg_ctx *ctx, const struct cfg_node *node, const char *type);

/* ---- scalars.c: Talos's text formats ---- */

/* humanize.ParseBytes with Talos's leading "-"; on failure writes the
 * Go error text to msg and returns -1. */
int cfg_parse_byte_size(const char *text, struct cfg_size *out, char *msg, size_t msg_size);
/* Size: a percentage when the text holds "%", else a ByteSize. */
int cfg_parse_size(const char *text, struct cfg_size *out, char *msg, size_t msg_size);
/* time.ParseDuration. */
int cfg_parse_duration(const char *text, int64_t *ns, char *msg, size_t msg_size);
void cfg_get_byte_size(struct cfg_ctx *ctx, const struct cfg_node *value, struct cfg_size *out);
void cfg_get_size(struct cfg_ctx *ctx, const struct cfg_node *value, struct cfg_size *out);
void cfg_get_duration(struct cfg_ctx *ctx, const struct cfg_node *value, struct cfg_duration *out);

/* ---- the private document ---- */

enum cfg_provider {
	CFG_PROVIDER_NONE = 0,		/* Talos's EncryptionProviderNone */
	CFG_PROVIDER_LUKS2 = 1,
};

struct cfg_tpm {
	struct cfg_section options;
	int64_t *pcrs;
	struct cfg_mark *pcr_marks;
	size_t pcr_count;
	int pcrs_listed;		/* pcrs: a sequence, even [] (not null): Talos's
					 * JSON in META tells the two apart */
	struct cfg_bool check_secureboot;
};

/* One keys[] entry; kinds has bit (1 << enum lv_key_kind) per kind set. */
struct cfg_key {
	struct cfg_mark mark;
	int decode_errors;		/* its checks are skipped */
	struct cfg_int slot;
	unsigned kinds;
	struct cfg_mark kind_marks[LV_KEY_KIND_COUNT];
	struct lv_secret *passphrase;
	struct cfg_mark passphrase_mark;
	struct cfg_string kms_endpoint;
	struct cfg_tpm tpm;
	struct cfg_string tang_url, tang_thumbprint;
	struct cfg_bool lock_to_state;
	struct cfg_mark lock_alias_mark;	/* lockToSTATE, when used */
	int lock_alias_used;
};

struct cfg_encryption {
	struct cfg_section section;
	struct cfg_enum provider;
	struct cfg_section keys_section;
	struct cfg_key *keys;
	size_t key_count;
	struct cfg_string cipher;
	struct cfg_uint key_size;
	struct cfg_uint block_size;
	struct cfg_string *options;
	size_t option_count;
	int options_listed;		/* options: a sequence, even [] (not null) */
	struct cfg_bool allow_discards;
	int provider_defaulted;		/* provider omitted, keys present: luks2 */
};

struct cfg_provisioning {
	struct cfg_section section;
	struct cfg_section selector;
	struct cfg_string match;
	struct cfg_bool grow;
	struct cfg_size min_size;
	struct cfg_size max_size;
};

struct cfg_filesystem {
	struct cfg_section section;
	struct cfg_enum type;
	struct cfg_bool project_quota;
	struct cfg_section xfs;
	struct cfg_size xfs_min_ag_size;
};

struct cfg_mount {
	struct cfg_section section;
	struct cfg_bool secure;
	struct cfg_bool disable_atime;
};

/* trim and scrub. */
struct cfg_periodic {
	struct cfg_section section;
	struct cfg_bool enabled;
	struct cfg_duration interval;
};

struct cfg_doc {
	enum lv_volume_kind kind;
	struct cfg_mark mark;
	struct cfg_string name;
	struct cfg_enum volume_type;
	struct cfg_provisioning provisioning;
	struct cfg_filesystem filesystem;
	struct cfg_encryption encryption;
	struct cfg_mount mount;
	struct cfg_periodic trim;
	struct cfg_periodic scrub;
};

/* Filesystem and volume type names, in Talos's enum order. */
enum cfg_fs_type {
	CFG_FS_NONE, CFG_FS_XFS, CFG_FS_VFAT, CFG_FS_EXT4, CFG_FS_ISO9660, CFG_FS_SWAP,
	CFG_FS_VIRTIOFS, CFG_FS_BTRFS,
};
enum cfg_volume_type {
	CFG_VT_PARTITION, CFG_VT_DISK, CFG_VT_TMPFS, CFG_VT_DIRECTORY, CFG_VT_SYMLINK,
	CFG_VT_OVERLAY, CFG_VT_EXTERNAL,
};
extern const char *const cfg_fs_type_names[8];
extern const char *const cfg_volume_type_names[7];
extern const char *const cfg_provider_names[2];

/* parse_volume.c, parse_encryption.c */
void cfg_parse_doc(struct cfg_ctx *ctx, const struct cfg_node *root, struct cfg_doc *doc);
void cfg_parse_encryption(struct cfg_ctx *ctx, const struct cfg_node *key,
			  const struct cfg_node *value, void *target);
void cfg_doc_release(struct cfg_doc *doc);

/* validate.c, validate_encryption.c */
void cfg_validate_doc(struct cfg_ctx *ctx, struct cfg_doc *doc);
void cfg_validate_encryption(struct cfg_ctx *ctx, struct cfg_encryption *enc);
int cfg_encryption_zero(const struct cfg_encryption *enc);
/* The kind Talos uses for a key: the first of static, nodeID, kms, tpm. */
int cfg_key_kind(const struct cfg_key *key);

/* documents.c: the stream, document by document. */
struct cfg_stream {
	struct cfg_doc *docs;
	size_t doc_count;
	int legacy_state;		/* machine.systemDiskEncryption.state set */
	int legacy_ephemeral;
};
int cfg_read_stream(struct cfg_ctx *ctx, const struct cfg_tree *tree, struct cfg_stream *stream);
void cfg_stream_release(struct cfg_stream *stream);

/* config.c: the config out of validated documents, or every error. */
int cfg_build_config(struct cfg_ctx *ctx, struct cfg_stream *stream, struct lv_config_file **out,
		     struct lv_err *err);
int cfg_report_errors(struct cfg_ctx *ctx, char **diagnostics, struct lv_err *err);

/* export.c: the validated documents as the public structs. */
int cfg_export(struct cfg_stream *stream, struct lv_config_file *cfg);
const struct cfg_doc *cfg_volume_doc(const struct lv_config_volume *vol);

/* Cipher names and the key sizes each takes (talos-encryption.md §1.1). */
const char *cfg_effective_cipher(const struct cfg_encryption *enc);
uint32_t cfg_default_key_bits(const char *cipher);
/* The LV_FLAG_* bit of a perf option name, 0 when it is none; and back. */
unsigned cfg_perf_flag(const char *name);
const char *cfg_perf_name(unsigned flag);

#endif
