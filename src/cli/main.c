/* SPDX-License-Identifier: ISC */
/* main.c: option parsing and verb dispatch of the `luksvol` command. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "lv_features.h"

/* `config check|show -f FILE` reads a volume config; any other argument
 * is a LUKS2 device whose label or subsystem is set. */
static int run_config(const struct cli_opts *opts)
{
#if LV_WITH_YAML
	if (strcmp(opts->positional[0], "check") == 0 || strcmp(opts->positional[0], "show") == 0)
		return cli_volume_config(opts);
#endif
	return cli_config(opts);
}

static const struct cli_verb verbs[] = {
	{ "format", "format [options] [--key-file F] DEVICE", 1, 1, cli_format },
	{ "open", "open [--test-passphrase] [--key-file F] [--key-slot N] [activation options] DEVICE [NAME]",
	  1, 2, cli_open },
	{ "close", "close [--deferred] NAME", 1, 1, cli_close },
	{ "status", "status [--json] [NAME]", 0, 1, cli_status },
	{ "add-key", "add-key [--key-file OLD] [--new-key-file NEW] [--key-slot N] [pbkdf options] DEVICE",
	  1, 1, cli_add_key },
	{ "remove-key", "remove-key [--key-file F] DEVICE", 1, 1, cli_remove_key },
	{ "kill-slot", "kill-slot [--key-file F] DEVICE SLOT", 2, 2, cli_kill_slot },
	{ "change-key", "change-key [--key-file OLD] [--new-key-file NEW] [--key-slot N] DEVICE",
	  1, 1, cli_change_key },
	{ "dump", "dump [--json] [--volume-key --key-file F] DEVICE", 1, 1, cli_dump },
	{ "is-luks", "is-luks [-v] DEVICE", 1, 1, cli_is_luks },
	{ "token", "token import|export|remove --token-id N [--json-file F] DEVICE", 2, 2, cli_token },
#if LV_WITH_YAML
	{ "config", "config [--label L] [--subsystem S] DEVICE | config check|show -f FILE [--json]",
	  1, 1, run_config },
#else
	{ "config", "config [--label L] [--subsystem S] DEVICE", 1, 1, run_config },
#endif
	{ "header-backup", "header-backup --header-backup-file F DEVICE", 1, 1, cli_header_backup },
	{ "header-restore", "header-restore --header-backup-file F DEVICE", 1, 1, cli_header_restore },
	{ "repair", "repair DEVICE", 1, 1, cli_repair },
	{ "erase", "erase [-q] DEVICE", 1, 1, cli_erase },
#if LV_WITH_YAML
	/* The Talos verbs: a WITH_YAML=0 build leaves out cmd_apply.c and src/keys. */
	{ "apply", "apply -f FILE [--device VOLUMEID=PATH]... [--node-uuid U] [--state-dir DIR] "
		   "[--no-activate] [--no-sync] [--dry-run] [--yes] [--json] [pbkdf options]", 0, 0, cli_apply },
	{ "wipe", "wipe [--yes] --label LABEL | DEVICE", 0, 1, cli_wipe },
#endif
};

#define VERB_COUNT (sizeof(verbs) / sizeof(verbs[0]))

enum long_only_option {
	OPT_JSON = 256, OPT_TEST_PASSPHRASE, OPT_VOLUME_KEY, OPT_KEYFILE_SIZE,
	OPT_KEYFILE_OFFSET, OPT_NEW_KEY_FILE, OPT_NEW_KEYFILE_SIZE, OPT_SECTOR_SIZE, OPT_PBKDF,
	OPT_PBKDF_MEMORY, OPT_PBKDF_PARALLEL, OPT_PBKDF_FORCE_ITERATIONS, OPT_METADATA_SIZE,
	OPT_KEYSLOTS_SIZE, OPT_OFFSET, OPT_LABEL, OPT_SUBSYSTEM, OPT_UUID, OPT_TOKEN_ID,
	OPT_JSON_FILE, OPT_BACKUP_FILE, OPT_HELP, OPT_READONLY, OPT_ALLOW_DISCARDS,
	OPT_SAME_CPU_CRYPT, OPT_SUBMIT_FROM_CRYPT_CPUS, OPT_NO_READ_WORKQUEUE,
	OPT_NO_WRITE_WORKQUEUE, OPT_PERSISTENT, OPT_DISABLE_KEYRING, OPT_DEFERRED,
	OPT_DEVICE, OPT_NODE_UUID, OPT_STATE_DIR, OPT_NO_ACTIVATE, OPT_DRY_RUN, OPT_YES,
	OPT_NO_SYNC,
};

static const struct option long_options[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "verbose", no_argument, NULL, 'v' },
	{ "batch-mode", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "test-passphrase", no_argument, NULL, OPT_TEST_PASSPHRASE },
	{ "volume-key", no_argument, NULL, OPT_VOLUME_KEY },
	{ "key-file", required_argument, NULL, 'd' },
	{ "keyfile-size", required_argument, NULL, OPT_KEYFILE_SIZE },
	{ "keyfile-offset", required_argument, NULL, OPT_KEYFILE_OFFSET },
	{ "new-key-file", required_argument, NULL, OPT_NEW_KEY_FILE },
	{ "new-keyfile-size", required_argument, NULL, OPT_NEW_KEYFILE_SIZE },
	{ "key-slot", required_argument, NULL, 'S' },
	{ "cipher", required_argument, NULL, 'c' },
	{ "key-size", required_argument, NULL, 's' },
	{ "hash", required_argument, NULL, 'h' },
	{ "sector-size", required_argument, NULL, OPT_SECTOR_SIZE },
	{ "pbkdf", required_argument, NULL, OPT_PBKDF },
	{ "pbkdf-memory", required_argument, NULL, OPT_PBKDF_MEMORY },
	{ "pbkdf-parallel", required_argument, NULL, OPT_PBKDF_PARALLEL },
	{ "pbkdf-force-iterations", required_argument, NULL, OPT_PBKDF_FORCE_ITERATIONS },
	{ "iter-time", required_argument, NULL, 'i' },
	{ "luks2-metadata-size", required_argument, NULL, OPT_METADATA_SIZE },
	{ "luks2-keyslots-size", required_argument, NULL, OPT_KEYSLOTS_SIZE },
	{ "offset", required_argument, NULL, OPT_OFFSET },
	{ "label", required_argument, NULL, OPT_LABEL },
	{ "subsystem", required_argument, NULL, OPT_SUBSYSTEM },
	{ "uuid", required_argument, NULL, OPT_UUID },
	{ "token-id", required_argument, NULL, OPT_TOKEN_ID },
	{ "json-file", required_argument, NULL, OPT_JSON_FILE },
	{ "header-backup-file", required_argument, NULL, OPT_BACKUP_FILE },
	{ "readonly", no_argument, NULL, OPT_READONLY },
	{ "allow-discards", no_argument, NULL, OPT_ALLOW_DISCARDS },
	{ "perf-same_cpu_crypt", no_argument, NULL, OPT_SAME_CPU_CRYPT },
	{ "perf-submit_from_crypt_cpus", no_argument, NULL, OPT_SUBMIT_FROM_CRYPT_CPUS },
	{ "perf-no_read_workqueue", no_argument, NULL, OPT_NO_READ_WORKQUEUE },
	{ "perf-no_write_workqueue", no_argument, NULL, OPT_NO_WRITE_WORKQUEUE },
	{ "persistent", no_argument, NULL, OPT_PERSISTENT },
	{ "disable-keyring", no_argument, NULL, OPT_DISABLE_KEYRING },
	{ "deferred", no_argument, NULL, OPT_DEFERRED },
	{ "file", required_argument, NULL, 'f' },
	{ "device", required_argument, NULL, OPT_DEVICE },
	{ "node-uuid", required_argument, NULL, OPT_NODE_UUID },
	{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
	{ "no-activate", no_argument, NULL, OPT_NO_ACTIVATE },
	{ "no-sync", no_argument, NULL, OPT_NO_SYNC },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "yes", no_argument, NULL, OPT_YES },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *out)
{
	fputs("usage: luksvol VERB [options] ARGS\n", out);
	for (size_t i = 0; i < VERB_COUNT; i++)
		fprintf(out, "  luksvol %s\n", verbs[i].usage);
	fputs("See README.md for every option and the exit codes.\n", out);
}

int cli_exit_code(int code)
{
	switch (code) {
	case 0: return EXIT_OK;
	case -EPERM: case -EACCES: return EXIT_NO_PERM;
	case -ENOMEM: return EXIT_NO_MEM;
	case -ENODEV: case -ENOTBLK: case -ENXIO: return EXIT_WRONG_DEVICE;
	case -EBUSY: case -EEXIST: return EXIT_BUSY;
	default: return EXIT_BAD_PARAM;
	}
}

int cli_fail(int code, const struct lv_err *err)
{
	if (err && err->msg[0])
		fprintf(stderr, "luksvol: %s\n", err->msg);
	else
		fprintf(stderr, "luksvol: %s\n", strerror(-code));
	return cli_exit_code(code);
}

static const struct cli_verb *find_verb(const char *name)
{
	for (size_t i = 0; i < VERB_COUNT; i++)
		if (strcmp(verbs[i].name, name) == 0)
			return &verbs[i];
	return NULL;
}

/* A decimal number, optionally with a k/m/g (KiB/MiB/GiB) suffix when
 * units is set; the whole string must be consumed. */
static int parse_number(const char *text, int units, uint64_t max, uint64_t *out)
{
	char *end;
	uint64_t scale = 1;

	if (*text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	unsigned long long value = strtoull(text, &end, 10);
	if (errno == ERANGE)
		return -EINVAL;
	if (units && *end) {
		switch (*end | 0x20) {
		case 'k': scale = 1ULL << 10; break;
		case 'm': scale = 1ULL << 20; break;
		case 'g': scale = 1ULL << 30; break;
		default: return -EINVAL;
		}
		end++;
	}
	if (*end || (value && scale > UINT64_MAX / value) || value * scale > max)
		return -EINVAL;
	*out = value * scale;
	return 0;
}

static int set_u32(const char *name, const char *text, uint32_t *out)
{
	uint64_t value;

	if (parse_number(text, 0, UINT32_MAX, &value) < 0) {
		fprintf(stderr, "luksvol: --%s: \"%s\" is not a valid number\n", name, text);
		return -EINVAL;
	}
	*out = (uint32_t)value;
	return 0;
}

static int set_u64(const char *name, const char *text, int units, uint64_t *out)
{
	if (parse_number(text, units, UINT64_MAX, out) < 0) {
		fprintf(stderr, "luksvol: --%s: \"%s\" is not a valid size\n", name, text);
		return -EINVAL;
	}
	return 0;
}

static int set_int(const char *name, const char *text, int *out)
{
	uint32_t value;

	if (set_u32(name, text, &value) < 0 || value > INT_MAX)
		return -EINVAL;
	*out = (int)value;
	return 0;
}

static int apply_format_option(int c, const char *arg, struct lv_format_params *f)
{
	uint64_t sectors;

	switch (c) {
	case 'c': f->cipher = arg; return 0;
	case 's': return set_u32("key-size", arg, &f->key_bits);
	case 'h': f->pbkdf.hash = arg; return 0;
	case 'i': return set_u32("iter-time", arg, &f->pbkdf.iter_time_ms);
	case OPT_SECTOR_SIZE: return set_u32("sector-size", arg, &f->sector_size);
	case OPT_PBKDF: f->pbkdf.type = arg; return 0;
	case OPT_PBKDF_MEMORY: return set_u32("pbkdf-memory", arg, &f->pbkdf.memory_kib);
	case OPT_PBKDF_PARALLEL: return set_u32("pbkdf-parallel", arg, &f->pbkdf.parallel);
	case OPT_PBKDF_FORCE_ITERATIONS:
		return set_u32("pbkdf-force-iterations", arg, &f->pbkdf.forced_iterations);
	case OPT_METADATA_SIZE: return set_u64("luks2-metadata-size", arg, 1, &f->metadata_bytes);
	case OPT_KEYSLOTS_SIZE: return set_u64("luks2-keyslots-size", arg, 1, &f->keyslots_bytes);
	case OPT_OFFSET:
		/* --offset counts 512-byte sectors, as cryptsetup's does. */
		if (set_u64("offset", arg, 0, &sectors) < 0 || sectors > UINT64_MAX / 512)
			return -EINVAL;
		f->data_offset_bytes = sectors * 512;
		return 0;
	case OPT_UUID: f->uuid = arg; return 0;
	default: return 1;
	}
}

static int apply_option(int c, const char *arg, struct cli_opts *opts)
{
	switch (c) {
	case OPT_JSON: opts->json = 1; return 0;
	case 'v': opts->verbose = 1; return 0;
	case 'q': opts->batch = 1; return 0;
	case 'r': opts->readonly = 1; return 0;
	case OPT_HELP: usage(stdout); exit(EXIT_OK);
	case OPT_TEST_PASSPHRASE: opts->test_passphrase = 1; return 0;
	case OPT_VOLUME_KEY: opts->volume_key = 1; return 0;
	case 'd': opts->key.path = arg; return 0;
	case OPT_KEYFILE_SIZE: return set_u64("keyfile-size", arg, 0, &opts->key.size_limit);
	case OPT_KEYFILE_OFFSET: return set_u64("keyfile-offset", arg, 0, &opts->key.offset);
	case OPT_NEW_KEY_FILE: opts->new_key.path = arg; return 0;
	case OPT_NEW_KEYFILE_SIZE:
		return set_u64("new-keyfile-size", arg, 0, &opts->new_key.size_limit);
	case 'S': return set_int("key-slot", arg, &opts->key_slot);
	case OPT_LABEL: opts->label = arg; opts->format.label = arg; return 0;
	case OPT_SUBSYSTEM: opts->subsystem = arg; opts->format.subsystem = arg; return 0;
	case OPT_TOKEN_ID: return set_int("token-id", arg, &opts->token_id);
	case OPT_JSON_FILE: opts->json_file = arg; return 0;
	case OPT_BACKUP_FILE: opts->backup_file = arg; return 0;
	case OPT_READONLY: opts->readonly = 1; return 0;
	case OPT_ALLOW_DISCARDS: opts->activation_flags |= LV_FLAG_ALLOW_DISCARDS; return 0;
	case OPT_SAME_CPU_CRYPT: opts->activation_flags |= LV_FLAG_SAME_CPU_CRYPT; return 0;
	case OPT_SUBMIT_FROM_CRYPT_CPUS:
		opts->activation_flags |= LV_FLAG_SUBMIT_FROM_CRYPT_CPUS;
		return 0;
	case OPT_NO_READ_WORKQUEUE: opts->activation_flags |= LV_FLAG_NO_READ_WORKQUEUE; return 0;
	case OPT_NO_WRITE_WORKQUEUE: opts->activation_flags |= LV_FLAG_NO_WRITE_WORKQUEUE; return 0;
	case OPT_PERSISTENT: opts->persistent = 1; return 0;
	case OPT_DISABLE_KEYRING: opts->disable_keyring = 1; return 0;
	case OPT_DEFERRED: opts->deferred = 1; return 0;
	case OPT_DEVICE:
		if (opts->device_count == CLI_DEVICES_MAX)
			return -EINVAL;
		opts->devices[opts->device_count++] = arg;
		return 0;
	case 'f': opts->config_file = arg; return 0;
	case OPT_NODE_UUID: opts->node_uuid = arg; return 0;
	case OPT_STATE_DIR: opts->state_dir = arg; return 0;
	case OPT_NO_ACTIVATE: opts->no_activate = 1; return 0;
	case OPT_NO_SYNC: opts->no_sync = 1; return 0;
	case OPT_DRY_RUN: opts->dry_run = 1; return 0;
	case OPT_YES: opts->batch = 1; return 0;
	default: return apply_format_option(c, arg, &opts->format) == 0 ? 0 : -EINVAL;
	}
}

/* getopt's own messages (opterr) quote the whole argument, and
 * "--passphrase=..." may be someone's secret: name the option only. */
static void report_bad_option(int c, char **argv)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";
	const char *problem = c == ':' ? "needs an argument" : "is not an option";

	if (strncmp(arg, "--", 2) == 0)
		fprintf(stderr, "luksvol: %.*s %s\n", (int)strcspn(arg, "="), arg, problem);
	else if (optopt > 0 && optopt < 128)
		fprintf(stderr, "luksvol: -%c %s\n", optopt, problem);
	else
		fprintf(stderr, "luksvol: bad option\n");
}

/* Options may come before or after the positional arguments, as with
 * cryptsetup: getopt_long permutes argv. */
static int parse_options(int argc, char **argv, struct cli_opts *opts)
{
	int c;

	opts->key_slot = LV_ANY_SLOT;
	opts->token_id = LV_ANY_SLOT;
	opts->format.key_slot = LV_ANY_SLOT;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":vqrd:S:c:s:h:i:f:", long_options, NULL)) != -1) {
		if (c == '?' || c == ':') {
			report_bad_option(c, argv);
			return -EINVAL;
		}
		if (apply_option(c, optarg, opts) < 0)
			return -EINVAL;
	}
	opts->format.key_slot = opts->key_slot;
	for (int i = optind; i < argc; i++) {
		if (opts->positional_count == CLI_POSITIONAL_MAX)
			return -EINVAL;
		opts->positional[opts->positional_count++] = argv[i];
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct cli_opts opts = { 0 };
	const struct cli_verb *verb;

	if (argc < 2) {
		usage(stderr);
		return EXIT_BAD_PARAM;
	}
	if (strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	verb = find_verb(argv[1]);
	if (!verb) {
		fprintf(stderr, "luksvol: unknown verb \"%s\"\n", argv[1]);
		usage(stderr);
		return EXIT_BAD_PARAM;
	}
	if (parse_options(argc - 1, argv + 1, &opts) < 0 ||
	    opts.positional_count < verb->min_args || opts.positional_count > verb->max_args) {
		fprintf(stderr, "luksvol: usage: luksvol %s\n", verb->usage);
		return EXIT_BAD_PARAM;
	}
	return verb->run(&opts);
}
