/* SPDX-License-Identifier: ISC */
/*
 * luksvol.h: the luksvol library API, used by the `luksvol` command.
 * luksvol_features.h (installed beside it) says what the build has.
 *
 * Errors.  Every call that can fail returns 0 or a negative errno and,
 * when given a struct lv_err, fills it with one line naming the device, the
 * object and the field.  The codes, the same for every call:
 *   -EINVAL    bad parameters (out of range, malformed), a bad config, or
 *              metadata that would be invalid if written
 *   -ENODEV    the device or file at the path given does not exist
 *   -ENOENT    the keyslot, token or segment named does not exist, or no
 *              keyslot could be tried
 *   -EBADMSG   no valid LUKS2 header: neither copy has a valid binary
 *              header, checksum and metadata (a backup file likewise)
 *   -ENODATA   the device ends before what its header describes: the
 *              metadata, the keyslots area or a keyslot's area
 *   -ENOSPC    no room: every keyslot or token id is taken, the keyslots
 *              area has no gap for a new area, or the JSON outgrows its area
 *   -EPERM     a passphrase or volume key did not verify
 *   -EEXIST    the keyslot or token id, file or mapping name is taken
 *   -EBUSY     the metadata lock is held (LV_LOAD_NONBLOCK), a writer
 *              that bypassed the lock changed the header, or a mapping is
 *              in use
 *   -ETXTBSY   unknown LUKS2 requirements forbid the operation
 *   -ENOTSUP   a feature this build or kernel lacks (an unsupported cipher)
 *   -EIO       an I/O error
 *   -ENOMEM    out of memory
 * The command maps them to cryptsetup's exit codes (README.md).
 *
 * Locking.  lv_device_load takes the metadata lock cryptsetup uses (flock
 * on the image file, or on /run/cryptsetup/L_<major>:<minor> for a block
 * device): shared for reading, exclusive with LV_LOAD_WRITABLE, held until
 * lv_device_free.  By default it waits for the lock; with LV_LOAD_NONBLOCK
 * it returns -EBUSY at once when another process holds it.
 *
 * Lifetimes.  A struct lv_device is used by one thread at a time.  Strings
 * and structs the getters return (lv_header_info, lv_keyslot_info,
 * lv_token_info, lv_segment_info, lv_device_warnings) point into the
 * device's metadata: they stay valid until the next call that writes the
 * device (any lv_keyslot_*, lv_token_*, lv_set_*, lv_erase) or
 * lv_device_free, and must be read again after it.  lv_device_path stays
 * valid until lv_device_free.  Secrets are passed as pointer and length and
 * are never copied into error messages.
 */
#ifndef LUKSVOL_H
#define LUKSVOL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define LV_ERR_MSG_MAX 512

struct lv_err {
	int code;
	char msg[LV_ERR_MSG_MAX];
};

/* The library's version, "MAJOR.MINOR.PATCH". */
const char *lv_version(void);

/* LUKS2 keyslots and tokens are numbered 0..31; dump shows those, unlock
 * and the free-slot searches look there (as cryptsetup's do). */
#define LV_KEYSLOT_COUNT 32
#define LV_TOKEN_COUNT 32

/*
 * Secret buffers: mlocked when possible, excluded from core dumps
 * (MADV_DONTDUMP), zeroed on allocation and wiped before release.
 * Passphrases and volume keys travel in these.
 */
struct lv_secret {
	uint8_t *bytes;
	size_t len;
};
struct lv_secret *lv_secret_new(size_t len);
/* Copies len bytes of src into a new secret. */
struct lv_secret *lv_secret_dup(const void *src, size_t len);
/* Wipes and frees *secret and sets it to NULL. NULL is accepted. */
void lv_secret_free(struct lv_secret **secret);
/* 1 when both hold the same bytes, compared in constant time. */
int lv_secret_equal(const struct lv_secret *a, const struct lv_secret *b);

/* An opened LUKS2 device: its storage, both header copies, the metadata. */
struct lv_device;

enum lv_load_flags {
	LV_LOAD_WRITABLE = 1 << 0,  /* open read-write, lock, recover a bad copy */
	LV_LOAD_REPAIR = 1 << 1,    /* with WRITABLE: recover even beside other signatures */
	LV_LOAD_NONBLOCK = 1 << 2,  /* -EBUSY instead of waiting for the metadata lock */
};

/* Result of probing for a LUKS signature. */
enum lv_luks_version {
	LV_NOT_LUKS = 0,
	LV_LUKS1 = 1,
	LV_LUKS2 = 2,
};

/* Reads the magic and version at offset 0 (and the LUKS2 secondary
 * offsets), without validating anything else. */
int lv_probe(const char *path, enum lv_luks_version *version, struct lv_err *err);

/* Loads and validates the LUKS2 header of the file or block device at path
 * (locking: see the top of this file).  Warnings (a damaged copy,
 * stricter-than-cryptsetup findings) are kept in the device and can be read
 * with lv_device_warnings. */
int lv_device_load(struct lv_device **dev, const char *path, unsigned flags,
		   struct lv_err *err);

/* Same, over an in-memory image (tests and fuzzers). */
int lv_device_load_mem(struct lv_device **dev, uint8_t *image, size_t image_len,
		       unsigned flags, struct lv_err *err);

void lv_device_free(struct lv_device **dev);

/*
 * A device held for a decision such as "format it only when it is empty":
 * opened, and its metadata lock taken (exclusive when writable, shared
 * otherwise) before anything is read.  Probe it through the hold, then
 * format or load it through the hold: those take the hold over (*hold is
 * NULL afterwards, on failure too) and the device they make keeps the lock
 * until lv_device_free, so no other luksvol or cryptsetup writer can
 * format or change it between the probe and the end of the work.
 */
struct lv_device_hold;
int lv_device_hold(const char *path, int writable, struct lv_device_hold **hold,
		   struct lv_err *err);
/* The held descriptor, for probes (libblkid) of exactly what is locked. */
int lv_device_hold_fd(const struct lv_device_hold *hold);
/* lv_probe of the held device. */
int lv_device_hold_probe(struct lv_device_hold *hold, enum lv_luks_version *version);
/* lv_device_load of the held device; LV_LOAD_WRITABLE needs a writable hold. */
int lv_device_load_held(struct lv_device_hold **hold, unsigned flags, struct lv_device **dev,
			struct lv_err *err);
/* Releases a hold that was not taken over; NULL is accepted. */
void lv_device_hold_release(struct lv_device_hold **hold);

/* Newline-separated warnings gathered at load, or "" when none. */
const char *lv_device_warnings(const struct lv_device *dev);

/* Human-readable dump with the facts of `cryptsetup luksDump`. */
int lv_dump(struct lv_device *dev, FILE *out, struct lv_err *err);

/* The metadata JSON, pretty-printed like `cryptsetup luksDump
 * --dump-json-metadata`. */
int lv_dump_json(struct lv_device *dev, FILE *out, struct lv_err *err);

/*
 * Keyslots.  A passphrase is any byte string (struct lv_secret).
 */
#define LV_ANY_SLOT (-1)

/* KDF and area-cipher choice for a new keyslot.  Zero fields take
 * cryptsetup's defaults: argon2id, sha256, 2000 ms, 1 GiB (capped at half
 * the RAM), 4 threads (capped at the online CPUs); the area in the data
 * segment's cipher when the crypto backend runs it, else aes-xts-plain64
 * with a 512-bit key. */
struct lv_pbkdf_params {
	const char *type;		/* "pbkdf2", "argon2i", "argon2id" */
	const char *hash;		/* pbkdf2 hash and AF hash */
	uint32_t iter_time_ms;		/* benchmark target */
	uint32_t forced_iterations;	/* pbkdf2 iterations or argon2 time cost */
	uint32_t memory_kib;
	uint32_t parallel;
	/* The keyslot area's cipher and key size (`--keyslot-cipher`,
	 * `--keyslot-key-size`), both or neither: a dm-crypt spec the crypto
	 * backend runs, not cipher_null nor capi:; -ENOTSUP when it cannot,
	 * before anything is written. */
	const char *area_cipher;
	uint32_t area_key_bits;
};

/* Checks params' keyslot area cipher as a new keyslot would take it (none
 * given: 0): -EINVAL when malformed, the null cipher or capi:, -ENOTSUP
 * when the crypto backend cannot run it.  format, add and change make the
 * same check before writing; this lets a caller refuse before asking for
 * any passphrase. */
int lv_keyslot_cipher_check(const struct lv_pbkdf_params *params, struct lv_err *err);

/* Unlocks with passphrase: slot LV_ANY_SLOT tries keyslots of priority
 * "prefer", then "normal", skipping "ignore"; a named slot is tried alone.
 * -EPERM when no keyslot opens, -ENOENT when none can be tried. */
int lv_unlock(struct lv_device *dev, int slot, const struct lv_secret *passphrase,
	      struct lv_secret **volume_key, int *opened_slot, struct lv_err *err);

/* Adds a keyslot for new_passphrase holding volume_key (which must verify
 * against the device's digest).  slot LV_ANY_SLOT picks the lowest free. */
int lv_keyslot_add(struct lv_device *dev, int slot, const struct lv_secret *volume_key,
		   const struct lv_secret *new_passphrase,
		   const struct lv_pbkdf_params *pbkdf, int *added_slot, struct lv_err *err);

/* Destroys keyslot slot: its area is overwritten before the metadata
 * stops naming it. */
int lv_keyslot_kill(struct lv_device *dev, int slot, struct lv_err *err);

/* Re-encrypts the volume key of slot under new_passphrase, in a new area
 * when there is room, so a crash leaves the old or the new passphrase. */
int lv_keyslot_change(struct lv_device *dev, int slot, const struct lv_secret *volume_key,
		      const struct lv_secret *new_passphrase,
		      const struct lv_pbkdf_params *pbkdf, struct lv_err *err);

/* Whether keyslot slot exists (1) or not (0). */
int lv_keyslot_exists(const struct lv_device *dev, int slot);

/* A keyslot's state, as cryptsetup's crypt_keyslot_status: only keyslots
 * that hold the data segment's volume key count towards "the last one". */
enum lv_keyslot_status {
	LV_KEYSLOT_INACTIVE = 0,	/* no such keyslot */
	LV_KEYSLOT_ACTIVE,		/* holds the volume key; another keyslot does too */
	LV_KEYSLOT_ACTIVE_LAST,		/* the only keyslot holding the volume key */
	LV_KEYSLOT_UNBOUND,		/* holds another key (luksAddKey --unbound) */
};
enum lv_keyslot_status lv_keyslot_status(const struct lv_device *dev, int slot);

enum lv_keyslot_priority {
	LV_PRIORITY_IGNORE = 0,		/* tried only when named */
	LV_PRIORITY_NORMAL = 1,
	LV_PRIORITY_PREFER = 2,		/* tried first */
};

/* One keyslot, as dump shows it.  Enumerate with slot 0..LV_KEYSLOT_COUNT-1. */
struct lv_keyslot_info {
	const char *type;		/* "luks2", "reencrypt", or another */
	uint32_t key_bytes;		/* of the key it holds */
	int priority;			/* enum lv_keyslot_priority; others as read */
	int bound;			/* it holds the data segment's volume key */
	const char *cipher;		/* luks2: its area's cipher; else NULL */
	uint32_t cipher_key_bytes;	/* luks2: its area's key size */
	const char *kdf;		/* luks2: "pbkdf2", "argon2i", "argon2id", ...; else NULL */
	uint64_t area_offset_bytes;
	uint64_t area_bytes;
};
/* -ENOENT when keyslot slot does not exist. */
int lv_keyslot_info(const struct lv_device *dev, int slot, struct lv_keyslot_info *info);

struct lv_format_params {
	const char *cipher;		/* default aes-xts-plain64 */
	uint32_t key_bits;		/* default 512 for XTS, else 256 */
	uint32_t sector_size;		/* 0: as cryptsetup detects it */
	uint64_t metadata_bytes;	/* 0: 16 KiB */
	uint64_t keyslots_bytes;	/* 0: 16 MiB - 2 * metadata */
	uint64_t data_offset_bytes;	/* 0: after the keyslots, 1 MiB aligned */
	const char *label;
	const char *subsystem;
	const char *uuid;		/* NULL: random */
	int key_slot;			/* LV_ANY_SLOT: 0 */
	struct lv_pbkdf_params pbkdf;
	/* Non-NULL: path is a detached header, holding only the header area,
	 * for the data on this device from data_offset_bytes (default 0); the
	 * sector size is detected on it. */
	const char *data_device;
};

/* Formats path as LUKS2 with a fresh volume key and one keyslot for
 * passphrase.  Returns the loaded device in *dev when dev is non-NULL. */
int lv_format(const char *path, const struct lv_format_params *params,
	      const struct lv_secret *passphrase, struct lv_device **dev,
	      struct lv_err *err);
/* lv_format of the regular file or block device open read-write as fd
 * (the caller keeps fd), named name in messages: a file the caller has just
 * made is formatted without its name being looked up again. */
int lv_format_fd(int fd, const char *name, const struct lv_format_params *params,
		 const struct lv_secret *passphrase, struct lv_device **dev, struct lv_err *err);
/* lv_format of a device held writable (lv_device_hold), under its lock. */
int lv_format_held(struct lv_device_hold **hold, const struct lv_format_params *params,
		   const struct lv_secret *passphrase, struct lv_device **dev,
		   struct lv_err *err);

/* Tokens.  json_text is one JSON object with "type" and "keyslots";
 * token_id LV_ANY_SLOT takes the lowest free id. */
int lv_token_import(struct lv_device *dev, int token_id, const char *json_text,
		    int *imported_id, struct lv_err *err);
/* Imports json_text as token token_id, over the token of that id if there
 * is one, in one commit (`token import --token-replace`). */
int lv_token_replace(struct lv_device *dev, int token_id, const char *json_text,
		     struct lv_err *err);
/* The token as compact JSON in *json_text (free() it). */
int lv_token_export(struct lv_device *dev, int token_id, char **json_text,
		    struct lv_err *err);
int lv_token_remove(struct lv_device *dev, int token_id, struct lv_err *err);

/* One token.  Enumerate with token 0..LV_TOKEN_COUNT-1; its payload is in
 * lv_token_export's JSON. */
struct lv_token_info {
	const char *type;
	uint32_t keyslots;		/* bit n: the token names keyslot n */
	int known;			/* luksvol checks and dumps this type */
};
/* -ENOENT when token does not exist. */
int lv_token_info(const struct lv_device *dev, int token, struct lv_token_info *info);

/* The header as a whole. */
struct lv_header_info {
	const char *uuid;
	const char *label;		/* "" when none */
	const char *subsystem;		/* "" when none */
	uint64_t seqid;
	uint64_t metadata_bytes;	/* one copy: binary header and JSON area */
	uint64_t keyslots_bytes;
	uint64_t data_offset_bytes;	/* 0: a detached header */
	unsigned keyslot_count;		/* every keyslot the header holds, */
	unsigned token_count;		/* ids past 31 included */
	unsigned persistent_flags;	/* config.flags, enum lv_activation_flag */
	int unknown_requirements;	/* writes and activation are refused */
	int secondary_in_use;		/* the primary copy is damaged or stale */
	int other_copy_valid;
};
void lv_header_info(const struct lv_device *dev, struct lv_header_info *info);

/* Sets the label and/or subsystem (NULL leaves one unchanged). */
int lv_set_label(struct lv_device *dev, const char *label, const char *subsystem,
		 struct lv_err *err);

/* 1 when uuid has the 8-4-4-4-12 hex digit shape of a LUKS2 UUID. */
int lv_uuid_valid(const char *uuid);
/* Sets the header's UUID (`luksUUID --uuid`); -EINVAL when not lv_uuid_valid. */
int lv_set_uuid(struct lv_device *dev, const char *uuid, struct lv_err *err);
/* Sets keyslot slot's priority: 0 ignore, 1 normal, 2 prefer (`config
 * --priority`); -ENOENT when the keyslot is not in use. */
int lv_keyslot_set_priority(struct lv_device *dev, int slot, int priority, struct lv_err *err);

/* Writes the header area (both copies and the keyslots area) to a new
 * file, mode 0400, like `cryptsetup luksHeaderBackup`. */
int lv_header_backup(struct lv_device *dev, const char *backup_path, struct lv_err *err);
/* Checks backup_path as a LUKS2 header, then writes its header area to
 * path. */
int lv_header_restore(const char *path, const char *backup_path, struct lv_err *err);
/* Loads path, recovers a damaged copy even beside other signatures and
 * persists in-memory repairs; what `cryptsetup repair` does for LUKS2. */
int lv_repair(const char *path, struct lv_err *err);
/* Destroys every keyslot (a crypto-erase): areas first, then metadata. */
int lv_erase(struct lv_device *dev, struct lv_err *err);

/* dm-crypt activation flags; the same bits are the LUKS2 config.flags
 * names ("allow-discards", ...) when stored with --persistent. */
enum lv_activation_flag {
	LV_FLAG_ALLOW_DISCARDS = 1 << 0,
	LV_FLAG_SAME_CPU_CRYPT = 1 << 1,
	LV_FLAG_SUBMIT_FROM_CRYPT_CPUS = 1 << 2,
	LV_FLAG_NO_JOURNAL = 1 << 3,
	LV_FLAG_NO_READ_WORKQUEUE = 1 << 4,
	LV_FLAG_NO_WRITE_WORKQUEUE = 1 << 5,
	LV_FLAG_HIGH_PRIORITY = 1 << 6,
};

/* The data segment: the crypt segment with the lowest id that is not a
 * backup, whose digest checks the volume key. */
struct lv_segment_info {
	const char *type;		/* "crypt" (or "hw-opal-crypt") */
	const char *cipher;		/* dm-crypt's cipher spec, "aes-xts-plain64" */
	uint64_t offset_bytes;
	uint64_t size_bytes;		/* 0 when dynamic */
	int dynamic;			/* to the end of the device */
	uint32_t sector_size;
	int has_integrity;
	int has_flags;			/* the segment has "flags" (reencryption marks) */
	uint32_t digest_id;		/* the volume key's digest: names the keyring key */
	unsigned segment_count;		/* every segment; activation takes exactly one */
};
/* -ENOENT when the header has no crypt segment with a digest. */
int lv_segment_info(const struct lv_device *dev, struct lv_segment_info *info,
		    struct lv_err *err);

/* Replaces config.flags with the names of flags (`open --persistent`). */
int lv_set_persistent_flags(struct lv_device *dev, unsigned flags, struct lv_err *err);

/*
 * dm-crypt activation (src/dm): the table cryptsetup would load, the key
 * handed over in the kernel keyring, DM UUID CRYPT-LUKS2-<uuid>-<name>.
 */
struct lv_activate_params {
	const char *name;		/* the mapping: /dev/mapper/<name> */
	const char *data_device;	/* NULL: dev's own; else dev is a detached header */
	int readonly;
	unsigned flags;			/* enum lv_activation_flag; config.flags are added */
	int disable_keyring;		/* hex key in the table instead of a keyring key */
	unsigned udev_timeout_ms;	/* wait for udev's node; 0: 10 s */
};
/* -EEXIST when the name is taken (left untouched), -ETXTBSY for unknown
 * requirements, -EINVAL for a null or unparsable cipher. */
int lv_activate(struct lv_device *dev, const struct lv_secret *volume_key,
		const struct lv_activate_params *params, struct lv_err *err);
/* -EBUSY when the mapping is open; deferred removes it at last close. */
int lv_deactivate(const char *name, int deferred, struct lv_err *err);
/* Attaches path (an image file or a block device) to a free loop device,
 * read-only when readonly is set, with autoclear: the loop device goes
 * away when its last user closes it.  Sets loop_path ("/dev/loopN") and
 * *loop_fd, which holds it until the caller has put it in use (a mount, a
 * mapping) and closes it. */
int lv_loop_open(const char *path, int readonly, char *loop_path, size_t loop_path_size,
		 int *loop_fd, struct lv_err *err);

struct lv_mapping_status {
	char name[128];
	char type[16];			/* "LUKS2" from the DM UUID, or "" */
	char dm_uuid[130];
	char cipher[128];
	uint32_t key_bits;
	int key_in_keyring;
	char device[64];		/* /dev/loop0, or major:minor */
	char loop_file[256];		/* backing file of a loop device, or "" */
	uint64_t iv_offset;
	uint64_t offset_sectors;
	uint64_t size_sectors;
	uint32_t sector_size;
	int readonly;
	int open_count;
	unsigned flags;			/* enum lv_activation_flag */
	int suspended;			/* luksSuspend'ed: I/O waits, the key is wiped */
};
/* Calls visit with the name of every device-mapper device. */
int lv_mapping_list(void (*visit)(const char *name, void *ctx), void *ctx, struct lv_err *err);

/* -ENODEV when there is no such mapping; -EINVAL when it is not crypt. */
int lv_mapping_status(const char *name, struct lv_mapping_status *status, struct lv_err *err);

/*
 * Changes to a live mapping, as cryptsetup 2.6.1 makes them (resize,
 * refresh, luksSuspend, luksResume).  dev is the LUKS2 header of the
 * mapping's device and volume_key comes from lv_unlock of it.  Each call
 * checks that the mapping is dev's (DM UUID, device, cipher, offset,
 * sector size) and returns -EINVAL when not, -ENODEV when there is no
 * such mapping.  A reload loads the new table and resumes: the kernel
 * suspends the device, flushing it, swaps the tables and resumes it.
 */

/* Reloads the live table with length size_sectors (512-byte units); 0
 * means up to the end of the device, whose loop device (if it is one)
 * first re-reads its backing file's size.  volume_key may be NULL when the
 * live table holds a hex key; a keyring key needs it (-EPERM without).
 * -EINVAL when the size is past the device, past a fixed-size segment or
 * not a multiple of the sector size.  The same size changes nothing. */
int lv_mapping_resize(struct lv_device *dev, const struct lv_secret *volume_key,
		      const char *name, uint64_t size_sectors, struct lv_err *err);

/* Reloads the table of params->name as activation would build it now:
 * params->flags (config.flags added) replace the live flags, the length
 * follows the device; the live read-only state is kept. */
int lv_mapping_refresh(struct lv_device *dev, const struct lv_secret *volume_key,
		       const struct lv_activate_params *params, struct lv_err *err);

/* Suspends a LUKS mapping (flushing it) and wipes its key from dm-crypt
 * ("key wipe"); I/O waits until lv_mapping_resume.  -ENODEV when it is
 * not a LUKS mapping, -EINVAL when it is already suspended. */
int lv_mapping_suspend(const char *name, struct lv_err *err);

/* Gives a suspended mapping its key back ("key set", through the kernel
 * keyring unless disable_keyring) and resumes it.  -EINVAL when it is not
 * suspended. */
int lv_mapping_resume(struct lv_device *dev, const struct lv_secret *volume_key,
		      const char *name, int disable_keyring, struct lv_err *err);

/* The path the device was loaded from. */
const char *lv_device_path(const struct lv_device *dev);

/* The volume key size in bytes of the device's first segment's digest. */
uint32_t lv_volume_key_bytes(const struct lv_device *dev);

/*
 * Unlocking with tokens (`open --token-only`, src/unlock): a token of a
 * type luksvol can unlock with yields the passphrase of the keyslot it
 * names: "clevis" (pins tang, tpm2, sss; WITH_CLEVIS) and "systemd-tpm2"
 * (WITH_TPM).  Other types are passed over, as cryptsetup passes over a
 * token without a plugin.
 */
struct lv_token_unlock_params {
	int token_id;			/* LV_ANY_SLOT: every token, in id order */
	const char *token_type;		/* NULL: any type luksvol can unlock with */
	unsigned timeout_ms;		/* per network request (tang); 0: 10000 */
	const char *tpm_tcti;		/* NULL: /dev/tpmrm0, else /dev/tpm0 */
	const char *pcr_signature;	/* systemd-tpm2 signed policies; NULL:
					 * /run/systemd/tpm2-pcr-signature.json */
	/* Asked for the PIN of a token that needs one (systemd-tpm2 with
	 * tpm2-pin), with no lock held and nothing loaded in the TPM, and
	 * only once the TPM has found the token's PCR policy met: 0 and
	 * *pin, or a negative errno.  NULL: such tokens fail with -ENOANO. */
	int (*ask_pin)(void *ctx, int token_id, const char *type, struct lv_secret **pin,
		       struct lv_err *err);
	void *ask_ctx;
	/* Told about each token tried, in id order: r is 0 when it opened
	 * keyslot, else its error (err).  May be NULL. */
	void (*tried)(void *ctx, int token_id, const char *type, int keyslot, int r,
		      const struct lv_err *err);
	void *tried_ctx;
};

/*
 * Loads path with flags and unlocks it with the first token, in id order,
 * whose passphrase opens the keyslot it names.  The tokens are read, then
 * the device is let go while their passphrases are fetched (a tang server,
 * the TPM, a PIN asked), then loaded again for each keyslot tried.
 * -ENOENT when no token luksvol can unlock with is there (of params'
 * token_id and token_type); -EPERM when tokens were tried and none opened
 * its keyslot (each said why through tried).
 */
int lv_token_open(const char *path, unsigned flags, const struct lv_token_unlock_params *params,
		  struct lv_device **dev, struct lv_secret **volume_key, int *keyslot,
		  int *token_id, struct lv_err *err);

/* Destroys keyslot slot and then every token that names it alone (its
 * clevis or systemd-tpm2 binding), as `clevis luks unbind` does;
 * *removed_tokens gets their ids as a bit mask.  -ENOENT when the keyslot
 * is not active or no token names it alone. */
int lv_keyslot_unbind(struct lv_device *dev, int slot, unsigned *removed_tokens,
		      struct lv_err *err);

/* The Talos-style volume config and `apply` (src/config, src/talos) have
 * their own header: luksvol-talos.h. */

/* The library's own sources see its internal helpers too (built with
 * -DLV_BUILDING_LIBRARY); they are neither API nor exported. */
#ifdef LV_BUILDING_LIBRARY
#include "base/lv_internal.h"
#endif

#endif
