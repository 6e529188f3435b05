/* SPDX-License-Identifier: ISC */
/* cli.h: the `luksvol` command: verbs, options and exit codes. */
#ifndef LV_CLI_H
#define LV_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "luksvol.h"

#define CLI_POSITIONAL_MAX 4
#define CLI_DEVICES_MAX 64

/* Exit codes, as cryptsetup's (README.md "Exit codes"). */
enum cli_exit {
	EXIT_OK = 0,
	EXIT_BAD_PARAM = 1,
	EXIT_NO_PERM = 2,
	EXIT_NO_MEM = 3,
	EXIT_WRONG_DEVICE = 4,
	EXIT_BUSY = 5,
};

/*
 * Every option the command knows (options.c describes each).  A verb
 * accepts the ones its table entry lists (verbs.c), plus -v, -q and --help;
 * any other is refused naming the option and the verb.
 */
enum cli_opt {
	OPT_END = 0,
	OPT_HELP, OPT_VERBOSE, OPT_BATCH,
	OPT_JSON, OPT_TEST_PASSPHRASE, OPT_VOLUME_KEY,
	OPT_KEY_FILE, OPT_KEYFILE_SIZE, OPT_KEYFILE_OFFSET, OPT_NEW_KEY_FILE, OPT_NEW_KEYFILE_SIZE,
	OPT_KEY_SLOT,
	OPT_CIPHER, OPT_KEY_SIZE, OPT_SECTOR_SIZE, OPT_METADATA_SIZE, OPT_KEYSLOTS_SIZE, OPT_OFFSET,
	OPT_UUID, OPT_LABEL, OPT_SUBSYSTEM,
	OPT_PBKDF, OPT_HASH, OPT_ITER_TIME, OPT_PBKDF_MEMORY, OPT_PBKDF_PARALLEL,
	OPT_PBKDF_FORCE_ITERATIONS, OPT_KEYSLOT_CIPHER, OPT_KEYSLOT_KEY_SIZE,
	OPT_TOKEN_ID, OPT_JSON_FILE, OPT_BACKUP_FILE, OPT_HEADER,
	OPT_READONLY, OPT_ALLOW_DISCARDS, OPT_SAME_CPU_CRYPT, OPT_SUBMIT_FROM_CRYPT_CPUS,
	OPT_NO_READ_WORKQUEUE, OPT_NO_WRITE_WORKQUEUE, OPT_PERSISTENT, OPT_DISABLE_KEYRING,
	OPT_DEFERRED, OPT_SIZE, OPT_DEVICE_SIZE,
	OPT_FILE, OPT_DEVICE, OPT_NODE_UUID, OPT_STATE_DIR, OPT_NO_ACTIVATE, OPT_NO_SYNC, OPT_DRY_RUN, OPT_YES,
	OPT_TOKEN_ONLY, OPT_TOKEN_TYPE, OPT_TPM_TCTI, OPT_TPM_PCR_PUBLIC_KEY, OPT_TPM_PCR_SIGNATURE,
	OPT_EFIVARS_DIR, OPT_KMS_CA, OPT_TIMEOUT, OPT_URL, OPT_THUMBPRINT, OPT_PCRS, OPT_PCR_BANK,
	OPT_PIN_CONFIG,
	OPT_META, OPT_FORCE_META, OPT_VALUE_FILE, OPT_SHOW_SECRETS, OPT_DISK,
	OPT_VERSION, OPT_KEY_DESCRIPTION, OPT_TOKEN_REPLACE,
	OPT_COUNT
};

/* Option groups, for the verb tables. */
#define CLI_KEY_OPTS OPT_KEY_FILE, OPT_KEYFILE_SIZE, OPT_KEYFILE_OFFSET
#define CLI_NEW_KEY_OPTS OPT_NEW_KEY_FILE, OPT_NEW_KEYFILE_SIZE
#define CLI_PBKDF_OPTS OPT_PBKDF, OPT_HASH, OPT_ITER_TIME, OPT_PBKDF_MEMORY, OPT_PBKDF_PARALLEL, \
	OPT_PBKDF_FORCE_ITERATIONS
/* A new keyslot: its KDF and its area cipher. */
#define CLI_KEYSLOT_OPTS CLI_PBKDF_OPTS, OPT_KEYSLOT_CIPHER, OPT_KEYSLOT_KEY_SIZE
#define CLI_FORMAT_OPTS OPT_CIPHER, OPT_KEY_SIZE, OPT_SECTOR_SIZE, OPT_METADATA_SIZE, \
	OPT_KEYSLOTS_SIZE, OPT_OFFSET, OPT_UUID, OPT_LABEL, OPT_SUBSYSTEM
/* Reaching a token's key: its servers, its TPM. */
#define CLI_TOKEN_KEY_OPTS OPT_TPM_TCTI, OPT_TIMEOUT
#define CLI_ACTIVATION_OPTS OPT_READONLY, OPT_ALLOW_DISCARDS, OPT_SAME_CPU_CRYPT, \
	OPT_SUBMIT_FROM_CRYPT_CPUS, OPT_NO_READ_WORKQUEUE, OPT_NO_WRITE_WORKQUEUE, \
	OPT_PERSISTENT, OPT_DISABLE_KEYRING

struct cli_key_source {
	const char *path;		/* NULL: terminal prompt or piped stdin */
	uint64_t size_limit;		/* --keyfile-size; 0: whole file, up to 8 MiB */
	uint64_t offset;		/* --keyfile-offset */
};

struct cli_opts {
	int json;
	int verbose;
	int batch;
	int test_passphrase;
	int volume_key;
	int key_slot;			/* LV_ANY_SLOT unless -S */
	int token_id;			/* LV_ANY_SLOT unless --token-id */
	int token_only;			/* open: with tokens, not a passphrase */
	const char *token_type;
	unsigned timeout_ms;		/* per network server; 0: 10 s */
	const char *url;		/* bind tang */
	const char *thumbprint;		/* bind tang: NULL: ask */
	const char *pcrs;		/* bind tpm2: "0,7"; "": no PCR policy */
	const char *pcr_bank;		/* bind tpm2: NULL: sha256 */
	const char *pin_config;		/* bind sss: clevis's JSON config */
	struct cli_key_source key;	/* existing passphrase */
	struct cli_key_source new_key;	/* passphrase being set */
	int readonly;
	int persistent;
	int disable_keyring;
	int deferred;
	uint64_t size_sectors;		/* resize --size, or --device-size / 512 */
	unsigned activation_flags;	/* enum lv_activation_flag */
	const char *json_file;
	const char *backup_file;
	/* --header H: positional[0] is then H, and data_device the DEVICE
	 * argument the header describes. */
	const char *header;
	const char *data_device;
	const char *label;
	const char *subsystem;
	struct lv_format_params format;	/* format and pbkdf options */
	const char *devices[CLI_DEVICES_MAX + 1];	/* apply --device, NULL-terminated */
	int device_count;
	const char *config_file;		/* -f, --file: the volume config YAML */
	const char *node_uuid;
	const char *state_dir;
	const char *tpm_tcti;			/* apply's tpm keys, open's and bind's tokens */
	const char *tpm_pcr_public_key;
	const char *tpm_pcr_signature;		/* apply's tpm keys, systemd-tpm2 tokens */
	const char *efivars_dir;
	const char *kms_ca_file;	/* apply --kms-ca */
	int no_activate;
	int no_sync;
	int dry_run;
	const char *meta_device;	/* apply, talos open: --meta */
	int force_meta;			/* write over a META neither of whose copies is valid */
	const char *value_file;		/* meta set: the value's file */
	int show_secrets;		/* meta get, dump: print sensitive values */
	const char *disk;		/* talos open: the disk to look on */
	const char *key_description;	/* token add: the kernel keyring key */
	unsigned char given[OPT_COUNT];	/* which options the command line named */
	const char *positional[CLI_POSITIONAL_MAX];
	int positional_count;
};

struct compat_opts;

/*
 * One verb: adding a verb is one entry in verbs.c and its cmd_*.c file.
 * A two-word name ("token export") is matched against the verb and its
 * first positional argument, which the verb's run function does not see.
 * A verb that is a cryptsetup action under another name has no run but
 * compat_run, the cryptsetup syntax's implementation (compat_run_native).
 */
struct cli_verb {
	const char *name;
	const char *args;		/* the synopsis after the name */
	int min_args, max_args;		/* positional arguments after the name */
	const enum cli_opt *options;	/* accepted besides -v, -q, --help, --version */
	int (*run)(const struct cli_opts *opts);
	int (*compat_run)(const struct compat_opts *opts);
};

/* verbs.c: the verb table. */
extern const struct cli_verb cli_verbs[];
extern const unsigned cli_verb_count;

/* options.c: parses the command line into opts and sets *verb; prints
 * the reason and returns -EINVAL when it is wrong, or 1 after printing the
 * help --help asked for. */
int cli_parse(int argc, char **argv, const struct cli_verb **verb, struct cli_opts *opts);
/* Sets the option with long name name from value as cli_parse would (the
 * cryptsetup syntax shares the catalogue): 0, -EINVAL after printing why,
 * -ENOENT when luksvol has no such option. */
int cli_set_named_option(const char *name, const char *value, struct cli_opts *opts);
/* 1 when the named option takes a value, 0 when not, -1 when unknown. */
int cli_option_takes_value(const char *name);
/* What `cryptsetup -v` prints last: "Command successful." or the failure. */
void cli_print_exit_status(int rc);
/* The lines of `cryptsetup status` from "type:" to "mode:". */
void cli_print_mapping_lines(const struct lv_mapping_status *st);
/* Prints "usage: luksvol <synopsis>" and the verb's options. */
void cli_verb_help(const struct cli_verb *verb, FILE *out);
/* 1 when verb accepts option (always for -v, -q, --help). */
int cli_verb_accepts(const struct cli_verb *verb, enum cli_opt option);
/* Refuses (exit code EXIT_BAD_PARAM, one line naming them) the options
 * the command line gave that mode ("dump without --volume-key") cannot
 * use; the list ends with OPT_END.  0 when none was given. */
int cli_refuse_options(const struct cli_opts *opts, const char *mode, const enum cli_opt *unusable);

/* Maps a negative errno to an exit code and prints err's message. */
int cli_fail(int code, const struct lv_err *err);
int cli_exit_code(int code);

/* passphrase.c: reads a passphrase from a key file, piped stdin or the
 * terminal (asking twice when verify is set), with cryptsetup's rules
 * (README.md "Passphrases").  prompt names it.  -EPIPE: nothing to read
 * on piped input. */
int cli_read_passphrase(const struct cli_key_source *src, const char *prompt, int verify,
			struct lv_secret **passphrase, struct lv_err *err);
/* Whether cli_confirm asks: stdin is a terminal and no -q (cryptsetup's
 * yesDialog says yes to everything else). */
int cli_asks(const struct cli_opts *opts);
/* Asks "Are you sure? (Type 'yes' in capital letters)" when cli_asks;
 * 1 when confirmed or not asked. */
int cli_confirm(const struct cli_opts *opts, const char *question);
/* A declined confirmation: prints "luksvol: <why>" and returns the exit
 * code of code, the one cryptsetup uses for the same verb. */
int cli_declined(int code, const char *why);

/* keyslot helpers (cmd_keyslot.c) */
/* Loads path read-only and lets it go: the device holds a LUKS2 header,
 * checked before anyone is asked for anything, with no lock kept. */
int cli_check_device(const char *path, struct lv_err *err);
/* Checks positional[0], reads opts->key's passphrase with no lock held,
 * then loads the device with flags and unlocks it (opts->key_slot). */
int cli_load_and_unlock(const struct cli_opts *opts, unsigned flags, struct lv_device **dev,
			struct lv_secret **volume_key, int *opened_slot, struct lv_err *err);
/* The same for the device at path. */
int cli_load_and_unlock_path(const struct cli_opts *opts, const char *path, unsigned flags,
			     struct lv_device **dev, struct lv_secret **volume_key,
			     int *opened_slot, struct lv_err *err);

/* Prints the volume key as `cryptsetup luksDump --dump-volume-key` does;
 * with stored_in, says it was written to that file instead. */
int cli_print_volume_key(const char *path, const struct lv_device *dev,
			 const struct lv_secret *volume_key, const char *stored_in,
			 struct lv_err *err);
/* Reads a whole token JSON document from path ("-" or NULL: stdin; on a
 * terminal it asks for it unless batch). */
int cli_read_token_json(const char *path, int batch, char **text, struct lv_err *err);

/* cmd_token.c: unlocks positional[0] with its tokens (open --token-only,
 * --token-id, --token-type), one line on stderr per token tried. */
int cli_token_unlock(const struct cli_opts *opts, unsigned flags, struct lv_device **dev,
		     struct lv_secret **volume_key, int *opened_slot, struct lv_err *err);

/* output.c: writes text and a newline to path ("-" or NULL: stdout),
 * checking every write.  A file is created mode 0600 beside path and
 * renamed over it once complete: a failure leaves path as it was, and a
 * symbolic link, FIFO, directory or device at path is refused. */
int cli_write_output(const char *path, const char *text, struct lv_err *err);
/* A detached header file for format, kept open and formatted through that
 * descriptor (never through its name again).  data_device must exist
 * (-ENODEV).  A missing header is made (mode 0600, O_EXCL, not through a
 * symlink).  An existing one must be a regular file of 512 bytes or more
 * (-ENOSPC) or a block device (-ENOTBLK: a FIFO, a directory...); a
 * symlink there is followed only when it is the caller's or root's
 * (-ELOOP), a dangling one is refused (-EINVAL).  close removes the file
 * it made, when the format failed and the name still is that file. */
struct cli_header_file {
	int fd;
	const char *name;		/* as given: messages name it */
	int created;
};
int cli_header_file_open(const char *header, const char *data_device, struct cli_header_file *h,
			 struct lv_err *err);
int cli_header_file_format(const struct cli_header_file *h, const struct lv_format_params *params,
			   const struct lv_secret *passphrase, struct lv_err *err);
void cli_header_file_close(struct cli_header_file *h, int failed);

/* The verbs (cmd_*.c). */
int cli_format(const struct cli_opts *opts);
int cli_open(const struct cli_opts *opts);
int cli_test_passphrase(const struct cli_opts *opts);
int cli_close(const struct cli_opts *opts);
/* cmd_live.c: changes to a live mapping. */
int cli_resize(const struct cli_opts *opts);
int cli_refresh(const struct cli_opts *opts);
int cli_suspend(const struct cli_opts *opts);
int cli_resume(const struct cli_opts *opts);
int cli_status(const struct cli_opts *opts);
int cli_add_key(const struct cli_opts *opts);
int cli_remove_key(const struct cli_opts *opts);
int cli_kill_slot(const struct cli_opts *opts);
int cli_change_key(const struct cli_opts *opts);
int cli_dump(const struct cli_opts *opts);
int cli_dump_volume_key(const struct cli_opts *opts);
int cli_is_luks(const struct cli_opts *opts);
int cli_token_import(const struct cli_opts *opts);
int cli_token_export(const struct cli_opts *opts);
int cli_token_remove(const struct cli_opts *opts);
/* cmd_clevis.c (WITH_CLEVIS builds) */
int cli_bind_tang(const struct cli_opts *opts);
int cli_bind_tpm2(const struct cli_opts *opts);
int cli_bind_sss(const struct cli_opts *opts);
int cli_unbind(const struct cli_opts *opts);
int cli_config(const struct cli_opts *opts);
/* cmd_config.c: `config check|show -f FILE [--json]` (WITH_YAML builds). */
int cli_config_check(const struct cli_opts *opts);
int cli_config_show(const struct cli_opts *opts);
int cli_header_backup(const struct cli_opts *opts);
int cli_header_restore(const struct cli_opts *opts);
int cli_repair(const struct cli_opts *opts);
int cli_erase(const struct cli_opts *opts);
int cli_apply(const struct cli_opts *opts);
int cli_wipe(const struct cli_opts *opts);
/* cmd_meta.c: the META partition. */
int cli_meta_dump(const struct cli_opts *opts);
int cli_meta_get(const struct cli_opts *opts);
int cli_meta_set(const struct cli_opts *opts);
int cli_meta_delete(const struct cli_opts *opts);
/* cmd_talos.c: a Talos node's disk opened for rescue (WITH_YAML builds). */
int cli_talos_open(const struct cli_opts *opts);
int cli_talos_close(const struct cli_opts *opts);

#endif
