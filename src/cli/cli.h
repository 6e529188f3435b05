/* SPDX-License-Identifier: ISC */
/* cli.h: the `luksvol` command: options, verbs and exit codes. */
#ifndef LV_CLI_H
#define LV_CLI_H

#include <stdint.h>

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

struct cli_key_source {
	const char *path;		/* NULL: terminal prompt or stdin */
	uint64_t size_limit;		/* --keyfile-size; 0: whole file */
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
	struct cli_key_source key;	/* existing passphrase */
	struct cli_key_source new_key;	/* passphrase being set */
	int readonly;
	int persistent;
	int disable_keyring;
	int deferred;
	unsigned activation_flags;	/* enum lv_activation_flag */
	const char *json_file;
	const char *backup_file;
	const char *label;
	const char *subsystem;
	struct lv_format_params format;	/* format and pbkdf options */
	const char *devices[CLI_DEVICES_MAX + 1];	/* apply --device, NULL-terminated */
	int device_count;
	const char *config_file;		/* -f, --file: the volume config YAML */
	const char *node_uuid;
	const char *state_dir;
	int no_activate;
	int no_sync;
	int dry_run;
	const char *positional[CLI_POSITIONAL_MAX];
	int positional_count;
};

struct cli_verb {
	const char *name;
	const char *usage;
	int min_args;
	int max_args;
	int (*run)(const struct cli_opts *opts);
};

/* Maps a negative errno to an exit code and prints err's message. */
int cli_fail(int code, const struct lv_err *err);
int cli_exit_code(int code);

/* passphrase.c: reads a passphrase from a key file, stdin or the
 * terminal (asking twice when verify is set).  prompt names it. */
int cli_read_passphrase(const struct cli_key_source *src, const char *prompt, int verify,
			struct lv_secret **passphrase, struct lv_err *err);
/* Asks "Are you sure? (Type 'yes' in capital letters)" unless batch. */
int cli_confirm(const struct cli_opts *opts, const char *question);

/* Loads positional[0] with flags and unlocks it with opts->key. */
int cli_load_and_unlock(const struct cli_opts *opts, unsigned flags, struct lv_device **dev,
			struct lv_secret **volume_key, int *opened_slot, struct lv_err *err);

int cli_dump(const struct cli_opts *opts);
int cli_dump_volume_key(const struct cli_opts *opts);
int cli_activate(const struct cli_opts *opts);
int cli_close(const struct cli_opts *opts);
int cli_status(const struct cli_opts *opts);
int cli_is_luks(const struct cli_opts *opts);
int cli_format(const struct cli_opts *opts);
int cli_open(const struct cli_opts *opts);
int cli_add_key(const struct cli_opts *opts);
int cli_remove_key(const struct cli_opts *opts);
int cli_kill_slot(const struct cli_opts *opts);
int cli_change_key(const struct cli_opts *opts);
int cli_token(const struct cli_opts *opts);
int cli_config(const struct cli_opts *opts);
/* cmd_config.c: `config check|show -f FILE [--json]` (WITH_YAML builds). */
int cli_volume_config(const struct cli_opts *opts);
int cli_header_backup(const struct cli_opts *opts);
int cli_header_restore(const struct cli_opts *opts);
int cli_repair(const struct cli_opts *opts);
int cli_erase(const struct cli_opts *opts);
int cli_apply(const struct cli_opts *opts);
int cli_wipe(const struct cli_opts *opts);

#endif
