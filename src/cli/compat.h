/* SPDX-License-Identifier: ISC */
/*
 * compat.h: luksvol called as `cryptsetup` (argv[0]) or with
 * --cryptsetup-compat: cryptsetup 2.6.1's LUKS2 verbs, options, messages
 * and exit codes (tests/compat/ records them), over the same library and
 * passphrase rules as the luksvol syntax.
 */
#ifndef LV_CLI_COMPAT_H
#define LV_CLI_COMPAT_H

#include "cli/cli.h"

#define COMPAT_ARGS_MAX 4

/* Options cryptsetup has and luksvol's own syntax does not (the others
 * land in base, as cli_parse would set them). */
enum compat_opt {
	COPT_NONE = 0,
	COPT_TYPE, COPT_HEADER, COPT_DUMP_JSON, COPT_DUMP_VOLUME_KEY, COPT_VOLUME_KEY_FILE,
	COPT_NEW_KEYFILE_OFFSET, COPT_KEY_DESCRIPTION, COPT_TOKEN_ONLY, COPT_TOKEN_TYPE,
	COPT_TOKEN_REPLACE, COPT_TRIES, COPT_TIMEOUT, COPT_DEBUG, COPT_DISABLE_LOCKS, COPT_SHARED,
	COPT_ALIGN_PAYLOAD, COPT_SERIALIZE,
	COPT_PRIORITY, COPT_USE_URANDOM, COPT_USE_RANDOM, COPT_VERSION, COPT_VERIFY,
	COPT_REFRESH, COPT_INTEGRITY, COPT_UNBOUND, COPT_DISABLE_EXTERNAL_TOKENS,
	COPT_COUNT
};

struct compat_opts {
	struct cli_opts base;		/* key sources, format and activation options */
	const char *argv0;		/* as invoked: usage messages start with it */
	int native;			/* run for the luksvol syntax: no cryptsetup usage */
	const char *action;		/* the action word, after aliases */
	const char *type;		/* --type: luks, luks2; NULL */
	const char *header;
	const char *volume_key_file;
	const char *key_description;
	const char *token_type;
	const char *priority;
	uint32_t align_payload_sectors;
	unsigned char copt[COPT_COUNT];	/* which compat options were given */
	const char *args[COMPAT_ARGS_MAX];
	int arg_count;
	struct pending *pending;	/* the options as given, until applied */
	int pending_count;
};

/* Parses the arguments after the program name (and --cryptsetup-compat)
 * into opts: the action after cryptsetup's aliases ("luksOpen" is open
 * with type luks), its arguments, the options as given.  Prints
 * cryptsetup's message and returns its exit code for a bad command line
 * or --version; -1 to go on. */
int compat_parse(int argc, char **argv, struct compat_opts *opts);
/* Checks that the action allows every option given ("Option --X is not
 * allowed with Y action.") and sets them; -1 to go on, else the exit code. */
int compat_apply_options(struct compat_opts *opts);
void compat_opts_free(struct compat_opts *opts);

/* Prints "MESSAGE\n" on stderr, as cryptsetup's log_err; returns code. */
int compat_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The usage error of cryptsetup's option parser: "ARGV0: MESSAGE", exit 1. */
int compat_usage(const struct compat_opts *opts, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Passphrase reading with cryptsetup's messages ("Nothing to read on
 * input.", "Cannot read requested amount of data.", ...). */
int compat_read_key(const struct cli_key_source *src, const char *prompt, int verify,
		    struct lv_secret **passphrase);
/* Where the LUKS2 header is: --header, else the device argument. */
const char *compat_header_path(const struct compat_opts *opts);
/* Loads the LUKS2 header of path with cryptsetup's messages for a
 * missing device or one that is not LUKS. */
int compat_load(const char *path, unsigned flags, struct lv_device **dev);
/* lv_unlock's failure as cryptsetup reports it. */
int compat_unlock_failed(int r, const struct lv_err *err);
/* Any other library failure: its own message, cryptsetup's exit code. */
int compat_fail(int r, const struct lv_err *err);

/* The verbs (compat_keys.c, compat_dm.c, compat_header.c); each returns a
 * negative errno (after printing) or 0. */
int compat_format(const struct compat_opts *opts);
int compat_add_key(const struct compat_opts *opts);
int compat_remove_key(const struct compat_opts *opts);
int compat_change_key(const struct compat_opts *opts);
int compat_convert_key(const struct compat_opts *opts);
int compat_kill_slot(const struct compat_opts *opts);
int compat_open(const struct compat_opts *opts);
int compat_close(const struct compat_opts *opts);
int compat_status(const struct compat_opts *opts);
int compat_resize(const struct compat_opts *opts);
int compat_suspend(const struct compat_opts *opts);
int compat_resume(const struct compat_opts *opts);
int compat_is_luks(const struct compat_opts *opts);
int compat_dump(const struct compat_opts *opts);
int compat_uuid(const struct compat_opts *opts);
int compat_header_backup(const struct compat_opts *opts);
int compat_header_restore(const struct compat_opts *opts);
int compat_repair(const struct compat_opts *opts);
int compat_erase(const struct compat_opts *opts);
int compat_config(const struct compat_opts *opts);
int compat_token(const struct compat_opts *opts);

/* Runs a native verb that is a cryptsetup action (verb->compat_run) on the
 * native command line opts; messages are the action's, usage errors
 * "luksvol: ..."; returns the exit code. */
int compat_run_native(const struct cli_verb *verb, const struct cli_opts *opts);

/* main.c hands over here; returns the exit code. */
int compat_main(int argc, char **argv);
/* Whether argv asks for the cryptsetup syntax. */
int compat_wanted(int argc, char **argv);

#endif
