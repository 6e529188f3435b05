/* SPDX-License-Identifier: ISC */
/*
 * compat_main.c: luksvol as `cryptsetup`: the action table, the checks
 * cryptsetup's main() makes before running an action, and the messages
 * the actions share (device, passphrase and unlock failures).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/compat.h"

struct compat_action {
	const char *name;
	int min_args;
	const char *arg_desc;		/* "<device> [<new key file>]" */
	int (*run)(const struct compat_opts *opts);	/* NULL: not supported by luksvol */
};

static const struct compat_action compat_actions[] = {
	{ "open", 1, "<device> [--type <type>] [<name>]", compat_open },
	{ "close", 1, "<name>", compat_close },
	{ "resize", 1, "<name>", compat_resize },
	{ "status", 1, "<name>", compat_status },
	{ "repair", 1, "<device>", compat_repair },
	{ "erase", 1, "<device>", compat_erase },
	{ "config", 1, "<device>", compat_config },
	{ "luksFormat", 1, "<device> [<new key file>]", compat_format },
	{ "luksAddKey", 1, "<device> [<new key file>]", compat_add_key },
	{ "luksRemoveKey", 1, "<device> [<key file>]", compat_remove_key },
	{ "luksChangeKey", 1, "<device> [<key file>]", compat_change_key },
	{ "luksConvertKey", 1, "<device> [<key file>]", compat_convert_key },
	{ "luksKillSlot", 2, "<device> <key slot>", compat_kill_slot },
	{ "luksUUID", 1, "<device>", compat_uuid },
	{ "isLuks", 1, "<device>", compat_is_luks },
	{ "luksDump", 1, "<device>", compat_dump },
	{ "luksSuspend", 1, "<device>", compat_suspend },
	{ "luksResume", 1, "<device>", compat_resume },
	{ "luksHeaderBackup", 1, "<device>", compat_header_backup },
	{ "luksHeaderRestore", 1, "<device>", compat_header_restore },
	{ "token", 2, "<add|remove|import|export> <device>", compat_token },
	{ "benchmark", 0, "[--cipher <cipher>]", NULL },
	{ "reencrypt", 0, "<device>", NULL },
	{ "convert", 1, "<device>", NULL },
	{ "tcryptDump", 1, "<device>", NULL },
	{ "bitlkDump", 1, "<device>", NULL },
	{ "fvault2Dump", 1, "<device>", NULL },
};

#define ACTION_COUNT (sizeof(compat_actions) / sizeof(compat_actions[0]))

int compat_wanted(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/');

	base = base ? base + 1 : argv[0];
	return strcmp(base, "cryptsetup") == 0 ||
	       (argc > 1 && strcmp(argv[1], "--cryptsetup-compat") == 0);
}

static int not_supported(const char *what)
{
	return compat_error(-ENOTSUP, "luksvol: %s is not supported by luksvol", what);
}

int compat_fail(int r, const struct lv_err *err)
{
	if (err && err->msg[0])
		compat_error(r, "luksvol: %s", err->msg);
	else
		compat_error(r, "luksvol: %s", strerror(-r));
	return r;
}

int compat_unlock_failed(int r, const struct lv_err *err)
{
	if (r == -EPERM)
		return compat_error(r, "No key available with this passphrase.");
	if (r == -ENOENT)
		return compat_error(r, "No usable keyslot is available.");
	return compat_fail(r, err);
}

/* The passphrase reader's failures as crypt_keyfile_device_read words them. */
static int key_read_failed(int r, const struct lv_err *err)
{
	static const struct {
		const char *ours;
		const char *theirs;
	} messages[] = {
		{ "cannot read requested amount", "Cannot read requested amount of data." },
		{ "cannot open the key file", "Failed to open key file." },
		{ "maximum keyfile size", "Maximum keyfile size exceeded." },
		{ "keyfile offset", "Cannot seek to requested keyfile offset." },
		{ "from a terminal", "Cannot read keyfile from a terminal." },
	};

	if (r == -EPIPE)
		return compat_error(r, "Nothing to read on input.");
	for (size_t i = 0; i < sizeof(messages) / sizeof(messages[0]); i++)
		if (strstr(err->msg, messages[i].ours))
			return compat_error(r, "%s", messages[i].theirs);
	return compat_fail(r, err);
}

int compat_read_key(const struct cli_key_source *src, const char *prompt, int verify,
		    struct lv_secret **passphrase)
{
	struct lv_err err = { 0 };
	int r = cli_read_passphrase(src, prompt, verify && isatty(STDIN_FILENO), passphrase, &err);

	return r < 0 ? key_read_failed(r, &err) : 0;
}

int compat_load(const char *path, unsigned flags, struct lv_device **dev)
{
	enum lv_luks_version version;
	struct lv_err err = { 0 };
	struct stat sb;
	int r;

	*dev = NULL;
	if (stat(path, &sb) < 0 || lv_probe(path, &version, &err) < 0)
		return compat_error(-ENODEV, "Device %s does not exist or access denied.", path);
	if (version == LV_NOT_LUKS)
		return compat_error(-EINVAL, "Device %s is not a valid LUKS device.", path);
	if (version == LV_LUKS1)
		return not_supported("LUKS1");
	r = lv_device_load(dev, path, flags, &err);
	if (r == -EINVAL || r == -EIO) {
		compat_error(r, "Device %s is not a valid LUKS device.", path);
		return compat_fail(r, &err);
	}
	return r < 0 ? compat_fail(r, &err) : 0;
}

const char *compat_header_path(const struct compat_opts *opts)
{
	return opts->header ? opts->header : opts->args[0];
}

static const struct compat_action *find_action(const char *name)
{
	for (size_t i = 0; i < ACTION_COUNT; i++)
		if (strcmp(compat_actions[i].name, name) == 0)
			return &compat_actions[i];
	return NULL;
}

/* What luksvol leaves to cryptsetup: other device types, dm-integrity. */
static int refuse_unsupported(const struct compat_opts *opts)
{
	const char *type = opts->type;

	if (type && strcmp(type, "luks") != 0 && strcmp(type, "luks2") != 0 &&
	    strcmp(type, "luks1") != 0) {
		char what[64];

		snprintf(what, sizeof(what), "type %.40s", type);
		return not_supported(what);
	}
	if (opts->copt[COPT_INTEGRITY])
		return not_supported("--integrity (dm-integrity)");
	return 0;
}

static int run(struct compat_opts *opts)
{
	const struct compat_action *action = find_action(opts->action);
	int r;

	if (!action)
		return compat_usage(opts, "Unknown action.");
	if (!action->run)
		return cli_exit_code(not_supported(opts->action));
	if (opts->arg_count < action->min_args)
		return compat_usage(opts, "%s: requires %s as arguments", action->name,
				    action->arg_desc);
	if ((r = compat_apply_options(opts)) != -1)
		return r;
	if ((r = refuse_unsupported(opts)) < 0)
		return cli_exit_code(r);
	if (opts->copt[COPT_VERIFY] && !isatty(STDIN_FILENO))
		compat_error(0, "Can't do passphrase verification on non-tty inputs.");
	r = cli_exit_code(action->run(opts));
	if (opts->base.verbose)
		cli_print_exit_status(r);
	return r;
}

int compat_run_native(const struct cli_verb *verb, const struct cli_opts *opts)
{
	const char *action = strchr(verb->name, ' ');
	struct compat_opts copts = {
		.base = *opts,
		.argv0 = "luksvol",
		.native = 1,
		.action = verb->name,
		.header = opts->header,
		.key_description = opts->key_description,
	};

	/* "token add": the action word first, as cryptsetup's token takes it. */
	if (action)
		copts.args[copts.arg_count++] = action + 1;
	copts.args[copts.arg_count++] = opts->header ? opts->data_device : opts->positional[0];
	copts.copt[COPT_TOKEN_REPLACE] = opts->given[OPT_TOKEN_REPLACE];
	return cli_exit_code(verb->compat_run(&copts));
}

int compat_main(int argc, char **argv)
{
	struct compat_opts opts = { .argv0 = argv[0] };
	int skip = argc > 1 && strcmp(argv[1], "--cryptsetup-compat") == 0 ? 2 : 1;
	int r = compat_parse(argc - skip, argv + skip, &opts);

	if (r == -1)
		r = run(&opts);
	compat_opts_free(&opts);
	return r;
}
